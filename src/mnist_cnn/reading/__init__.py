"""Reading digits in pictures: photos, scans and drawings of anyone's handwriting, with a saved model.

`preparation` finds the digits in a picture and prepares each as MNIST's were; `export` writes a
saved model's LiteRT export, which `saved_models` runs without TensorFlow; `predict` reads image
files (`python -m mnist_cnn predict`); `drawing_pad` is the notebooks' pad. To measure and train
for it (the third notebook): `usps` (other writers' digits), `photos` (them rendered as phone
photos), `distortions` (what the robust model trains on), `photo_accuracy` and `figures`.
`joined_numbers` reads a number written joined up, whole, with the network `number_training` builds
and trains it for (the fourth notebook);
`opencv` and `quiet` keep OpenCV and TensorFlow from changing or cluttering anything. None of it
imports the training stack, nor TensorFlow or Keras when imported (`export`, `drawing_pad` and
`number_training`'s network need Keras only when called).
"""
