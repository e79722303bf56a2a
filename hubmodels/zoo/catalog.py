"""Imports every module that registers zoo entries (see registry.py)."""

from hubmodels.zoo import augmentation, efficientnet_lite, minilm  # noqa: F401
