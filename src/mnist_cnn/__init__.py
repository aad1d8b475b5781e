"""mnist_cnn: the data, model, training, evaluation and plots behind the MNIST CNN notebook.

The pipeline, one module per step: `data` → `model` → `training` → `evaluation` → `plots`,
then `artifacts` (saved results), `report` (notebook → HTML) and `predict` (your own digit).
"""

__version__ = "0.1.0"
