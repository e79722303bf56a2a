"""One Keras: everything hubmodels builds is tf-keras, never Keras 3."""

import subprocess
import sys

import numpy as np
import tf_keras

from hubmodels._keras import keras
from hubmodels.hub.layer import ModuleLayer


def _keras3_objects(model):
    suspects = [model, model.optimizer] + model.layers + list(model.weights)
    return [
        type(o).__module__
        for o in suspects
        if o is not None and type(o).__module__.startswith("keras.")
    ]


def test_hubmodels_keras_is_tf_keras():
    assert keras is tf_keras
    import keras as installed_keras

    assert installed_keras.__version__.startswith("3.")  # TF 2.21 installs Keras 3 ...
    assert keras.__version__.startswith("2.")  # ... and we use tf-keras anyway


def test_models_built_on_a_module_hold_no_keras3_object(real_fixtures):
    inputs = keras.Input(shape=(1,))
    outputs = keras.layers.Dense(1)(
        ModuleLayer(str(real_fixtures / "half_plus_two_v1.tar.gz"), trainable=True)(inputs)
    )
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 1)), np.ones((4, 1)), verbose=0)
    assert isinstance(model, tf_keras.Model)
    assert _keras3_objects(model) == []


def test_import_hubmodels_is_lazy():
    code = (
        "import sys, hubmodels\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
        "assert 'keras' not in sys.modules\n"
        "hubmodels.Module\n"
        "assert 'tensorflow' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


def test_no_module_imports_keras_directly():
    from pathlib import Path

    import hubmodels

    offenders = []
    for path in Path(hubmodels.__file__).parent.rglob("*.py"):
        if path.name == "_keras.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if (
                stripped.startswith(
                    ("import keras", "from keras", "import tf_keras", "from tf_keras")
                )
                or "tf.keras" in stripped
            ):
                offenders.append(f"{path.name}:{number}: {stripped}")
    assert offenders == []
