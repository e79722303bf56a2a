"""text_classifier on the real MiniLM and the ELMo stand-in, both levels: real steps."""

import numpy as np
import pytest

import hubmodels
from hubmodels._keras import tf
from hubmodels.errors import InputError
from hubmodels.tasks.text import predict_labels, text_classifier
from hubmodels.tasks.text.classifiers import as_texts
from hubmodels.tasks.text.sequence import MaskedMean, TokenSequence
from tests.tasks.text.texts import ELMO, MINILM


def _dataset(texts, labels, batch_size=8):
    return tf.data.Dataset.from_tensor_slices((tf.constant(texts), labels)).batch(batch_size)


def _weights(model):
    return {w.name: w.numpy().copy() for w in model.weights}


def test_sentence_level_minilm_learns_on_cached_features(sentiment_texts, capsys):
    texts, labels = sentiment_texts
    model = text_classifier(MINILM, 2, class_names=["complaint", "praise"], dropout=0.0)
    assert model.inputs[0].dtype == tf.string and model.inputs[0].shape.rank == 1
    train = _dataset(texts[::2] + texts[1::2][:4], labels[::2] + labels[1::2][:4])
    history = hubmodels.fit(model, train, epochs=40, learning_rate=3e-2, verbose=1)
    assert "Caching module features" in capsys.readouterr().out
    assert history.history["loss"][-1] < history.history["loss"][0]
    held_out = ["I adore this wonderful place", "this is a terrible, awful mess"]
    assert [label for label, _ in predict_labels(model, held_out)] == ["praise", "complaint"]


@pytest.mark.parametrize(
    "handle, head",
    [
        pytest.param(MINILM, "bilstm", marks=pytest.mark.slow),
        pytest.param(ELMO, "bilstm", marks=pytest.mark.slow),
        (MINILM, "dense"),
        (ELMO, "dense"),
    ],
)
def test_word_level_ignores_padding(handle, head):
    """A text gets the same probabilities alone and beside a much longer text: the padding
    of the shorter text is masked out of the BiLSTM or the mean."""
    model = text_classifier(handle, 3, level="word", head=head)
    short = "a short text"
    alone = model(tf.constant([short]))
    padded = model(tf.constant([short, "a much longer text " * 12]))
    np.testing.assert_allclose(alone[0], padded[0], atol=1e-5)
    # "" is a valid text (no words: the head sees no token)
    assert model(tf.constant(["", short])).shape == (2, 3)


def test_token_sequence_masks_by_lengths_or_mask_and_truncates():
    embeddings = tf.ones([2, 4, 3])
    kept, mask = TokenSequence(max_tokens=3)([embeddings, tf.constant([1, 4])])
    assert kept.shape == (2, 3, 3)
    assert mask.numpy().tolist() == [[True, False, False], [True, True, True]]
    _, mask = TokenSequence()([embeddings, tf.constant([[1, 1, 0, 0], [1, 0, 0, 0]])])
    assert mask.numpy().sum(axis=1).tolist() == [2, 1]
    mean = MaskedMean()([tf.constant([[[1.0], [3.0], [9.0]]]), tf.constant([[True, True, False]])])
    assert mean.numpy().tolist() == [[2.0]]


@pytest.mark.slow
def test_unfreeze_minilm_last_layer_trains_only_it(sentiment_texts):
    texts, labels = sentiment_texts
    model = text_classifier(MINILM, 2, unfreeze=1, dropout=0.0)
    report = hubmodels.trainable_report(model)["module"]
    assert report and all(name.startswith("bert/layer_5/") for name in report)
    before = _weights(model)
    hubmodels.fit(
        model,
        _dataset(texts, labels),
        epochs=1,
        verbose=0,
        learning_rate=1e-2,
        module_learning_rate=1e-3,
    )
    after = _weights(model)
    changed = {n for n in before if not np.array_equal(before[n], after[n])}
    assert any("layer_5" in n for n in changed)
    assert not any("layer_4" in n or "word_embeddings" in n for n in changed)


def test_unfreeze_elmo_trains_its_aggregation_weights(sentiment_texts):
    texts, labels = sentiment_texts
    model = text_classifier(ELMO, 2, level="word", head="dense", unfreeze=True)
    assert sorted(hubmodels.trainable_report(model)["module"]) == [
        "aggregation/scaling",
        "aggregation/weights",
    ]
    before = _weights(model)
    hubmodels.fit(model, _dataset(texts, labels), epochs=1, verbose=0, learning_rate=1e-2)
    after = _weights(model)
    assert not np.array_equal(before["aggregation/weights:0"], after["aggregation/weights:0"])


def test_elmo_pre_split_tokens_match_raw_text():
    """ELMo's `tokens` signature (pre-split words and lengths) gives the model of the same
    weights what the `default` signature gives for the text."""
    tokens_model = text_classifier(ELMO, 2, level="word", head="dense", signature="tokens")
    assert sorted(x.name.split(":")[0] for x in tokens_model.inputs) == ["sequence_len", "tokens"]
    text_model = text_classifier(ELMO, 2, level="word", head="dense")
    text_model.set_weights(tokens_model.get_weights())
    from_tokens = tokens_model(
        {"tokens": tf.constant([["good", "day", ""]]), "sequence_len": tf.constant([2])}
    )
    np.testing.assert_allclose(from_tokens, text_model(tf.constant(["good day"])), atol=1e-5)


def test_sentence_level_elmo_and_hidden_layers():
    model = text_classifier(ELMO, 4, head=(16,), multi_label=True)
    probabilities = model(tf.constant(["x y", ""])).numpy()
    assert probabilities.shape == (2, 4)
    assert model.get_layer("head").get_layer("head_hidden_0").units == 16


def test_a_module_without_a_string_input_is_named(tiny_image_module):
    with pytest.raises(InputError, match=r"does not take text: it takes .*float32"):
        text_classifier(str(tiny_image_module), 2)


def test_word_level_on_a_sentence_only_module_lists_its_outputs(tmp_path):
    module = tf.Module()
    module.f = tf.function(
        lambda text: {"default": tf.zeros([tf.shape(text)[0], 4])},
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    tf.saved_model.save(module, str(tmp_path), signatures={"default": module.f})
    assert text_classifier(str(tmp_path), 2)(tf.constant(["a"])).shape == (1, 2)
    with pytest.raises(InputError, match=r"no token embeddings.*default: default"):
        text_classifier(str(tmp_path), 2, level="word")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(level="paragraph"), "level must be one of"),
        (dict(level="word", head="gru"), "head must be one of"),
        (dict(head="bilstm"), "word-level head"),
        (dict(max_tokens=8), "max_tokens applies"),
        (dict(output_key="nope"), "has no output 'nope'"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(InputError, match=message):
        text_classifier(ELMO, 2, **kwargs)


def test_non_string_texts_are_refused():
    with pytest.raises(InputError, match=r"item 1 \(int\)"):
        as_texts(["fine", 3])
    with pytest.raises(InputError, match="float32 tensor"):
        as_texts(tf.zeros([2]))
    assert as_texts(["", "ok"]).dtype == tf.string
