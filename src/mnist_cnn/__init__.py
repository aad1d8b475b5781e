"""mnist_cnn: the data, models, training, evaluation and plots behind the MNIST CNN notebooks.

The pipeline, one module per step: `data` → `model` (or `improved`) → `training` (run as
`execution` plans it, with `tensorflow_runtime` on TensorFlow, shown by `progress`) →
`evaluation` → `plots`, then `artifacts` (saved results), `report` (notebooks → HTML),
`predict` (your own digits) and `draw` (a drawing pad for them in the notebook). `ablation`
trains one recipe after another for the second notebook; `settings` reads the notebooks'
settings; `backend` (Keras, quietly, on any of its backends) and `atomic` serve the others.
"""

__version__ = "0.1.0"
