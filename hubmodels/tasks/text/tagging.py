"""`token_classifier`: one tag per whitespace word of raw texts (NER-style tagging).

    model = token_classifier("hubmodels://minilm_l6_v2/text_embedding", 4, tag_names=...)
    model.compile(...)  # or compile_for_task(model): cross-entropy over real words only
    model.fit(texts, tags)   # texts string [batch]; tags int [batch, words], -1 past the end

Words are the texts split on whitespace (tf.strings.split). A word-piece module (MiniLM's
`tokens` signature: token embeddings with a 0/1 mask, [CLS] first and [SEP] last) gives
several vectors per word; each word takes the vector of its first word piece. The pieces of
a word are counted by running the module's `tokens` signature on the word alone, which
splits it as it is split inside the text (BERT splits on whitespace before anything else):
the module runs a second time per batch, on its words. A word-level module (ELMo: `elmo`
with `sequence_len`, split on whitespace as well) gives one vector per word already.
"""

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.hub.layers import module_layer
from hubmodels.hub.module import Module
from hubmodels.tasks.fine_tuning import unfrozen_names
from hubmodels.tasks.task_model import TaskModel
from hubmodels.tasks.text import embeddings as text_embeddings
from hubmodels.training.strategy import builds_under

TASK = "text"
PADDING_TAG = -1  # the tag of the positions past a text's last word


class TaggerModel(TaskModel):
    """A TaskModel whose output is per word: probabilities [batch, words, num_tags], masked
    past each text's last word; its loss and accuracy skip those positions."""

    def loss_and_metrics(self) -> tuple:
        """Cross-entropy and accuracy over real words (labels PADDING_TAG are skipped)."""
        return tag_loss, [TagAccuracy(name="accuracy")]


def aligned_tags(tags, probabilities):
    """tags int [batch, width] -> int32 [batch, words] to match probabilities [batch, words,
    num_tags]: cut, or padded with PADDING_TAG (labels padded to another width than the
    batch's longest text)."""
    tags = tf.cast(tags, tf.int32)
    words = tf.shape(probabilities)[1]
    tags = tags[:, :words]
    missing = words - tf.shape(tags)[1]
    return tf.pad(tags, [[0, 0], [0, missing]], constant_values=PADDING_TAG)


@keras.saving.register_keras_serializable("hubmodels")
def tag_loss(tags, probabilities):
    """Cross-entropy per word [batch, words]; 0 where the tag is PADDING_TAG."""
    tags = aligned_tags(tags, probabilities)
    real = tags != PADDING_TAG
    losses = keras.losses.sparse_categorical_crossentropy(tf.maximum(tags, 0), probabilities)
    return tf.where(real, losses, tf.zeros_like(losses))


@keras.saving.register_keras_serializable("hubmodels")
class TagAccuracy(keras.metrics.Mean):
    """The fraction of real words (tag not PADDING_TAG) whose most probable tag is right."""

    def update_state(self, tags, probabilities, sample_weight=None):
        tags = aligned_tags(tags, probabilities)
        weights = tf.cast(tags != PADDING_TAG, tf.float32)
        if sample_weight is not None:
            weights *= tf.cast(sample_weight, tf.float32)
        best = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return super().update_state(tf.cast(best == tags, tf.float32), weights)


class SplitWords(keras.layers.Layer):
    """text string [batch] -> (words string [n] (every text's words, in order), counts int32
    [batch]): the texts split on whitespace."""

    def call(self, text):
        words = tf.strings.split(text)
        return words.flat_values, tf.cast(words.row_lengths(), tf.int32)


class FirstPieces(keras.layers.Layer):
    """[embeddings [batch, seq, d], word_counts int32 [batch], (pieces int32 [n])] ->
    [word vectors [batch, words, d], mask bool [batch, words]].

    pieces: the number of word pieces of each of the n words (left out: one token a word);
    `leading`: tokens before the first word ([CLS]: 1). words = the most words of a text,
    at most `max_words`. A word with no piece (or past the module's truncation) gets zeros.
    """

    def __init__(self, leading=0, max_words=None, **kwargs):
        super().__init__(**kwargs)
        self.leading = int(leading)
        self.max_words = None if max_words is None else int(max_words)

    def call(self, inputs):
        embeddings, word_counts, *pieces = inputs
        pieces = pieces[0] if pieces else tf.ones([tf.reduce_sum(word_counts)], tf.int32)
        per_text = tf.RaggedTensor.from_row_lengths(pieces, word_counts)
        ends = tf.cumsum(per_text, axis=1)
        starts = ends - per_text + self.leading
        width = tf.reduce_max(tf.concat([word_counts, [0]], 0))
        if self.max_words is not None:
            width = tf.minimum(width, self.max_words)
        shape = tf.stack([tf.size(word_counts), width])
        positions = starts.to_tensor(-1, shape=shape)
        sizes = per_text.to_tensor(0, shape=shape)
        mask = tf.sequence_mask(word_counts, width)
        found = (positions >= 0) & (positions < tf.shape(embeddings)[1]) & (sizes > 0)
        vectors = tf.gather(embeddings, tf.where(found, positions, 0), batch_dims=1)
        return [vectors * tf.cast(found, vectors.dtype)[:, :, None], mask]

    def get_config(self):
        return {**super().get_config(), "leading": self.leading, "max_words": self.max_words}


