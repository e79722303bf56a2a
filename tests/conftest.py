"""Shared test set-up: tf-keras selected first, every test seeded, fixture paths, tiny data."""

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hubmodels._keras import tf
from tests.tiny_images import CLASSES, images_and_labels

SHARED_REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"


@pytest.fixture(autouse=True)
def _seed():
    random.seed(0)
    np.random.seed(0)
    tf.random.set_seed(0)


@pytest.fixture
def real_fixtures() -> Path:
    """../shared/fixtures/real: real SavedModels made by TensorFlow's projects."""
    if not SHARED_REAL.is_dir():
        pytest.skip(f"{SHARED_REAL} is absent (fresh clone outside CI)")
    return SHARED_REAL


@pytest.fixture(scope="session")
def keras_savedmodel(tmp_path_factory):
    from tests.saved_models import write_keras_savedmodel

    return write_keras_savedmodel(tmp_path_factory.mktemp("keras") / "model")


@pytest.fixture(scope="session")
def reusable_savedmodel(tmp_path_factory):
    from tests.saved_models import write_reusable_savedmodel

    return write_reusable_savedmodel(tmp_path_factory.mktemp("reusable") / "model")


@pytest.fixture(scope="session")
def tiny_image_module(tmp_path_factory):
    from tests.saved_models import write_tiny_image_module

    return write_tiny_image_module(tmp_path_factory.mktemp("tiny_image") / "module")


@pytest.fixture
def tiny_zoo(tmp_path, monkeypatch):
    """A fresh HUBMODELS_HOME with the tiny test zoo entries registered (removed afterwards)."""
    from tests.zoo import tiny_entries

    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path / "home"))
    tiny_entries.register_all()
    yield tiny_entries
    tiny_entries.unregister_all()


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
