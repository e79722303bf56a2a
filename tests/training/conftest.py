"""A tiny TF1 Hub module beside the TF2 one of tests/conftest.py: fit must train both."""

import pytest

from hubmodels._keras import tf
from hubmodels.hub.tf1_writer import add_signature, write_module

v1 = tf.compat.v1


def _tiny_tf1_net():
    """images float32 [batch, 32, 32, 3] -> features [batch, 8]; blocks tiny/block1, block2."""
    images = v1.placeholder(tf.float32, [None, 32, 32, 3], name="images")
    x = images
    for block, channels in (("block1", 4), ("block2", 8)):
        kernel = v1.get_variable(
            f"tiny/{block}/conv/kernel",
            [3, 3, int(x.shape[-1]), channels],
            initializer=v1.random_normal_initializer(stddev=0.3),
        )
        x = tf.nn.relu(tf.nn.conv2d(x, kernel, strides=2, padding="SAME"))
    add_signature("default", {"images": images}, tf.reduce_mean(x, axis=[1, 2]))


@pytest.fixture(scope="session")
def tiny_tf1_image_module(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny_tf1_image") / "module"
    write_module(path, _tiny_tf1_net)
    return path


@pytest.fixture(params=["tiny_image_module", "tiny_tf1_image_module"], ids=["tf2", "tf1"])
def tiny_module(request):
    """The tiny image module in each format: a HubKerasLayer (TF2) or a ModuleLayer (TF1)."""
    return request.getfixturevalue(request.param)
