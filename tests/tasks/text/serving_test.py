"""Text exports: raw strings in, probabilities, classes and labels out; reloaded in a fresh
process (the tokenizer's tables and assets work there, without the module)."""

import json
import subprocess
import sys

import numpy as np
import pytest

import hubmodels
from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.tasks.text import text_classifier
from tests.tasks.text.texts import ELMO, MINILM

TEXTS = ["a wonderful day", "", "terrible " * 400]  # empty, and beyond MiniLM's 256 pieces

_RELOAD = """
import json, sys
import hubmodels
from hubmodels._keras import tf
before = "tensorflow_text" in sys.modules
model = hubmodels.load_model(sys.argv[1])
texts = json.loads(sys.argv[2])
served = tf.saved_model.load(sys.argv[1]).signatures["serving_default"](text=tf.constant(texts))
print(json.dumps({
    "imported_before": before,
    "class_names": list(model.class_names),
    "probabilities": model.predict(tf.constant(texts), verbose=0).tolist(),
    "served": served["probabilities"].numpy().tolist(),
    "labels": [x.decode() for x in served["labels"].numpy()],
    "classes": served["classes"].numpy().tolist(),
}))
"""


@pytest.mark.slow
def test_minilm_export_round_trip_in_a_fresh_process(tmp_path):
    model = text_classifier(MINILM, 3, class_names=["neg", "neu", "pos"])
    model.get_layer("head").set_weights(
        [np.random.default_rng(0).normal(size=w.shape) for w in model.get_layer("head").weights]
    )
    expected = model.predict(tf.constant(TEXTS), verbose=0)
    hubmodels.save_model(model, tmp_path / "model")
    result = subprocess.run(
        [sys.executable, "-c", _RELOAD, str(tmp_path / "model"), json.dumps(TEXTS)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert not found["imported_before"] and found["class_names"] == ["neg", "neu", "pos"]
    np.testing.assert_allclose(found["probabilities"], expected, atol=1e-5)
    np.testing.assert_allclose(found["served"], expected, atol=1e-5)
    assert found["classes"] == expected.argmax(-1).tolist()
    assert found["labels"] == [["neg", "neu", "pos"][i] for i in found["classes"]]


@pytest.mark.parametrize("head", [pytest.param("bilstm", marks=pytest.mark.slow), "dense"])
def test_elmo_word_level_reloads_identically(tmp_path, head):
    model = text_classifier(ELMO, 2, level="word", head=head, unfreeze=True)
    hubmodels.save_model(model, tmp_path / "model")
    reloaded = hubmodels.load_model(tmp_path / "model")
    assert reloaded.task == "text" and reloaded.text_inputs == "text"
    texts = tf.constant(["good movie here", "", "bad " * 30])
    np.testing.assert_allclose(reloaded(texts), model(texts), atol=1e-6)


def test_pre_split_token_models_serve_tokens(tmp_path):
    model = text_classifier(ELMO, 2, level="word", head="dense", signature="tokens")
    hubmodels.save_model(model, tmp_path / "model")
    served = tf.saved_model.load(str(tmp_path / "model")).signatures["serving_default"]
    result = served(tokens=tf.constant([["good", "day", ""]]), sequence_len=tf.constant([2]))
    assert sorted(result) == ["classes", "probabilities"]  # no class names: no labels
    assert result["probabilities"].shape == (1, 2)


def test_models_that_do_not_take_text_are_refused(tmp_path):
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    with pytest.raises(InputError, match="text models take raw texts"):
        hubmodels.save_model(model, tmp_path / "model", task="text")
