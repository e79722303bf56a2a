"""Tiny generator modules written here: a BigGAN-like one (latents, one-hot class, truncation;
images in [-1, 1], range not declared) and one declaring its range; the ProGAN stand-in."""

import pytest

from hubmodels._keras import tf
from hubmodels.hub.tf1_writer import add_signature, attach_message, write_module

v1 = tf.compat.v1
LATENT_DIM = 8
NUM_CLASSES = 3
PROGAN = "hubmodels://standin/google/progan-128/1"


def _tiny_module_fn(conditional, declared_range):
    z = v1.placeholder(tf.float32, [None, LATENT_DIM], name="z")
    inputs = {"z": z}
    features = z
    if conditional:
        inputs["y"] = v1.placeholder(tf.float32, [None, NUM_CLASSES], name="y")
        inputs["truncation"] = v1.placeholder(tf.float32, [], name="truncation")
        features = tf.concat([z * inputs["truncation"], 4.0 * inputs["y"]], axis=1)
    weights = v1.get_variable("w", [features.shape[1], 8 * 8 * 3], trainable=False)
    images = tf.tanh(tf.reshape(tf.matmul(features, weights), [-1, 8, 8, 3]))
    add_signature("default", inputs, {"default": images})
    if declared_range:
        attach_message("image_range", declared_range)


def write_tiny_generator(path, conditional=True, declared_range=None):
    """latents z [batch, 8] (+ y one-hot [batch, 3], truncation []) -> [batch, 8, 8, 3] in
    [-1, 1] (tanh), in the TF1 Hub format."""
    write_module(path, lambda: _tiny_module_fn(conditional, declared_range))
    return path


@pytest.fixture(scope="session")
def tiny_biggan(tmp_path_factory):
    return write_tiny_generator(tmp_path_factory.mktemp("tiny_biggan") / "module")


@pytest.fixture(scope="session")
def tiny_declared(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny_declared") / "module"
    return write_tiny_generator(path, conditional=False, declared_range="-1 1")
