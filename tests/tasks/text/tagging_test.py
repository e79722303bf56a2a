"""token_classifier: one tag per whitespace word, on MiniLM's word pieces and ELMo's words,
trained on a generated tagging set (tests/tasks/text/tags.py), saved and reloaded."""

import json

import numpy as np
import pytest

import hubmodels
from hubmodels._keras import keras, tf
from hubmodels.cli.main import main
from hubmodels.errors import InputError
from hubmodels.tasks.text import token_classifier
from hubmodels.tasks.text.tagging import FirstPieces, TagAccuracy, tag_loss
from hubmodels.training.compile import compile_for_task
from tests.tasks.text.tags import TAG_NAMES, tagged_texts
from tests.tasks.text.texts import ELMO, MINILM


def _trained(handle, epochs, learning_rate):
    keras.utils.set_random_seed(0)
    model = token_classifier(handle, len(TAG_NAMES), units=16, tag_names=TAG_NAMES)
    compile_for_task(model, learning_rate)
    texts, tags = tagged_texts(48, seed=0)
    model.fit(np.asarray(texts, object), tags, batch_size=16, epochs=epochs, verbose=0)
    return model


def _held_out_accuracy(model) -> tuple:
    """(accuracy over the real words of 32 new texts, the share of their majority tag)."""
    texts, tags = tagged_texts(32, seed=1)
    probabilities = model.predict(np.asarray(texts, object), verbose=0)
    assert probabilities.shape == (32, tags.shape[1], len(TAG_NAMES))
    real = tags >= 0
    accuracy = np.mean(probabilities.argmax(-1)[real] == tags[real])
    return accuracy, np.mean(tags[real] == 0)


@pytest.fixture(scope="module")
def minilm_tagger():
    return _trained(MINILM, epochs=5, learning_rate=1e-2)


def test_first_pieces_takes_each_words_first_piece():
    embeddings = tf.reshape(tf.range(1.0, 15.0), [2, 7, 1])  # value = 1 + row * 7 + position
    word_counts = tf.constant([3, 2])
    pieces = tf.constant([1, 2, 1, 6, 1])  # text 1's second word is truncated away
    vectors, mask = FirstPieces(leading=1)([embeddings, word_counts, pieces])
    np.testing.assert_array_equal(vectors[..., 0], [[2, 3, 5], [9, 0, 0]])
    np.testing.assert_array_equal(mask, [[True, True, True], [True, True, False]])
    vectors, mask = FirstPieces(max_words=2)([embeddings, word_counts])  # a token per word
    np.testing.assert_array_equal(vectors[..., 0], [[1, 2], [8, 9]])
    assert mask.shape == (2, 2)


def test_loss_and_accuracy_skip_padding_of_any_width():
    probabilities = tf.constant([[[0.9, 0.1], [0.2, 0.8]], [[0.3, 0.7], [0.5, 0.5]]])
    wider = tf.constant([[0, 0, -1, -1], [1, -1, -1, -1]])
    narrower = tf.constant([[0, 0], [1, -1]])[:, :1]  # labels padded to 1 word only
    accuracy = TagAccuracy()
    accuracy.update_state(wider, probabilities)
    assert float(accuracy.result()) == pytest.approx(2 / 3)
    np.testing.assert_allclose(tag_loss(wider, probabilities)[:, 1], [-np.log(0.2), 0], 1e-6)
    np.testing.assert_allclose(tag_loss(narrower, probabilities)[:, 1], [0, 0])


def test_minilm_words_take_their_first_word_piece(minilm_tagger):
    text = tf.constant(["unbelievably red, cats"])
    found = minilm_tagger.get_layer("module")(text)  # MiniLM's `tokens` outputs
    pieces = [p.decode() for p in found["token_strings"][0].numpy()]
    starts = [1, pieces.index("red"), pieces.index("cats")]
    assert pieces[2].startswith("##") and pieces[starts[1] + 1] == ","  # several pieces a word
    first = keras.Model(minilm_tagger.inputs, minilm_tagger.get_layer("first_pieces").output)
    vectors, mask = first(text)
    np.testing.assert_allclose(vectors[0], tf.gather(found["token_embeddings"][0], starts))
    assert mask.numpy().tolist() == [[True, True, True]]


def test_minilm_tagger_learns_generated_tags(minilm_tagger):
    accuracy, majority = _held_out_accuracy(minilm_tagger)
    assert majority < 0.7 and accuracy > 0.95


@pytest.mark.slow
def test_minilm_tagger_export_reloads_with_the_same_tags(minilm_tagger, tmp_path, capsys):
    texts = tf.constant(["four blue dogs ran home", "", "red"])
    expected = minilm_tagger.predict(texts, verbose=0)
    hubmodels.save_model(minilm_tagger, tmp_path / "tagger")
    reloaded = hubmodels.load_model(tmp_path / "tagger")
    assert reloaded.class_names == TAG_NAMES and reloaded.text_outputs == "tags"
    np.testing.assert_allclose(reloaded.predict(texts, verbose=0), expected, atol=1e-5)
    served = tf.saved_model.load(str(tmp_path / "tagger")).signatures["serving_default"]
    result = served(text=texts)
    best = expected.argmax(-1)
    assert result["classes"].numpy().tolist() == [
        best[0].tolist(),
        [-1] * 5,
        [best[2, 0]] + [-1] * 4,
    ]
    assert [x.decode() for x in result["labels"].numpy()[2]] == [TAG_NAMES[best[2, 0]]] + [""] * 4
    lines = tmp_path / "lines.txt"
    lines.write_text("four blue dogs ran home\nred\n")
    assert main(["predict", "--model", str(tmp_path / "tagger"), str(lines), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [tag["word"] for tag in rows[0]["tags"]] == "four blue dogs ran home".split()
    assert [tag["tag"] for tag in rows[0]["tags"]] == [TAG_NAMES[t] for t in best[0]]
    assert [tag["tag"] for tag in rows[1]["tags"]] == [TAG_NAMES[best[2, 0]]]


@pytest.mark.slow
def test_elmo_tagger_learns_generated_tags():
    accuracy, majority = _held_out_accuracy(_trained(ELMO, epochs=30, learning_rate=1e-2))
    assert accuracy > majority + 0.15


def test_bad_arguments_and_pre_split_signatures_are_refused():
    with pytest.raises(InputError, match="num_tags"):
        token_classifier(ELMO, 0)
    with pytest.raises(InputError, match="max_words"):
        token_classifier(ELMO, 2, max_words=0)
    with pytest.raises(InputError, match="pre-split tokens"):
        token_classifier(ELMO, 2, signature="tokens")
