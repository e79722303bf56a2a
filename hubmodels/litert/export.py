"""`export_litert`: a task model as a LiteRT (.tflite) file that serves on its own.

    hubmodels.export_litert(model, "flowers.tflite")                       # float32
    hubmodels.export_litert(model, "flowers_int8.tflite", quantization="int8",
                            representative_data=train_images)               # full integer
    hubmodels.export_litert("exports/flowers", "flowers.tflite")           # a save_model export

The model's call (training=False) is converted by tf.lite.TFLiteConverter from its concrete
function, to TFLite builtin ops only (what the `ai-edge-litert` runtime runs). The task's
metadata (image models: class_names, multi_label, image_size; see hubmodels.litert.metadata)
goes inside the file. Its signature "serving_default" takes the model's inputs by name
(images: float32 [batch, height, width, 3] in [0, 1]) and returns its outputs by name.
A task's optional `litert_signatures` hook adds signatures beside it (video frame models:
"frame_features" and "temporal_head"); int8 files keep serving_default alone, since the
calibration data are the model's inputs only (not the features a head signature takes).
A model with an op that LiteRT has no kernel for raises ConversionError naming the op and
the layer. The write is atomic.
"""

import inspect
import re
from pathlib import Path

from hubmodels import tasks
from hubmodels._keras import keras, native_stderr_held, tf
from hubmodels.errors import HubModelsError, InputError
from hubmodels.export import atomic
from hubmodels.export.save import refuse_session_modules
from hubmodels.litert import metadata
from hubmodels.litert.predictor import SIGNATURE
from hubmodels.litert.quantization import configure, mode_of


class ConversionError(HubModelsError, ValueError):
    """A model that tf.lite.TFLiteConverter cannot turn into LiteRT builtin ops."""


def export_litert(
    model,
    path,
    quantization=None,
    representative_data=None,
    overwrite=False,
    task=None,
    **options,
) -> Path:
    """Converts `model` (see `convert`) and writes the .tflite file `path` atomically.

    overwrite: replace an existing file (otherwise it is refused). Returns `path` as a Path.
    """
    content = convert(model, quantization, representative_data, task=task, **options)
    return atomic.write_file(Path(path), content, overwrite)


def convert(model, quantization=None, representative_data=None, task=None, **options) -> bytes:
    """The .tflite flatbuffer of `model`, with hubmodels metadata inside.

    model: a model from a hubmodels factory, a functional tf-keras model with task= given,
      or the folder of a `save_model` export (its metadata is kept).
      An ObjectDetector is converted by hubmodels.litert.detection.
    quantization: None (float32), "float16", "dynamic" or "int8" (hubmodels.litert.quantization).
    representative_data: for "int8": a tf.data.Dataset or array of the model's inputs
      (e.g. training images float32 [n, h, w, 3] in [0, 1]); up to 100 samples calibrate.
    options: what the task's export takes (image models: image_size=(h, w) when the model
      accepts any size).
    """
    from hubmodels.tasks.detection.detector import ObjectDetector

    if isinstance(model, ObjectDetector):
        from hubmodels.litert import detection

        return detection.convert(model, quantization, representative_data, **options)
    mode = mode_of(quantization)
    if isinstance(model, (str, Path)):
        model, options = _from_export(Path(model), options)
    task_name = task or getattr(model, "task", None)
    if task_name is None:
        raise InputError(
            f"model {model.name!r} was not made by a hubmodels factory: say which task it "
            f"serves with task=... (one of {', '.join(tasks.names())})"
        )
    refuse_session_modules(model, into="a LiteRT file")
    task = tasks.get(task_name)
    task_metadata = task.export_metadata(model, **options)
    inference = _without_augmentation(model)
    task_form = getattr(task, "litert_model", None)  # e.g. video: RNN unrolled
    inference = task_form(inference) if task_form else inference
    specs = _input_specs(inference, task_metadata.get("image_size"))
    functions = {SIGNATURE: _serving_function(inference, specs)}
    more = getattr(task, "litert_signatures", None)  # e.g. video: per-frame features, head
    if more and mode != "int8":
        functions.update(more(inference, specs))
    # Several functions convert through a SavedModel of the object tracking their variables
    # (the unrolled head's are `inference`'s); one may fall back to freezing its graph.
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        _named(functions), inference if len(functions) > 1 else model
    )
    configure(converter, mode, representative_data, specs)
    content = run_converter(converter, lambda err: _unsupported(err, model, mode))
    inputs = [(spec.name, spec.shape, spec.dtype.name) for spec in specs]
    described = metadata.describe(task_name, mode, inputs, model.output_names, task_metadata)
    return metadata.write(content, described)


