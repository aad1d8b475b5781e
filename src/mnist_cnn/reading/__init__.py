"""Reading digits in pictures: photos, scans and drawings of anyone's handwriting, with a saved model.

`preparation` finds the digits in a picture and prepares each as MNIST's were; `saved_models` runs
a saved model without TensorFlow; `predict` reads image files (`python -m mnist_cnn predict`);
`drawing_pad` is the notebooks' pad. To measure and train for it (the third notebook): `usps`
(other writers' digits), `photos` (them rendered as phone photos), `distortions` (what the robust
model trains on), `evaluation` and `figures`. None of it imports TensorFlow or the training stack.
"""
