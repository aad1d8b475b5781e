"""A model that runs the user's model's own layers and weights as a plan says, so that training it trains theirs.

Shards, the unseen image edge skipped, one convolution in bfloat16: each computes what the
user's model computes, through the same layers and weights (docs/training-speed.md).
"""

from __future__ import annotations

import math

import keras

from mnist_cnn.speed.plan import ExecutionPlan


class PlannedModel(keras.Model):
    """A model that runs `model`'s own layers and weights as a plan says: in `shards`, skipping `crop` edge pixels.

    It computes what `model` computes, through the same layers and weights: training it trains
    `model`. The shards go through the same layers and are joined in order, so the loss and its
    gradient are the same sums, added in another order. `crop` last rows and columns of each image
    are skipped. The layer at `bfloat16_layer_index` (a Conv2D), if any, computes in bfloat16 from
    its float32 weights; the model itself is never changed.
    """

    def __init__(self, model: keras.Model, *, shards: int = 1, crop: int = 0, bfloat16_layer_index: int | None = None):
        self.network = None  # set below: the properties read it while keras.Model starts
        if shards < 1:
            raise ValueError(f"Expected at least 1 shard, found {shards}.")
        if (crop or bfloat16_layer_index is not None) and not isinstance(model, keras.Sequential):
            raise ValueError(f"Expected a keras.Sequential model to crop or cast, found {type(model).__name__}.")
        super().__init__(name=f"{model.name}_planned")
        self.network, self.shards, self.crop = model, shards, crop
        self.bfloat16_layer_index = bfloat16_layer_index
        self.built = True

    # Callbacks are given the user's model (`training.train`): what they ask of it, fit asks here.
    @property
    def stop_training(self) -> bool:
        return self.network is not None and self.network.stop_training

    @stop_training.setter
    def stop_training(self, value: bool) -> None:
        if self.network is not None:
            self.network.stop_training = value

    @property
    def history(self) -> keras.callbacks.History | None:
        return getattr(self.network, "history", None)

    def call(self, inputs, training=None):
        if self.shards == 1:
            return self._run(inputs, training)
        # TensorFlow's oneDNN convolution fails on an empty shard, so a batch smaller than the
        # number of shards gets blank images appended, whose outputs are dropped at the end.
        size = keras.ops.shape(inputs)[0]  # a number where the backend knows it (JAX), else a tensor
        missing = max(self.shards - size, 0) if isinstance(size, int) else keras.ops.maximum(self.shards - size, 0)
        blanks = keras.ops.zeros((missing, *inputs.shape[1:]), inputs.dtype)
        padded = keras.ops.concatenate([inputs, blanks], axis=0)
        padded_size = keras.ops.shape(padded)[0]
        bounds = [padded_size * shard // self.shards for shard in range(self.shards + 1)]
        outputs = [self._run(padded[start:stop], training) for start, stop in zip(bounds[:-1], bounds[1:])]
        return keras.ops.concatenate(outputs, axis=0)[:size]

    def _run(self, inputs, training):
        if not self.crop and self.bfloat16_layer_index is None:
            return self.network(inputs, training=training)
        outputs = inputs[:, : -self.crop, : -self.crop] if self.crop else inputs
        for index, layer in enumerate(self.network.layers):
            if index == self.bfloat16_layer_index:
                outputs = bfloat16_convolution(layer, outputs)
            else:
                outputs = layer(outputs, training=training)
        return outputs


def bfloat16_convolution(layer: keras.layers.Conv2D, inputs: keras.KerasTensor) -> keras.KerasTensor:
    """What `layer` computes, in bfloat16 from its float32 weights (as Keras's mixed_bfloat16 policy does)."""
    outputs = layer.convolution_op(keras.ops.cast(inputs, "bfloat16"), keras.ops.cast(layer.kernel, "bfloat16"))
    if layer.use_bias:
        outputs = outputs + keras.ops.reshape(keras.ops.cast(layer.bias, "bfloat16"), (1, 1, 1, -1))
    if layer.activation is not None:
        outputs = layer.activation(outputs)
    return keras.ops.cast(outputs, "float32")


def planned_model(model: keras.Model, plan: ExecutionPlan, *, training: bool = False) -> keras.Model:
    """A `PlannedModel` that runs `model` as `plan` says, or `model` itself where the plan changes nothing.

    Only `training` computes in bfloat16, where the plan says so: predictions are float32.
    """
    crop = unseen_edge(model) if plan.crop_unseen_edge else 0
    convolution = largest_convolution(model) if plan.bfloat16 and training else None
    bfloat16_layer_index = model.layers.index(convolution) if convolution is not None else None
    if plan.shards == 1 and not crop and bfloat16_layer_index is None:
        return model
    return PlannedModel(model, shards=plan.shards, crop=crop, bfloat16_layer_index=bfloat16_layer_index)


def training_model(model: keras.Model, plan: ExecutionPlan) -> keras.Model:
    """`planned_model` for training, compiled as `model` is, with the model's own optimizer; `model` as built."""
    if not model.compiled:
        raise ValueError(f"Expected a compiled model (model.compile(...)), found {model.name!r} uncompiled.")
    if plan.as_built:
        return model
    planned = planned_model(model, plan, training=True)
    planned = PlannedModel(model) if planned is model else planned  # steps per call alone: `model` keeps its own
    settings = keras.saving.deserialize_keras_object(model.get_compile_config())
    settings.update(optimizer=model.optimizer, steps_per_execution=plan.steps_per_execution)
    planned.compile(**settings)
    return planned


def largest_convolution(model: keras.Model) -> keras.layers.Conv2D | None:
    """The (channels-last) Conv2D layer with the most multiply-adds per image, or None if there is none."""
    convolutions = [
        layer
        for layer in getattr(model, "layers", [])
        if isinstance(layer, keras.layers.Conv2D) and layer.data_format == "channels_last"
    ]
    if not convolutions:
        return None
    return max(convolutions, key=lambda layer: math.prod(layer.kernel.shape) * math.prod(layer.output.shape[1:3]))


def unseen_edge(model: keras.Model) -> int:
    """How many last rows and columns of an image no output of `model` depends on.

    Valid (unpadded) convolutions and poolings drop whatever of their input does not fill a
    whole window. Traced back from the layer before `Flatten` to the image, that leaves an
    edge the network never looks at: 2 rows and 2 columns in the original CNN. Any layer
    other than such convolutions and poolings before `Flatten` makes it 0.
    """
    windows = []  # (kernel, stride) per spatial axis, per layer
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.Flatten):
            break
        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D)):
            return 0
        if layer.padding != "valid" or layer.data_format != "channels_last":
            return 0
        if isinstance(layer, keras.layers.Conv2D):
            if tuple(layer.dilation_rate) != (1, 1):
                return 0
            windows.append(tuple(zip(layer.kernel_size, layer.strides)))
        else:
            windows.append(tuple(zip(layer.pool_size, layer.strides)))
    else:
        return 0
    edges = []
    for axis, size in enumerate(model.input_shape[1:3]):
        used = size
        for window in windows:  # forward: the size of each layer's output
            kernel, stride = window[axis]
            used = (used - kernel) // stride + 1
        for window in reversed(windows):  # back: how much of each layer's input that output uses
            kernel, stride = window[axis]
            used = (used - 1) * stride + kernel
        edges.append(size - used)
    return min(edges)
