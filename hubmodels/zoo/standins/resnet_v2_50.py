"""Stand-in of google/imagenet/resnet_v2_50/feature_vector/1 (TF1 Hub format).

Signatures (tags {} and {"train"}; "train" normalises with batch statistics):
  default: images float32 [batch, 224, 224, 3] in [0, 1] -> default: features [batch, 2048]
  image_feature_vector: images -> default [batch, 2048] and the block outputs
    resnet_v2_50/block1 [batch, 28, 28, 256], block2 [batch, 14, 14, 512],
    block3 [batch, 7, 7, 1024], block4 [batch, 7, 7, 2048].

Variables mirror TF-Slim's resnet_v2_50: resnet_v2_50/conv1/{weights,biases},
resnet_v2_50/block<b>/unit_<u>/bottleneck_v2/{preact,shortcut,conv1,conv2,conv3}/...
(units 3, 4, 6, 3), resnet_v2_50/postnorm/{beta,gamma,moving_mean,moving_variance};
batch norm only in `preact` and `postnorm` (the original also has it after conv1 and conv2).
To stay cheap the input is downsampled first, and inside a block the residual stream
has NARROW channels: only each block's last unit widens to the block's output depth.
"""

from hubmodels._keras import tf
from hubmodels.hub.tf1_writer import add_signature, write_module
from hubmodels.zoo.registry import register
from hubmodels.zoo.standins import notice
from hubmodels.zoo.standins.layers import batch_norm, conv

v1 = tf.compat.v1
PATH = "google/imagenet/resnet_v2_50/feature_vector/1"
IMAGE_SIZE = 224
NARROW = 32
BOTTLENECK = 16
# (name, units, output depth, stride of the last unit), as in TF-Slim's resnet_v2_50.
BLOCKS = (
    ("block1", 3, 256, 2),
    ("block2", 4, 512, 2),
    ("block3", 6, 1024, 2),
    ("block4", 3, 2048, 1),
)


def _unit(x, depth, stride, is_training):
    """Pre-activation bottleneck: BN-ReLU, 1x1, 3x3 (stride), 1x1 to `depth`, plus shortcut."""
    with v1.variable_scope("bottleneck_v2"):
        preact = tf.nn.relu(batch_norm(x, is_training, scale=True, scope="preact"))
        if depth == x.shape[-1] and stride == 1:
            shortcut = x
        else:
            with v1.variable_scope("shortcut"):
                shortcut = conv(preact, depth, stride=stride, bias=True, gain=1.0)
        with v1.variable_scope("conv1"):
            y = tf.nn.relu(conv(preact, BOTTLENECK))
        with v1.variable_scope("conv2"):
            y = tf.nn.relu(conv(y, BOTTLENECK, kernel=3, stride=stride))
        with v1.variable_scope("conv3"):
            y = conv(y, depth, bias=True, gain=1.0)
    return shortcut + y


def resnet_v2_50(images, is_training):
    """images [batch, 224, 224, 3] -> (features [batch, 2048], block outputs by name)."""
    ends = {}
    with v1.variable_scope("resnet_v2_50"):
        x = tf.nn.avg_pool2d(images, 2, 2, "VALID")
        with v1.variable_scope("conv1"):
            x = conv(x, 64, kernel=3, stride=2, bias=True)
        for name, units, depth, stride in BLOCKS:
            with v1.variable_scope(name):
                for unit in range(1, units + 1):
                    last = unit == units
                    with v1.variable_scope(f"unit_{unit}"):
                        x = _unit(x, depth if last else NARROW, stride if last else 1, is_training)
            ends[f"resnet_v2_50/{name}"] = x
        x = tf.nn.relu(batch_norm(x, is_training, scale=True, scope="postnorm"))
        features = tf.reduce_mean(x, axis=[1, 2], name="pool5")
    return features, ends


def module_fn(is_training=False):
    images = v1.placeholder(tf.float32, [None, IMAGE_SIZE, IMAGE_SIZE, 3], name="images")
    features, ends = resnet_v2_50(images, is_training)
    add_signature("default", {"images": images}, {"default": features})
    add_signature("image_feature_vector", {"images": images}, {"default": features, **ends})
    notice.attach(PATH)


@register(
    name=f"standin/{PATH}",
    category="image_feature_vector",
    summary="ResNet-50 v2 ImageNet feature vector interface (2048 features, block outputs)",
    standin_of=notice.tfhub_url(PATH),
)
def build(out_dir):
    write_module(
        out_dir, module_fn, tags_and_args=[(set(), {}), ({"train"}, {"is_training": True})]
    )
