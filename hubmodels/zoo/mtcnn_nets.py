"""MTCNN's three networks (P-Net, R-Net, O-Net) as tf.Modules over the `mtcnn` wheel's arrays.

Each network is a stack of layers whose weights come in the order of the arrays in
its weight file (Keras `get_weights()` order): convolutions (VALID padding, kernel
[kh, kw, c_in, c_out] and bias), PReLUs (alpha shared over height and width after a
convolution), max pools, and for R-Net and O-Net a flatten of the feature map taken
in [width, height, channel] order (the Caffe layout the weights were trained in),
then dense layers. Inputs are normalised images, (pixel - 127.5) / 128, RGB.

- PNet: [1, h, w, 3] -> box offsets [1, h', w', 4], face probabilities [1, h', w'],
  with h' = ceil((h - 2) / 2) - 4 (one cell per 12x12 window, stride 2).
- RNet: crops [n, 24, 24, 3] -> box offsets [n, 4], face probabilities [n].
- ONet: crops [n, 48, 48, 3] -> box offsets [n, 4], landmarks [n, 10] (x1..x5, y1..y5,
  relative to the crop), face probabilities [n].
"""

from hubmodels._keras import tf
from hubmodels.errors import ModuleFormatError

# Layers in weight-file order: ("conv", c_in, c_out, k), ("prelu", channels, shared),
# ("pool", size, padding), ("flatten",), ("dense", c_in, c_out).
PNET = (
    ("conv", 3, 10, 3),
    ("prelu", 10, True),
    ("pool", 2, "SAME"),
    ("conv", 10, 16, 3),
    ("prelu", 16, True),
    ("conv", 16, 32, 3),
    ("prelu", 32, True),
)
PNET_HEADS = (("conv", 32, 4, 1), ("conv", 32, 2, 1))
RNET = (
    ("conv", 3, 28, 3),
    ("prelu", 28, True),
    ("pool", 3, "SAME"),
    ("conv", 28, 48, 3),
    ("prelu", 48, True),
    ("pool", 3, "VALID"),
    ("conv", 48, 64, 2),
    ("prelu", 64, True),
    ("flatten",),
    ("dense", 576, 128),
    ("prelu", 128, False),
)
RNET_HEADS = (("dense", 128, 4), ("dense", 128, 2))
ONET = (
    ("conv", 3, 32, 3),
    ("prelu", 32, True),
    ("pool", 3, "SAME"),
    ("conv", 32, 64, 3),
    ("prelu", 64, True),
    ("pool", 3, "VALID"),
    ("conv", 64, 64, 3),
    ("prelu", 64, True),
    ("pool", 2, "SAME"),
    ("conv", 64, 128, 2),
    ("prelu", 128, True),
    ("flatten",),
    ("dense", 1152, 256),
    ("prelu", 256, False),
)
ONET_HEADS = (("dense", 256, 4), ("dense", 256, 10), ("dense", 256, 2))


class _Arrays:
    """The weight file's arrays, taken in order with their expected shapes."""

    def __init__(self, arrays: list, origin: str):
        self._arrays = list(arrays)
        self._origin = origin
        self._taken = 0

    def take(self, shape: tuple):
        if self._taken == len(self._arrays):
            raise ModuleFormatError(
                f"{self._origin} has {len(self._arrays)} arrays, the network needs more"
            )
        array = self._arrays[self._taken]
        if array.shape != shape:
            raise ModuleFormatError(
                f"{self._origin}: array {self._taken} has shape {array.shape}, expected {shape}"
            )
        self._taken += 1
        return array.astype("float32")

    def check_used(self):
        if self._taken != len(self._arrays):
            raise ModuleFormatError(
                f"{self._origin} has {len(self._arrays)} arrays, the network uses {self._taken}"
            )


class _Net(tf.Module):
    """A stack of `layers` and parallel `heads` (see the tables above)."""

    def __init__(self, name: str, layers: tuple, heads: tuple, arrays: list, origin: str):
        super().__init__(name=name)
        source = _Arrays(arrays, origin)
        self.weights = []  # tracked here: the layer functions only close over them
        self._layers = [self._make(f"{name}/layer{i}", s, source) for i, s in enumerate(layers)]
        self._heads = [self._make(f"{name}/head{i}", s, source) for i, s in enumerate(heads)]
        source.check_used()

    def _variable(self, source: _Arrays, shape: tuple, name: str) -> tf.Variable:
        variable = tf.Variable(source.take(shape), trainable=False, name=name)
        self.weights.append(variable)
        return variable

    def _make(self, scope: str, spec: tuple, source: _Arrays):
        kind = spec[0]
        if kind == "conv":
            _, c_in, c_out, k = spec
            kernel = self._variable(source, (k, k, c_in, c_out), f"{scope}/kernel")
            bias = self._variable(source, (c_out,), f"{scope}/bias")
            return lambda x: tf.nn.conv2d(x, kernel, 1, "VALID") + bias
        if kind == "dense":
            _, c_in, c_out = spec
            kernel = self._variable(source, (c_in, c_out), f"{scope}/kernel")
            bias = self._variable(source, (c_out,), f"{scope}/bias")
            return lambda x: tf.matmul(x, kernel) + bias
        if kind == "prelu":
            _, channels, shared = spec
            shape = (1, 1, channels) if shared else (channels,)
            alpha = self._variable(source, shape, f"{scope}/alpha")
            return lambda x: tf.nn.relu(x) - alpha * tf.nn.relu(-x)
        if kind == "pool":
            _, size, padding = spec
            return lambda x: tf.nn.max_pool2d(x, size, 2, padding)
        # flatten in [width, height, channel] order
        return lambda x: tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [tf.shape(x)[0], -1])

    def __call__(self, x):
        for layer in self._layers:
            x = layer(x)
        outputs = [head(x) for head in self._heads]
        # the last head gives (not face, face) logits
        return (*outputs[:-1], tf.nn.softmax(outputs[-1])[..., 1])


def pnet(arrays: list, origin: str = "pnet weights") -> _Net:
    return _Net("pnet", PNET, PNET_HEADS, arrays, origin)


def rnet(arrays: list, origin: str = "rnet weights") -> _Net:
    return _Net("rnet", RNET, RNET_HEADS, arrays, origin)


def onet(arrays: list, origin: str = "onet weights") -> _Net:
    return _Net("onet", ONET, ONET_HEADS, arrays, origin)
