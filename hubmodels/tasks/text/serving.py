"""What a text model's export serves, and the metadata it keeps.

Signature (n = number of classes):
  serving_default: text string [batch] (raw texts; "" is valid) -> probabilities float32
    [batch, n], and for single-label models classes int32 [batch] (the top-1 index) and,
    when the model has class names, labels string [batch] (the top-1 name). A model of
    pre-split tokens (ELMo's `tokens` signature) takes tokens string [batch, seq] and
    sequence_len int32 [batch] instead.
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
    if len(outputs) != 1 or outputs[0].shape.rank != 2:
        raise InputError(
            f"text classifiers have one output [batch, num_classes]: model {model.name!r} has "
            f"outputs of shapes {[tuple(y.shape) for y in outputs]}"
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
    return {
        "class_names": class_names,
        "multi_label": bool(getattr(model, "multi_label", False)),
        "inputs": kind,
    }


def restore_metadata(model, metadata: dict) -> None:
    """Sets class_names, multi_label and text_inputs ("text" or "tokens") on a reloaded model."""
    model.class_names = metadata["class_names"]
    model.multi_label = metadata["multi_label"]
    model.text_inputs = metadata["inputs"]


def serving_signatures(model, metadata: dict) -> dict:
    """{"serving_default": raw texts (or tokens) in, class scores out}."""
    class_names = metadata["class_names"]
    multi_label = metadata["multi_label"]

    def predict(inputs):
        probabilities = model(inputs, training=False)
        return classification_outputs(probabilities, class_names, multi_label)

    if metadata["inputs"] == "text":

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
