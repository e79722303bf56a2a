"""Stand-in of google/imagenet/inception_v3/classification/1 (TF1 Hub format).

Signatures (tags {} and {"train"}; "train" normalises with batch statistics):
  default: images float32 [batch, 299, 299, 3] in [0, 1] -> default: logits [batch, 1001]
  image_classification: images -> default and InceptionV3/Logits [batch, 1001],
    InceptionV3/global_pool [batch, 1, 1, 2048] and the TF-Slim end points
    InceptionV3/Conv2d_1a_3x3 [batch, 149, 149, 32] ... InceptionV3/Mixed_7c [batch, 8, 8, 2048]
  image_feature_vector: images -> default [batch, 2048], InceptionV3/global_pool and the
    same end points.

Every end point has the original's shape and variable scope (InceptionV3/<end point>/...,
InceptionV3/Logits/Conv2d_1c_1x1/{weights,biases}), but the network between them is a
cheap chain: early downsampling, depthwise convolutions, and mixed blocks that reduce to
NARROW channels before expanding to the end point's depth.
"""

from hubmodels._keras import tf
from hubmodels.hub.tf1_writer import add_signature, write_module
from hubmodels.zoo.registry import register
from hubmodels.zoo.standins import notice
from hubmodels.zoo.standins.layers import batch_norm, conv, conv_bn_relu, depthwise

v1 = tf.compat.v1
PATH = "google/imagenet/inception_v3/classification/1"
IMAGE_SIZE = 299
NUM_CLASSES = 1001
NARROW = 16
# Mixed blocks: (name, depth, halves the spatial size first).
MIXED = (
    ("Mixed_5b", 256, False),
    ("Mixed_5c", 288, False),
    ("Mixed_5d", 288, False),
    ("Mixed_6a", 768, True),
    ("Mixed_6b", 768, False),
    ("Mixed_6c", 768, False),
    ("Mixed_6d", 768, False),
    ("Mixed_6e", 768, False),
    ("Mixed_7a", 1280, True),
    ("Mixed_7b", 2048, False),
    ("Mixed_7c", 2048, False),
)


def _depthwise_bn_relu(x, scope, is_training, multiplier=1, padding="SAME"):
    with v1.variable_scope(scope):
        return tf.nn.relu(batch_norm(depthwise(x, 3, multiplier, padding), is_training))


def _narrow(x, scope, padding="SAME"):
    """1x1 reduction to NARROW channels, then a 3x3 depthwise convolution; no batch norm."""
    with v1.variable_scope(scope):
        with v1.variable_scope("Conv2d_0a_1x1"):
            y = tf.nn.relu(conv(x, NARROW))
        with v1.variable_scope("Conv2d_0b_3x3"):
            return tf.nn.relu(depthwise(y, 3, 1, padding))


def _max_pool(x, name):
    return tf.nn.max_pool2d(x, 3, 2, "VALID", name=name)


def _mixed(x, depth, downsample, is_training):
    """Narrow down (Branch_0), optionally halve, expand to `depth` (Branch_1)."""
    y = _narrow(x, "Branch_0")
    if downsample:
        y = _max_pool(y, "Branch_0/MaxPool_1a_3x3")
    return conv_bn_relu(y, "Branch_1/Conv2d_0c_1x1", depth, is_training)


def inception_v3(images, is_training):
    """images [batch, 299, 299, 3] -> (logits [batch, 1001], end points by name)."""
    ends = {}
    with v1.variable_scope("InceptionV3"):
        x = tf.nn.avg_pool2d(images, 3, 2, "VALID")
        ends["Conv2d_1a_3x3"] = x = conv_bn_relu(x, "Conv2d_1a_3x3", 32, is_training)
        ends["Conv2d_2a_3x3"] = x = _depthwise_bn_relu(
            x, "Conv2d_2a_3x3", is_training, padding="VALID"
        )
        ends["Conv2d_2b_3x3"] = x = _depthwise_bn_relu(x, "Conv2d_2b_3x3", is_training, 2)
        ends["MaxPool_3a_3x3"] = x = _max_pool(x, "MaxPool_3a_3x3")
        ends["Conv2d_3b_1x1"] = x = conv_bn_relu(x, "Conv2d_3b_1x1", 80, is_training)
        with v1.variable_scope("Conv2d_4a_3x3"):
            y = _narrow(x, "Branch_0", padding="VALID")
            ends["Conv2d_4a_3x3"] = x = conv_bn_relu(y, "Conv2d_0c_1x1", 192, is_training)
        ends["MaxPool_5a_3x3"] = x = _max_pool(x, "MaxPool_5a_3x3")
        for name, depth, downsample in MIXED:
            with v1.variable_scope(name):
                ends[name] = x = _mixed(x, depth, downsample, is_training)
        with v1.variable_scope("Logits"):
            ends["global_pool"] = pool = tf.reduce_mean(
                x, axis=[1, 2], keepdims=True, name="GlobalPool"
            )
            with v1.variable_scope("Conv2d_1c_1x1"):
                logits = conv(pool, NUM_CLASSES, bias=True)
            ends["Logits"] = logits = tf.squeeze(logits, [1, 2], name="SpatialSqueeze")
    return logits, ends


def module_fn(is_training=False):
    images = v1.placeholder(tf.float32, [None, IMAGE_SIZE, IMAGE_SIZE, 3], name="images")
    logits, ends = inception_v3(images, is_training)
    layers = {f"InceptionV3/{name}": t for name, t in ends.items() if name != "Logits"}
    features = tf.squeeze(ends["global_pool"], [1, 2], name="feature_vector")
    add_signature("default", {"images": images}, {"default": logits})
    add_signature(
        "image_classification",
        {"images": images},
        {"default": logits, "InceptionV3/Logits": logits, **layers},
    )
    add_signature("image_feature_vector", {"images": images}, {"default": features, **layers})
    notice.attach(PATH)


@register(
    name=f"standin/{PATH}",
    category="image_classification",
    summary="Inception V3 ImageNet classifier interface (1001 logits, 2048 features, end points)",
    standin_of=notice.tfhub_url(PATH),
)
def build(out_dir):
    write_module(
        out_dir, module_fn, tags_and_args=[(set(), {}), ({"train"}, {"is_training": True})]
    )
