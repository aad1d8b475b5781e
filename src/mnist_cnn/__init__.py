"""mnist_cnn: the data, models, training, evaluation and plots behind the MNIST CNN notebooks.

The pipeline, one module per step: `data` → `model` (or `improved`, `robust`) → `training`
(run as `plan` chooses and `execution` applies, with `tensorflow_runtime` on TensorFlow, shown
by `progress`) → `evaluation` → `plots`, then `artifacts` (saved results), `report` and `pages`
(notebooks → HTML). Your own digits: `digits` prepares any picture as MNIST's were, `networks`
runs a saved model, `predict` reads files and `draw` is the notebook's drawing pad. Other
writers: `usps`, `photos` and `augment`. `ablation` trains one recipe after another for the
second notebook; `settings` holds the notebooks' parameters and their checks; `backend`
(Keras, quietly, on any of its backends), `opencv` and `atomic` serve the others.
"""

__version__ = "0.1.0"
