"""Tiny image data for the tuning tests: two classes told apart by their red channel."""

import numpy as np

from hubmodels._keras import tf

CLASSES = ("dark", "red")


def images_and_labels(count, seed):
    """float32 [count, 32, 32, 3] in [0, 1] and int32 labels; class 1 is much redder."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count, dtype=np.int32) % 2
    images = rng.uniform(0, 0.3, (count, 32, 32, 3)).astype("float32")
    images[labels == 1, :, :, 0] += 0.6
    return images, labels


def datasets(batch_size=8):
    """(train, validation) tf.data.Datasets of (images, labels) batches: 24 and 8 images."""
    train = tf.data.Dataset.from_tensor_slices(images_and_labels(24, seed=0))
    validation = tf.data.Dataset.from_tensor_slices(images_and_labels(8, seed=1))
    return train.batch(batch_size), validation.batch(batch_size)
