"""Stand-in of deepmind/i3d-kinetics-400/1 (TF1 Hub format).

Signature `default` (tags {}):
  rgb_input: float32 [batch, frames, 224, 224, 3] in [0, 1], any number of frames >= 1
  -> default: logits [batch, 400] (Kinetics-400 actions), averaged over time.

Variables mirror DeepMind's Sonnet I3D (RGB/inception_i3d/<layer>/conv_3d/w,
.../batch_norm/{beta,moving_mean,moving_variance}, Logits/Conv3d_0c_1x1/conv_3d/{w,b}),
with the original's layer names; the layers are narrow and the frames are downsampled
to 28 x 28 pixels first.
"""

from hubmodels._keras import tf
from hubmodels.hub.tf1_writer import add_signature, write_module
from hubmodels.zoo.registry import register
from hubmodels.zoo.standins import notice
from hubmodels.zoo.standins.layers import batch_norm, variable

v1 = tf.compat.v1
PATH = "deepmind/i3d-kinetics-400/1"
IMAGE_SIZE = 224
NUM_CLASSES = 400
DOWNSAMPLE = 8
# (layer, output channels, kernel, spatial stride); pooling between them as in I3D.
LAYERS = (
    ("Conv3d_1a_7x7", 16, 3, 2),
    ("Conv3d_2b_1x1", 16, 1, 1),
    ("Conv3d_2c_3x3", 32, 3, 1),
    ("Mixed_3b", 32, 1, 1),
    ("Mixed_3c", 48, 3, 2),
    ("Mixed_4b", 48, 1, 1),
    ("Mixed_4c", 48, 3, 1),
    ("Mixed_4d", 48, 1, 1),
    ("Mixed_4e", 64, 3, 1),
    ("Mixed_4f", 64, 1, 2),
    ("Mixed_5b", 64, 3, 1),
    ("Mixed_5c", 64, 1, 1),
)


def _unit3d(x, channels, kernel, stride, bias=False, activation=True):
    """Sonnet's Unit3D: conv_3d/w (and b), then batch_norm (inference statistics) and ReLU."""
    with v1.variable_scope("conv_3d"):
        weights = variable("w", [kernel] * 3 + [x.shape[-1], channels])
        x = tf.nn.conv3d(x, weights, [1, 1, stride, stride, 1], "SAME")
        if bias:
            x += variable("b", [channels], v1.zeros_initializer())
    if not activation:
        return x
    return tf.nn.relu(batch_norm(x, is_training=False, scope="batch_norm"))


def i3d(rgb_input):
    """rgb_input [batch, frames, 224, 224, 3] -> logits [batch, 400]."""
    with v1.variable_scope("RGB/inception_i3d"):
        window = [1, 1, DOWNSAMPLE, DOWNSAMPLE, 1]
        x = tf.nn.avg_pool3d(rgb_input * 2.0 - 1.0, window, window, "VALID")
        for name, channels, kernel, stride in LAYERS:
            with v1.variable_scope(f"{name}/Branch_0" if name.startswith("Mixed") else name):
                x = _unit3d(x, channels, kernel, stride)
        x = tf.reduce_mean(x, axis=[2, 3], keepdims=True)
        with v1.variable_scope("Logits/Conv3d_0c_1x1"):
            logits = _unit3d(x, NUM_CLASSES, 1, 1, bias=True, activation=False)
        return tf.reduce_mean(tf.squeeze(logits, [2, 3]), axis=1, name="averaged_logits")


def module_fn():
    rgb_input = v1.placeholder(
        tf.float32, [None, None, IMAGE_SIZE, IMAGE_SIZE, 3], name="rgb_input"
    )
    add_signature("default", {"rgb_input": rgb_input}, {"default": i3d(rgb_input)})
    notice.attach(PATH)


@register(
    name=f"standin/{PATH}",
    category="video_classification",
    summary="I3D Kinetics-400 video classifier interface (RGB clips -> 400 logits)",
    standin_of=notice.tfhub_url(PATH),
)
def build(out_dir):
    write_module(out_dir, module_fn)