@builds_under
def token_classifier(
    handle,
    num_tags,
    units=128,
    dropout=0.2,
    unfreeze=None,
    signature=None,
    max_words=None,
    tag_names=None,
):
    """A tagger of raw texts: one tag per whitespace word.

    text string [batch] -> probabilities float32 [batch, words, num_tags] (softmax), words =
    the most words of a text in the batch (at most `max_words`); the output carries a Keras
    mask (False past each text's last word), so loss and metrics skip padding, and labels
    there may be PADDING_TAG (-1). Word vectors (see the module docstring) go through a
    Bidirectional LSTM of `units` each way (masked), dropout and a dense softmax layer.

    unfreeze: module variables that train (as text_classifier: MiniLM N or True, ELMo True).
    signature: the module signature giving token embeddings (default: found as
      text_classifier(level="word") finds it); it must take raw texts.
    tag_names: one per tag, kept on the model as `class_names`.
    strategy: build under this tf.distribute strategy (see hubmodels.training.strategy).
    """
    if int(num_tags) < 1:
        raise InputError(f"num_tags must be at least 1, got {num_tags!r}")
    if max_words is not None and int(max_words) < 1:
        raise InputError(f"max_words must be at least 1, got {max_words!r}")
    fine_tune = bool(unfreeze)
    module = Module(handle, trainable=fine_tune)
    selected = unfrozen_names(module, unfreeze) if fine_tune else []
    chosen = text_embeddings.word_signature(module, signature)
    if chosen.inputs != "text":
        raise InputError(
            f"module {module.handle} signature {chosen.name!r} takes pre-split tokens; the "
            "tagger splits raw texts itself and needs a signature that takes them"
        )
    text = keras.Input(shape=(), dtype=tf.string, name="text")
    layer = module_layer(module, chosen.name, trainable_names=selected, as_dict=True)
    found = layer(text)
    words, word_counts = SplitWords(name="split_words")(text)
    sequence = [found[chosen.embeddings], word_counts]
    leading = 0
    if chosen.extent == "mask":  # word pieces between [CLS] and [SEP]: count each word's
        _check_markers(layer, module, chosen)
        leading = 1
        sequence.append(PieceCounts(2, name="piece_counts")(layer(words)[chosen.extent]))
    vectors, mask = FirstPieces(leading, max_words, name="first_pieces")(sequence)
    lstm = keras.layers.LSTM(units, return_sequences=True, name="lstm")
    x = keras.layers.Bidirectional(lstm, name="bilstm")(vectors, mask=mask)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_tags, activation="softmax", name="tags")(x)
    return TaggerModel(text, outputs, task=TASK, class_names=tag_names, name="token_classifier")


class PieceCounts(keras.layers.Layer):
    """mask int [n, seq] of n words tokenised alone -> int32 [n]: their word pieces (the
    real tokens less the `markers` the module adds)."""

    def __init__(self, markers, **kwargs):
        super().__init__(**kwargs)
        self.markers = int(markers)

    def call(self, mask):
        return tf.reduce_sum(tf.cast(mask, tf.int32), axis=1) - self.markers

    def get_config(self):
        return {**super().get_config(), "markers": self.markers}


def _check_markers(layer, module, chosen) -> None:
    """InputError unless an empty text tokenises to two markers ([CLS] [SEP], as BERT's)."""
    markers = int(tf.reduce_sum(tf.cast(layer(tf.constant([""]))[chosen.extent], tf.int32)))
    if markers != 2:
        raise InputError(
            f"module {module.handle} signature {chosen.name!r} gives {markers} tokens for an "
            "empty text; the tagger expects word pieces between two markers ([CLS] and [SEP])"
        )
