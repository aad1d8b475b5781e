"""A Keras network as the drawing pad's page runs it in the browser (`drawing_pad_page.js`), with no library.

The network is the plain Keras model: `Conv2D`, `MaxPooling2D`, `Flatten`, `Dense`, `ReLU` and
`BatchNormalization` layers (folded into a scale and a shift), and layers that do nothing at
inference (`Dropout`, the random augmentations). The weights are float32 where they fit in
`WEIGHTS_BUDGET` (the original network's 93,322: 498 KB in base64), else float16, half the size
(the robust network's 188,234); docs/draw.md gives the agreement with Keras each keeps.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras

INACTIVE = {"Dropout", "RandomRotation", "RandomTranslation", "RandomZoom"}  # nothing to do at inference
ACTIVATIONS = {"linear", "relu", "softmax"}
WEIGHTS_BUDGET = 750_000  # bytes of base64 for float32 weights; a page's pad may add 1 MB in all


def network_layers(model: keras.Model) -> tuple[list[dict], np.ndarray]:
    """The model's layers as the page runs them, and all their weights in order, as one float32 array.

    Raises ValueError naming a layer (or a setting of one) that the page cannot run.
    """
    layers, weights = [], []
    for layer in model.layers:
        kind, config = type(layer).__name__, layer.get_config()
        if kind in INACTIVE:
            continue
        if config.get("data_format", "channels_last") != "channels_last" or config.get("activation", "linear") not in (
            ACTIVATIONS
        ):
            raise ValueError(f"Expected channels-last layers with linear, relu or softmax activations, found {kind}.")
        if kind == "Conv2D":
            if config["padding"] != "valid" or tuple(config["strides"]) != (1, 1) or config["activation"] == "softmax":
                raise ValueError(
                    f"Expected Conv2D with valid padding, stride 1 and no softmax, found {config['padding']!r} "
                    f"padding, strides {tuple(config['strides'])}, activation {config['activation']!r}."
                )
            kernel, *bias = layer.get_weights()
            layers.append({"kind": "conv2d", "shape": list(kernel.shape), "activation": config["activation"]})
            weights += [kernel, bias[0] if bias else np.zeros(kernel.shape[-1])]
        elif kind == "MaxPooling2D":
            if tuple(config["pool_size"]) != tuple(config["strides"]) or config["padding"] != "valid":
                raise ValueError(f"Expected MaxPooling2D with strides equal to its pool, found {config['strides']}.")
            layers.append({"kind": "max_pooling2d", "size": list(config["pool_size"])})
        elif kind == "Flatten":
            layers.append({"kind": "flatten"})
        elif kind == "Dense":
            kernel, *bias = layer.get_weights()
            layers.append({"kind": "dense", "shape": list(kernel.shape), "activation": config["activation"]})
            weights += [kernel, bias[0] if bias else np.zeros(kernel.shape[-1])]
        elif kind == "BatchNormalization":
            scale, shift = batch_norm_as_scale_and_shift(layer)
            layers.append({"kind": "scale_shift", "size": len(scale)})
            weights += [scale, shift]
        elif kind == "ReLU" and not any(config[name] for name in ("max_value", "negative_slope", "threshold")):
            layers.append({"kind": "relu"})
        else:
            raise ValueError(f"Expected the layers of a plain CNN, found {kind} ({layer.name}): the page can't run it.")
    return layers, np.concatenate([np.ravel(array) for array in weights]).astype(np.float32)


def batch_norm_as_scale_and_shift(layer: keras.layers.BatchNormalization) -> tuple[np.ndarray, np.ndarray]:
    """The layer at inference, `x * scale + shift`, from its moving mean and variance (and gamma, beta)."""
    config, weights = layer.get_config(), [np.asarray(array, dtype=np.float64) for array in layer.get_weights()]
    gamma = weights.pop(0) if config["scale"] else 1.0
    beta = weights.pop(0) if config["center"] else 0.0
    mean, variance = weights
    scale = gamma / np.sqrt(variance + config["epsilon"])
    return scale * np.ones_like(mean), beta - mean * scale


def browser_network(model: keras.Model) -> dict:
    """The model as `drawing_pad_page.js` runs it: its layers, and their weights in base64, float32 or float16."""
    layers, weights = network_layers(model)
    dtype = "<f4" if 4 * weights.size * 4 / 3 <= WEIGHTS_BUDGET else "<f2"
    encoded = base64.b64encode(weights.astype(dtype).tobytes()).decode("ascii")
    return {"layers": layers, "weights": encoded, "float_bits": 8 * np.dtype(dtype).itemsize}
