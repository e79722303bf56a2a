"""After `import hubmodels`, plain tensorflow_hub resolves registered schemes (the zoo's
hubmodels://) and local archives."""

import subprocess
import sys

import numpy as np
import pytest

from tests.zoo import tiny_entries


@pytest.fixture(autouse=True)
def _tiny_zoo(tiny_zoo):
    """Every test here sees the tiny test entries in a fresh HUBMODELS_HOME."""


def test_hub_load_and_keras_layer_take_zoo_handles():
    import tensorflow_hub as hub

    import hubmodels  # noqa: F401
    from hubmodels._keras import keras

    loaded = hub.load("hubmodels://" + tiny_entries.SCALE)
    np.testing.assert_allclose(loaded(np.array([1.0, 2.0], np.float32)), [3.0, 6.0])
    layer = hub.KerasLayer("hubmodels://" + tiny_entries.SCALE)
    assert isinstance(layer, keras.layers.Layer)
    np.testing.assert_allclose(layer(np.array([2.0], np.float32)), [6.0])


def test_hub_load_takes_a_local_archive(real_fixtures):
    import tensorflow_hub as hub

    import hubmodels  # noqa: F401

    loaded = hub.load(str(real_fixtures / "half_plus_two_v1.tar.gz"))
    np.testing.assert_allclose(
        loaded.signatures["default"](default=np.float32([2.0]))["default"], [3.0]
    )


def test_hub_load_takes_any_registered_scheme(real_fixtures, monkeypatch):
    import tensorflow_hub as hub

    from hubmodels.hub import handles

    folder = str(real_fixtures / "saved_model_half_plus_two_cpu" / "00000123")
    monkeypatch.setattr(handles, "_SCHEMES", dict(handles._SCHEMES))
    handles.register_scheme("test://", {"half": folder}.__getitem__, usage="test://NAME")
    loaded = hub.load("test://half")
    np.testing.assert_allclose(
        loaded.signatures["serving_default"](x=np.float32([[2.0]]))["y"], [[3.0]]
    )


def test_registration_waits_for_tensorflow_hub_import():
    code = (
        "import sys, hubmodels\n"
        "assert 'tensorflow_hub' not in sys.modules and 'tensorflow' not in sys.modules\n"
        "from hubmodels.hub import handles\n"
        "assert handles.registered_scheme('hubmodels://x').prefix == 'hubmodels://'\n"
        "import tensorflow_hub\n"
        "from tensorflow_hub import registry\n"
        "names = [type(i).__name__ for i in registry.resolver._impls]\n"
        "assert names[-1] == '_HandleResolver', names\n"
        "import os; assert os.environ['TF_USE_LEGACY_KERAS'] == '1'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=300)
