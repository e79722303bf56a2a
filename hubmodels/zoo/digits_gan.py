"""A small conditional DCGAN trained here on scikit-learn's handwritten digits.

The zoo module `hubmodels://digits_gan/generator` is in the TF1 Hub format, like
google/progan-128/1, so the same code paths serve both. Signature `default` (tags {}):

  default: latent vectors float32 [batch, 32] (standard normal, as for ProGAN)
  y: the digit as a one-hot float32 [batch, 10] (BigGAN's name for its class input)
  -> default: RGB images float32 [batch, 32, 32, 3] in [0, 1] (white digit on black).

The network makes the digits' own 8 x 8 grey images (a dense layer to 4 x 4 x 64, nearest
upsampling, two 3 x 3 convolutions, tanh); the module upsamples them bilinearly to 32 x 32
and repeats the grey level in three channels. The range [0, 1] is declared in the module
as the attached message `image_range` (read by hubmodels.tasks.generation).

Training (when the zoo builds it; about a minute on 2 cores): the 1797 digits of
`sklearn.datasets.load_digits` scaled to [-1, 1], a projection discriminator (two strided
convolutions, a dense layer, a class embedding), the non-saturating GAN loss, Adam, batches
of 64. Every random number (initial weights, batches, latents) comes from one numpy
generator seeded with SEED, so a build gives the same weights on the same machine.
Quality figures: scripts/measure_digits_gan.py.
"""

import numpy as np

from hubmodels._keras import tf
from hubmodels.errors import ZooError
from hubmodels.hub.tf1_writer import add_signature, attach_message, write_module
from hubmodels.zoo.registry import register

v1 = tf.compat.v1
NAME = "digits_gan/generator"
LATENT_DIM = 32
NUM_CLASSES = 10
IMAGE_SIZE = 32
SEED = 0
STEPS = 1200
BATCH = 64
LEARNING_RATE = 2e-4
# Range of the module's images, declared to readers in the attached message of this key.
RANGE_KEY = "image_range"


def _normal(rng, shape, fan_in):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype("float32")


def initial_weights(rng) -> tuple:
    """(generator, discriminator) weights: dicts name -> float32 array."""
    gen = {
        "dense/w": _normal(rng, [LATENT_DIM + NUM_CLASSES, 4 * 4 * 64], LATENT_DIM),
        "dense/b": np.zeros([4 * 4 * 64], "float32"),
        "conv1/w": _normal(rng, [3, 3, 64, 32], 9 * 64),
        "conv1/b": np.zeros([32], "float32"),
        "conv2/w": _normal(rng, [3, 3, 32, 1], 9 * 32) * 0.5,
        "conv2/b": np.zeros([1], "float32"),
    }
    disc = {
        "conv1/w": _normal(rng, [3, 3, 1, 32], 9),
        "conv1/b": np.zeros([32], "float32"),
        "conv2/w": _normal(rng, [3, 3, 32, 64], 9 * 32),
        "conv2/b": np.zeros([64], "float32"),
        "dense/w": _normal(rng, [4 * 4 * 64, 128], 4 * 4 * 64),
        "dense/b": np.zeros([128], "float32"),
        "out/w": _normal(rng, [128, 1], 128) * 0.5,
        "out/b": np.zeros([1], "float32"),
        "embed": _normal(rng, [NUM_CLASSES, 128], 128) * 0.5,
    }
    return gen, disc


def generate(w, latents, onehot):
    """latents [batch, 32], onehot [batch, 10] -> grey digits [batch, 8, 8, 1] in [-1, 1]."""
    x = tf.matmul(tf.concat([latents, onehot], axis=1), w["dense/w"]) + w["dense/b"]
    x = tf.nn.leaky_relu(tf.reshape(x, [-1, 4, 4, 64]), 0.2)
    x = tf.repeat(tf.repeat(x, 2, axis=1), 2, axis=2)
    x = tf.nn.leaky_relu(tf.nn.conv2d(x, w["conv1/w"], 1, "SAME") + w["conv1/b"], 0.2)
    return tf.tanh(tf.nn.conv2d(x, w["conv2/w"], 1, "SAME") + w["conv2/b"])


