"""The keras-tuner bridge: keras_tuner drives tf-keras, with Keras 3 installed and imported."""

import subprocess
import sys
from subprocess import PIPE

import pytest

# Each script runs in a fresh interpreter: which Keras keras_tuner drives is decided once.
KERAS_3_FIRST = """
import keras                                  # Keras 3, imported by the user first
from hubmodels.tuning import import_keras_tuner
kt = import_keras_tuner()
import sys
from hubmodels._keras import keras as tf_keras
assert sys.modules["keras"] is keras and keras.version().startswith("3."), "keras not restored"

def build(hp):
    model = tf_keras.Sequential([tf_keras.layers.Dense(hp.Int("units", 1, 4)),
                                 tf_keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model

tuner = kt.RandomSearch(build, objective="loss", max_trials=1, directory=sys.argv[1])
import numpy as np
tuner.search(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)
trial = tuner.oracle.get_best_trials(1)[0]
print("status", trial.status)
"""

KERAS_TUNER_FIRST = """
import keras_tuner
from hubmodels.tuning import import_keras_tuner
import_keras_tuner()
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both scripts, started at once in fresh interpreters: {name: finished process}."""
    directory = str(tmp_path_factory.mktemp("kt_keras3"))
    started = {
        "keras_3_first": subprocess.Popen(
            [sys.executable, "-c", KERAS_3_FIRST, directory], stdout=PIPE, stderr=PIPE, text=True
        ),
        "keras_tuner_first": subprocess.Popen(
            [sys.executable, "-c", KERAS_TUNER_FIRST], stdout=PIPE, stderr=PIPE, text=True
        ),
    }
    finished = {}
    try:
        for name, process in started.items():
            stdout, stderr = process.communicate(timeout=150)
            finished[name] = subprocess.CompletedProcess(
                process.args, process.returncode, stdout, stderr
            )
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return finished


def test_keras_tuner_runs_tf_keras_models_and_keras_3_stays(runs):
    done = runs["keras_3_first"]
    assert done.returncode == 0, done.stderr[-2000:]
    assert "status COMPLETED" in done.stdout


def test_keras_tuner_imported_first_gives_the_fix(runs):
    done = runs["keras_tuner_first"]
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "HubModelsError: keras_tuner was imported before hubmodels chose its Keras" in last
    assert "kt = hubmodels.tuning.import_keras_tuner()" in last
