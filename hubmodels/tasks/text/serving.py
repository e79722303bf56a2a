"""What a text model's export serves, and the metadata it keeps.

Signature (n = number of classes):
  serving_default: text string [batch] (raw texts; "" is valid) -> probabilities float32
    [batch, n], and for single-label models classes int32 [batch] (the top-1 index) and,
    when the model has class names, labels string [batch] (the top-1 name). A model of
    pre-split tokens (ELMo's `tokens` signature) takes tokens string [batch, seq] and
    sequence_len int32 [batch] instead.
  A tagger (token_classifier; n tags, words = the most whitespace words of a text):
    probabilities float32 [batch, words, n], classes int32 [batch, words] (-1 past a text's
    last word) and, with tag names, labels string [batch, words] ("" past the last word).
The module's tokenizer and lookup tables are saved with the model: the export needs
neither the module nor hubmodels (tensorflow_text for MiniLM: see export.save).
Metadata: class_names, multi_label, inputs ("text" or "tokens").
"""

from hubmodels._keras import tf
from hubmodels.errors import InputError
from hubmodels.tasks.objectives import classification_outputs


def export_metadata(model) -> dict:
    """Checks that `model` maps texts to class scores; returns the metadata to keep."""
    outputs = model.outputs
    if len(outputs) != 1 or outputs[0].shape.rank not in (2, 3):
        raise InputError(
            f"text models have one output, [batch, num_classes] (classifiers) or [batch, "
            f"words, num_tags] (taggers): model {model.name!r} has outputs of shapes "
            f"{[tuple(y.shape) for y in outputs]}"
        )
    names = {x.name.split(":")[0] for x in model.inputs}
    if len(model.inputs) == 1 and model.inputs[0].dtype == tf.string:
        kind = "text"
    elif names == {"tokens", "sequence_len"}:
        kind = "tokens"
    else:
        raise InputError(
            f"text models take raw texts string [batch] (or tokens and sequence_len): model "
            f"{model.name!r} takes {[(x.name, x.dtype.name, tuple(x.shape)) for x in model.inputs]}"
        )
    class_names = [str(name) for name in getattr(model, "class_names", None) or []] or None
    if class_names and len(class_names) != outputs[0].shape[-1]:
        raise InputError(
            f"model {model.name!r} has {len(class_names)} class names but "
            f"{outputs[0].shape[-1]} outputs"
        )
    tags = outputs[0].shape.rank == 3
    if tags and kind != "text":
        raise InputError(f"taggers take raw texts: model {model.name!r} takes pre-split tokens")
    return {
        "class_names": class_names,
        "multi_label": bool(getattr(model, "multi_label", False)),
        "inputs": kind,
        "outputs": "tags" if tags else "classes",
    }


def restore_metadata(model, metadata: dict) -> None:
    """Sets class_names, multi_label, text_inputs ("text" or "tokens") and text_outputs
    ("classes" or "tags") on a reloaded model."""
    model.class_names = metadata["class_names"]
    model.multi_label = metadata["multi_label"]
    model.text_inputs = metadata["inputs"]
    model.text_outputs = metadata.get("outputs", "classes")


def serving_signatures(model, metadata: dict) -> dict:
    """{"serving_default": raw texts (or tokens) in, class scores out}."""
    class_names = metadata["class_names"]
    multi_label = metadata["multi_label"]

    def predict(inputs):
        probabilities = model(inputs, training=False)
        return classification_outputs(probabilities, class_names, multi_label)

    if metadata.get("outputs") == "tags":

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serve(text):
            return _tags(model(text, training=False), text, class_names)

    elif metadata["inputs"] == "text":

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serve(text):
            return predict(text)

    else:

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, None], tf.string, name="tokens"),
                tf.TensorSpec([None], tf.int32, name="sequence_len"),
            ]
        )
        def serve(tokens, sequence_len):
            return predict({"tokens": tokens, "sequence_len": sequence_len})

    return {"serving_default": serve}


def _tags(probabilities, text, class_names) -> dict:
    """A tagger's outputs: probabilities [batch, words, n]; classes [batch, words], -1 past
    each text's last word (whitespace split); labels there "" (with tag names)."""
    words = tf.cast(tf.strings.split(text).row_lengths(), tf.int32)
    real = tf.sequence_mask(words, tf.shape(probabilities)[1])
    best = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
    result = {"probabilities": probabilities, "classes": tf.where(real, best, -1)}
    if class_names:
        labels = tf.gather(tf.constant(class_names), best)
        result["labels"] = tf.where(real, labels, tf.zeros_like(labels))
    return result
