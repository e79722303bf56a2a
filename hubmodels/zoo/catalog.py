"""Imports every module that registers zoo entries (see registry.py)."""

from hubmodels.zoo import augmentation, digits_gan, efficientnet_lite, minilm, mtcnn  # noqa: F401
from hubmodels.zoo.standins import (  # noqa: F401
    elmo,
    faster_rcnn,
    i3d,
    inception_v3,
    progan,
    resnet_v2_50,
)
