"""`text_classifier`: raw strings in, class probabilities out, on a text-embedding module at
sentence level (one vector per text) or word level (token embeddings, BiLSTM or masked mean).
"""

import numpy as np

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.hub.layers import module_layer
from hubmodels.hub.module import Module
from hubmodels.tasks.fine_tuning import unfrozen_names
from hubmodels.tasks.heads import dense_head
from hubmodels.tasks.task_model import TaskModel
from hubmodels.tasks.text import embeddings as text_embeddings
from hubmodels.tasks.text.sequence import MaskedMean, TokenSequence
from hubmodels.training.strategy import builds_under

TASK = "text"
LEVELS = ("sentence", "word")
WORD_HEADS = ("bilstm", "dense")


@builds_under
def text_classifier(
    handle,
    num_classes,
    level="sentence",
    head=None,
    units=128,
    dropout=0.2,
    multi_label=False,
    unfreeze=None,
    signature=None,
    output_key=None,
    max_tokens=None,
    class_names=None,
):
    """A classifier of raw texts on a text-embedding module.

    text: string [batch] (any length; "" is a valid text) -> probabilities
    [batch, num_classes] (softmax, or sigmoid when multi_label). Texts longer than the
    module's limit are truncated by the module (MiniLM: 256 word pieces with [CLS] and
    [SEP]); at word level `max_tokens` truncates further.

    level: "sentence": the module's text vector [batch, d], then a dense head (`head`:
      hidden sizes, e.g. (256,); None: none). "word": token embeddings [batch, seq, d] with
      their mask, then `head`: "bilstm" (the default: a Bidirectional LSTM of `units` each
      way, masked) or "dense" (masked mean), then dropout and the output layer.
    unfreeze: module variables that train (see hubmodels.hub.unfreeze): MiniLM `N` (the last
      N transformer layers) or True; ELMo True (its aggregation weights, the tutorial's
      trainable=True). None keeps the module frozen; hubmodels.fit then trains a
      sentence-level head on features computed once.
    signature, output_key: the module's signature and output (default: see
      hubmodels.tasks.text.embeddings). ELMo's `tokens` signature makes a model of pre-split
      tokens: inputs {"tokens": string [batch, seq], "sequence_len": int32 [batch]}.
    class_names: one per class, kept on the model.
    strategy: build under this tf.distribute strategy (see hubmodels.training.strategy).
    """
    if level not in LEVELS:
        raise InputError(f"level must be one of {LEVELS}, got {level!r}")
    if level == "word" and max_tokens is not None and int(max_tokens) < 1:
        raise InputError(f"max_tokens must be at least 1, got {max_tokens!r}")
    if level == "sentence" and max_tokens is not None:
        raise InputError('max_tokens applies to level="word"; the module truncates sentences')
    fine_tune = bool(unfreeze)
    module = Module(handle, trainable=fine_tune)
    selected = unfrozen_names(module, unfreeze) if fine_tune else []
    if level == "sentence":
        if head is not None and isinstance(head, str):
            raise InputError(
                f'head={head!r} is a word-level head; at level="sentence" give hidden sizes '
                "such as (256,) or None"
            )
        chosen = text_embeddings.sentence_signature(module, signature, output_key)
        inputs = _inputs(chosen)
        layer = module_layer(module, chosen.name, chosen.embeddings, trainable_names=selected)
        features = layer(inputs)
        if features.shape.rank != 2:
            raise InputError(
                f"module {module.handle} signature {chosen.name!r} gives "
                f"{tuple(features.shape)} per batch, expected one vector per text [batch, d]: "
                'choose output_key or level="word"'
            )
        outputs = dense_head(num_classes, multi_label, dropout, tuple(head or ()))(features)
    else:
        head = "bilstm" if head is None else head
        if head not in WORD_HEADS:
            raise InputError(f'head must be one of {WORD_HEADS} at level="word", got {head!r}')
        chosen = text_embeddings.word_signature(module, signature, output_key)
        inputs = _inputs(chosen)
        found = module_layer(module, chosen.name, trainable_names=selected, as_dict=True)(inputs)
        tokens, mask = TokenSequence(max_tokens, name="token_sequence")(
            [found[chosen.embeddings], found[chosen.extent]]
        )
        if head == "bilstm":
            lstm = keras.layers.LSTM(units, name="lstm")
            pooled = keras.layers.Bidirectional(lstm, name="bilstm")(tokens, mask=mask)
        else:
            pooled = MaskedMean(name="masked_mean")([tokens, mask])
        outputs = dense_head(num_classes, multi_label, dropout)(pooled)
    return TaskModel(
        inputs,
        outputs,
        task=TASK,
        class_names=class_names,
        multi_label=multi_label,
        name=f"text_classifier_{level}",
    )


def _inputs(chosen):
    if chosen.inputs == "text":
        return keras.Input(shape=(), dtype=tf.string, name="text")
    return {
        "tokens": keras.Input(shape=(None,), dtype=tf.string, name="tokens"),
        "sequence_len": keras.Input(shape=(), dtype=tf.int32, name="sequence_len"),
    }


def as_texts(texts) -> tf.Tensor:
    """strings [n] as a tf.string tensor; InputError for anything else (numbers, nested)."""
    array = np.asarray(texts, dtype=object) if not isinstance(texts, tf.Tensor) else None
    if array is None:
        if texts.dtype != tf.string or texts.shape.rank != 1:
            raise InputError(
                f"texts must be strings [batch], got a {texts.dtype.name} tensor of shape "
                f"{tuple(texts.shape)}"
            )
        return texts
    if array.ndim != 1:
        raise InputError(f"texts must be a flat list of strings, got shape {array.shape}")
    bad = [(i, type(t).__name__) for i, t in enumerate(array) if not isinstance(t, (str, bytes))]
    if bad:
        raise InputError(
            f"texts must be strings: {len(bad)} are not, e.g. item {bad[0][0]} ({bad[0][1]})"
        )
    return tf.constant(list(array), tf.string)


def predict_labels(model, texts, batch_size=64) -> list:
    """Per text, (label, probability) of the most probable class (single-label models).

    texts: a list of strings (or a string tensor [n]).
    """
    probabilities = model.predict(as_texts(texts), batch_size=batch_size, verbose=0)
    names = model.class_names or [f"class_{i}" for i in range(probabilities.shape[-1])]
    best = np.argmax(probabilities, axis=-1)
    return [(names[int(i)], float(p[i])) for i, p in zip(best, probabilities)]