def _from_export(path: Path, options: dict):
    """(model, options) from a save_model export: the task options it kept, under `options`."""
    from hubmodels.export import load_model
    from hubmodels.export import metadata as export_metadata

    found = export_metadata.read(path)
    model = load_model(path)
    accepted = inspect.signature(tasks.get(found["task"]).export_metadata).parameters
    kept = {name: found[name] for name in accepted if name != "model" and name in found}
    return model, {**kept, **options}


def _without_augmentation(model):
    """`model` from the output of its augmentation layer on, if it has one.

    At inference an augmentation layer only resizes to its size (tf.image.resize, an
    identity on images of that size), and its random ops have no LiteRT kernels: the
    converted model takes images at that size and leaves the layer out.
    """
    from hubmodels.tasks.image.augmentation import AugmentationLayer

    found = [layer for layer in model.layers if isinstance(layer, AugmentationLayer)]
    if not found or len(model.inputs) != 1 or found[0].input is not model.inputs[0]:
        return model
    return keras.Model(found[0].output, model.outputs, name=model.name)


def _input_specs(model, image_size) -> list:
    """tf.TensorSpec per input, [batch, ...]; images of any size get `image_size`."""
    specs = []
    for x in model.inputs:
        shape = list(x.shape)
        if image_size and len(shape) == 4 and None in shape[1:3]:
            shape[1:3] = image_size
        specs.append(tf.TensorSpec(shape, x.dtype, name=x.name.split(":")[0]))
    return specs


def _serving_function(model, specs):
    """The concrete function inputs (by name) -> {output name: tensor}, in inference mode."""
    names = list(model.output_names)

    @tf.function(input_signature=specs)
    def serving_default(*inputs):
        outputs = model(inputs[0] if len(inputs) == 1 else list(inputs), training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return dict(zip(names, outputs))

    return serving_default.get_concrete_function()


def _named(functions: dict) -> list:
    """The concrete functions of `functions` {signature name: function}, checked to carry
    their names: tf.lite names the signatures of several functions by their graphs' names
    (those of the Python functions traced), one function "serving_default"."""
    for name, function in functions.items():
        if len(functions) > 1 and function.graph.name != name:
            raise ConversionError(
                f"signature {name!r} is a function named {function.graph.name!r}: "
                "name the traced Python function as its signature"
            )
    return list(functions.values())


def run_converter(converter, refusal) -> bytes:
    """converter.convert(), its diagnostics held off the command line's stderr (shown with
    -v); ConversionError(refusal(error)) when it refuses the model's ops."""
    with native_stderr_held():
        try:
            return converter.convert()
        except Exception as err:
            if type(err).__name__ != "ConverterError":  # tf.lite does not export its class
                raise
            refused = err  # raised below, once the held diagnostics are dropped
    raise ConversionError(refusal(refused))


def refused_ops(err, locate) -> dict:
    """{op name: where it lies (locate(the converter's location of it)), or None} of each
    op a converter error refuses."""
    found = {}
    for error in getattr(err, "errors", []):
        if error.operator.name:
            found.setdefault(error.operator.name, locate(error.location))
    return found


def _unsupported(err, model, mode: str) -> str:
    """What the converter refused: each op with the model layer it lies in."""
    found = refused_ops(err, lambda location: _layer_of(location, model))
    if any(found.values()):  # ops outside every layer come along with those in one (tf.Const)
        found = {op: layer for op, layer in found.items() if layer}
    if not found:  # older converters only list ops in the message: "Custom ops: A, B"
        for line in re.findall(r"(?:Custom|Flex) ops: (.*)", str(err)):
            found.update({op.strip(): None for op in line.split(",") if op.strip()})
    named = [f"{op} (layer {found[op]!r})" if found[op] else op for op in sorted(found)]
    reason = "; ".join(named) if named else _first_line(str(err))
    if mode == "int8":
        return (
            f"cannot convert model {model.name!r} to LiteRT int8: no int8 kernel for {reason}; "
            'quantization="dynamic" or "float16" keeps those ops in float'
        )
    return (
        f"cannot convert model {model.name!r} to LiteRT: no LiteRT builtin op for {reason}; "
        "replace that layer, or serve the SavedModel (hubmodels.save_model)"
    )


def _layer_of(location, model):
    """The name of the top-level layer of `model` in whose scope an op lies, or None.

    location: the converter's location of the op; its call names are graph node names
    such as "model/odd_layer/Igamma@__inference_serve_58".
    """
    layers = {layer.name for layer in model.layers}
    for call in getattr(location, "call", []):
        for part in call.name.split("@")[0].split("/"):
            if part in layers:
                return part
    return None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "the converter gave no reason"
