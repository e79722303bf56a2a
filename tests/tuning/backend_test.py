"""The keras-tuner bridge: after hubmodels.tuning, a plain `import keras_tuner` drives tf-keras,
with Keras 3 installed and imported; keras_tuner imported first gives a clear error."""

import os
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each script runs in a fresh interpreter: which Keras keras_tuner drives is decided once.
# argv: [script, work directory, tiny image module]
PACKAGE_THEN_PLAIN_IMPORT = """
import sys
from hubmodels import tuning
assert "tensorflow" not in sys.modules and "keras_tuner" not in sys.modules, "loaded too much"
import tensorflow as tf                       # the ecosystem's usual imports, tf.keras included
import keras_tuner as kt

def build(hp):
    model = tf.keras.Sequential([tf.keras.layers.Dense(hp.Int("units", 1, 4)),
                                 tf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model

tuner = kt.RandomSearch(build, objective="loss", max_trials=1, directory=sys.argv[1])
import numpy as np
tuner.search(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)
print("status", tuner.oracle.get_best_trials(1)[0].status)
import keras
print("keras", keras.version())
"""

KERAS_3_THEN_NAME_THEN_PLAIN_IMPORT = """
import sys
import keras            # Keras 3, imported by the user first; it imports TensorFlow without
import tensorflow as tf # TF_USE_LEGACY_KERAS, so tensorflow.keras is Keras 3 too
assert tf.keras.Model is keras.Model
from hubmodels.tuning import FeatureVectorHyperModel, Range
import keras_tuner
assert sys.modules["keras"] is keras and keras.version().startswith("3."), "keras not restored"
import tensorflow.keras
assert tensorflow.keras.Model is tf.keras.Model is keras.Model, "tensorflow.keras not restored"
from tests.tiny_images import datasets

hypermodel = FeatureVectorHyperModel(sys.argv[2], 2, unfreeze=0, augmentation="none",
                                     learning_rate=Range(0.01, 0.1, log=True))
tuner = keras_tuner.RandomSearch(hypermodel, objective="val_accuracy", max_trials=1,
                                 directory=sys.argv[1])
train, validation = datasets()
tuner.search(train, validation_data=validation, epochs=1, verbose=0)
print("status", tuner.oracle.get_best_trials(1)[0].status)
"""

KERAS_TUNER_FIRST = """
import keras_tuner
import hubmodels.tuning
print("imported")
hubmodels.tuning.FeatureVectorHyperModel
"""

SCRIPTS = {
    "package_then_plain_import": PACKAGE_THEN_PLAIN_IMPORT,
    "keras_3_then_name_then_plain_import": KERAS_3_THEN_NAME_THEN_PLAIN_IMPORT,
    "keras_tuner_first": KERAS_TUNER_FIRST,
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_image_module):
    """The scripts, started at once in fresh interpreters: {name: finished process}.

    Without TF_USE_LEGACY_KERAS, which this process has set: as in a user's fresh shell.
    """
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    started = {
        name: subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path_factory.mktemp(name))]
            + [str(tiny_image_module)],
            stdout=PIPE,
            stderr=PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        for name, code in SCRIPTS.items()
    }
    finished = {}
    try:
        for name, process in started.items():
            stdout, stderr = process.communicate(timeout=300)
            finished[name] = subprocess.CompletedProcess(
                process.args, process.returncode, stdout, stderr
            )
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return finished


def _last_line(done):
    return done.stderr.strip().splitlines()[-1]


def test_plain_import_after_the_package_drives_tf_keras_and_keras_3_stays(runs):
    done = runs["package_then_plain_import"]
    assert done.returncode == 0, done.stderr[-2000:]
    assert "status COMPLETED" in done.stdout
    assert "keras 3." in done.stdout


def test_plain_import_after_a_name_searches_a_hypermodel_and_restores_keras_3(runs):
    done = runs["keras_3_then_name_then_plain_import"]
    assert done.returncode == 0, done.stderr[-2000:]
    assert "status COMPLETED" in done.stdout


def test_keras_tuner_imported_first_gives_the_fix_when_used(runs):
    done = runs["keras_tuner_first"]
    assert done.returncode != 0
    assert done.stdout.split() == ["imported"]  # importing hubmodels.tuning itself works
    last = _last_line(done)
    assert "HubModelsError: keras_tuner was imported before hubmodels.tuning" in last
    assert "`from hubmodels import tuning` then `import keras_tuner as kt`" in last
