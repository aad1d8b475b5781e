"""Running fast on this machine: how a model trains and predicts here, chosen per machine, apart from the model.

`plan` chooses (a pure function of the machine and the Keras backend), `runtime` applies the
choice in this process (`use()`, the one visible place) and `planned_model` runs the user's model
as the plan says; `tensorflow_side` is TensorFlow's share (threads, batches). Measured effects:
docs/training-speed.md. `speed.use`, `speed.planned_fit` and `speed.planned_predict` are
`runtime`'s, imported when first asked for: importing `speed.plan` alone imports no backend.
"""

RUNTIME = ("use", "planned_fit", "planned_predict")


def __getattr__(name: str):
    if name in RUNTIME:
        from mnist_cnn.speed import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module 'mnist_cnn.speed' has no attribute {name!r}")
