"""Real photos for tests, from the test extras: scikit-image's samples and matplotlib's.

matplotlib ships `mpl-data/sample_data/grace_hopper.jpg` (512 x 600, public domain, US Navy).
"""

from pathlib import Path

import numpy as np

from hubmodels._keras import tf


def grace_hopper_path() -> Path:
    """The JPEG file of Grace Hopper's photo inside the installed matplotlib."""
    from matplotlib import cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def grace_hopper() -> np.ndarray:
    """uint8 [600, 512, 3], decoded by TensorFlow."""
    return tf.io.decode_jpeg(grace_hopper_path().read_bytes(), channels=3).numpy()