def discriminate(w, images, onehot):
    """images [batch, 8, 8, 1] in [-1, 1], onehot [batch, 10] -> logits [batch]."""
    x = tf.nn.leaky_relu(tf.nn.conv2d(images, w["conv1/w"], 1, "SAME") + w["conv1/b"], 0.2)
    x = tf.nn.leaky_relu(tf.nn.conv2d(x, w["conv2/w"], 2, "SAME") + w["conv2/b"], 0.2)
    x = tf.reshape(x, [-1, 4 * 4 * 64])
    h = tf.nn.leaky_relu(tf.matmul(x, w["dense/w"]) + w["dense/b"], 0.2)
    projection = tf.reduce_sum(h * tf.matmul(onehot, w["embed"]), axis=1)
    return tf.squeeze(tf.matmul(h, w["out/w"]) + w["out/b"], 1) + projection


def load_digits() -> tuple:
    """(images float32 [1797, 8, 8, 1] in [-1, 1], labels int [1797]) from scikit-learn."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ZooError(
            f"building zoo module {NAME} needs scikit-learn (its training data): "
            "pip install 'hubmodels[examples]'"
        ) from None
    digits = sklearn_digits()
    images = (digits.images / 8.0 - 1.0).astype("float32")[..., None]
    return images, digits.target.astype("int64")


def train(steps=STEPS, seed=SEED, log_every=0) -> dict:
    """Trains the GAN; returns the generator's weights (name -> float32 array)."""
    images, labels = load_digits()
    rng = np.random.default_rng(seed)
    gen_init, disc_init = initial_weights(rng)
    gen = {k: tf.Variable(v) for k, v in gen_init.items()}
    disc = {k: tf.Variable(v) for k, v in disc_init.items()}
    # Adam from tf-keras: deterministic given its inputs, no random state of its own.
    from hubmodels._keras import keras

    gen_opt = keras.optimizers.Adam(LEARNING_RATE, beta_1=0.5)
    disc_opt = keras.optimizers.Adam(LEARNING_RATE, beta_1=0.5)
    eye = np.eye(NUM_CLASSES, dtype="float32")

    @tf.function
    def step(real, real_onehot, latents, fake_onehot):
        with tf.GradientTape(persistent=True) as tape:
            fake = generate(gen, latents, fake_onehot)
            real_logits = discriminate(disc, real, real_onehot)
            fake_logits = discriminate(disc, fake, fake_onehot)
            disc_loss = tf.reduce_mean(tf.nn.softplus(-real_logits) + tf.nn.softplus(fake_logits))
            gen_loss = tf.reduce_mean(tf.nn.softplus(-fake_logits))
        disc_vars, gen_vars = list(disc.values()), list(gen.values())
        disc_opt.apply_gradients(zip(tape.gradient(disc_loss, disc_vars), disc_vars))
        gen_opt.apply_gradients(zip(tape.gradient(gen_loss, gen_vars), gen_vars))
        return disc_loss, gen_loss

    for i in range(steps):
        batch = rng.integers(0, len(images), BATCH)
        latents = rng.standard_normal([BATCH, LATENT_DIM]).astype("float32")
        fake_classes = rng.integers(0, NUM_CLASSES, BATCH)
        losses = step(images[batch], eye[labels[batch]], latents, eye[fake_classes])
        if log_every and (i + 1) % log_every == 0:
            print(f"step {i + 1}: discriminator {losses[0]:.3f}, generator {losses[1]:.3f}")
    return {k: v.numpy() for k, v in gen.items()}


def module_fn(weights):
    latents = v1.placeholder(tf.float32, [None, LATENT_DIM], name="latents")
    onehot = v1.placeholder(tf.float32, [None, NUM_CLASSES], name="y")
    with v1.variable_scope("generator"):
        w = {
            k: v1.get_variable(k, initializer=tf.constant(v), trainable=False)
            for k, v in weights.items()
        }
    grey = (generate(w, latents, onehot) + 1.0) / 2.0
    grey = tf.image.resize(grey, [IMAGE_SIZE, IMAGE_SIZE], method="bilinear")
    images = tf.clip_by_value(tf.tile(grey, [1, 1, 1, 3]), 0.0, 1.0)
    add_signature("default", {"default": latents, "y": onehot}, {"default": images})
    attach_message(RANGE_KEY, "0 1")


@register(
    name=NAME,
    category="image_generator",
    summary=(
        "conditional DCGAN trained here on scikit-learn's digits: 32-d latents and one-hot "
        "digit -> 32 x 32 RGB images in [0, 1]"
    ),
    trained_on="scikit-learn's handwritten digits (1797 images)",
)
def build(out_dir):
    weights = train()
    write_module(out_dir, lambda: module_fn(weights))
