"""Fixtures of the tuning tests: a second tiny module and a tiny image folder."""

import numpy as np
import pytest
from PIL import Image

from tests.tuning.tiny_data import CLASSES, images_and_labels


@pytest.fixture(scope="session")
def second_tiny_module(tmp_path_factory):
    """The tiny image module again, at another handle (a second module to choose from)."""
    from tests.saved_models import write_tiny_image_module

    return write_tiny_image_module(tmp_path_factory.mktemp("tiny_image_b") / "module")


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory):
    """A folder of 32 PNG images, 32x32, in class folders dark/ and red/."""
    root = tmp_path_factory.mktemp("tuning_images") / "images"
    images, labels = images_and_labels(32, seed=2)
    for i, (image, label) in enumerate(zip(images, labels)):
        folder = root / CLASSES[label]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.round(image * 255).astype(np.uint8)).save(folder / f"{i:02d}.png")
    return root
