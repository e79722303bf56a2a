"""Stand-in of google/progan-128/1 (TF1 Hub format).

Signature `default` (tags {}):
  default: latent vectors float32 [batch, 512] (sampled from a standard normal)
  -> default: RGB images float32 [batch, 128, 128, 3] in [0, 1].

A progressive generator in shape only: a dense layer to 4 x 4, then five rounds of
nearest-neighbour upsampling and a 3 x 3 convolution (narrowing as resolution grows) up
to 128 x 128, and a 1 x 1 convolution to RGB; variables under generator/<resolution>/...
Not trainable, as the original is used for inference only.
"""

from hubmodels._keras import tf
from hubmodels.hub.tf1_writer import add_signature, write_module
from hubmodels.zoo.registry import register
from hubmodels.zoo.standins import notice
from hubmodels.zoo.standins.layers import conv, dense

v1 = tf.compat.v1
PATH = "google/progan-128/1"
LATENT_DIM = 512
# Channels at 4, 8, 16, 32, 64 and 128 pixels.
CHANNELS = (64, 48, 32, 16, 8, 8)


def _pixel_norm(x):
    return x * tf.math.rsqrt(tf.reduce_mean(tf.square(x), axis=-1, keepdims=True) + 1e-8)


def generate(latents):
    """latents [batch, 512] -> images [batch, 128, 128, 3] in [0, 1]."""
    with v1.variable_scope("generator"):
        with v1.variable_scope("4x4/Dense"):
            x = dense(_pixel_norm(latents), 16 * CHANNELS[0], trainable=False)
        x = _pixel_norm(tf.nn.leaky_relu(tf.reshape(x, [-1, 4, 4, CHANNELS[0]]), 0.2))
        for level, channels in enumerate(CHANNELS[1:], start=1):
            size = 4 * 2**level
            with v1.variable_scope(f"{size}x{size}/Conv"):
                x = tf.repeat(tf.repeat(x, 2, axis=1), 2, axis=2)
                x = conv(x, channels, kernel=3, bias=True, trainable=False)
                x = _pixel_norm(tf.nn.leaky_relu(x, 0.2))
        with v1.variable_scope("ToRGB_lod0"):
            rgb = conv(x, 3, bias=True, trainable=False, gain=1.0)
    return tf.clip_by_value(rgb * 0.25 + 0.5, 0.0, 1.0)


def module_fn():
    latents = v1.placeholder(tf.float32, [None, LATENT_DIM], name="latents")
    add_signature("default", {"default": latents}, {"default": generate(latents)})
    notice.attach(PATH)


@register(
    name=f"standin/{PATH}",
    category="image_generator",
    summary="ProGAN-128 generator interface (512-d latents -> 128 x 128 RGB images)",
    standin_of=notice.tfhub_url(PATH),
)
def build(out_dir):
    write_module(out_dir, module_fn)
