"""Running fast on this machine: how a model trains and predicts here, chosen per machine, apart from the model.

`plan` chooses (a pure function of the machine and the Keras backend), `runtime` applies the
choice in this process (`use()`, the one visible place) and `planned_model` runs the user's model
as the plan says; `tensorflow_side` is TensorFlow's share (threads, batches). Measured effects:
docs/training-speed.md.
"""

from mnist_cnn.speed.plan import ExecutionPlan
from mnist_cnn.speed.runtime import planned_fit, planned_predict, use

__all__ = ["ExecutionPlan", "planned_fit", "planned_predict", "use"]
