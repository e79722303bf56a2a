"""Export: `save_model` writes a SavedModel that serves encoded images; `load_model` reads it.

    hubmodels.save_model(model, "exports/flowers")
    served = tf.saved_model.load("exports/flowers")        # plain TensorFlow, no hubmodels
    served.signatures["serving_default"](image_bytes=tf.constant([jpeg_bytes]))
    model = hubmodels.load_model("exports/flowers")         # tf-keras; .class_names, .multi_label

Signatures of an export (n = number of classes):
  serving_default: image_bytes string [batch] (JPEG, PNG, GIF, BMP; each any size)
    -> probabilities float32 [batch, n] (the model's output), and for single-label models
       classes int32 [batch] (the top-1 index) and, when the model has class names,
       labels string [batch] (the top-1 name). Multi-label models return probabilities
       only: the threshold is the caller's choice.
  serve_images: images float32 [batch, height, width, 3] in [0, 1] -> the same outputs.

Images are decoded as hubmodels.data decodes image files (JPEG with the accurate integer
DCT, grey and palette images to RGB, alpha dropped, a GIF's first frame), resized
bilinearly to the model's input size and scaled to [0, 1].

The export carries its metadata (class names, multi_label, image size, hubmodels version)
in `assets/hubmodels_model.json`, a tracked asset: after tf.saved_model.load it is at
`served.hubmodels_metadata.asset_path`. It is self-contained: module layers are revived
from the saved graph, so the modules it was built from need not exist where it is loaded.

The write is atomic: the export is written into a staging folder beside `path`, then
renamed into place. A failed save leaves `path` as it was (absent, or the previous export).

Security: a SavedModel is a program; load only exports you trust. `load_model` never
deserialises Python bytecode (Lambda layers are revived from the saved graph).
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

from hubmodels import __version__
from hubmodels._keras import keras, tf
from hubmodels.errors import InputError, ModuleFormatError
from hubmodels.hub import backends
from hubmodels.hub.augmentation import AugmentationLayer
from hubmodels.hub.layer import ModuleLayer

METADATA_FILE = "hubmodels_model.json"
FORMAT = "hubmodels.export"
FORMAT_VERSION = 1


def save_model(model, path, overwrite=False, image_size=None) -> Path:
    """Exports a functional tf-keras image model to the SavedModel folder `path`.

    model: one input float32 [batch, height, width, 3] in [0, 1] -> one output [batch, n],
      e.g. from hubmodels.feature_vector_classifier or hubmodels.image_classifier.
    overwrite: replace an existing `path` (otherwise an existing non-empty `path` is refused).
    image_size: (height, width) that `serving_default` resizes images to, needed when the
      model accepts any size and has no augmentation layer whose size it could take.
    Returns `path` as a Path.
    """
    path = Path(path)
    size = _serving_size(model, image_size)
    _check_outputs(model)
    _check_modules(model)
    _refuse_occupied(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
    try:
        export = staging / "export"
        _write(model, export, size, staging / METADATA_FILE)
        _move_into_place(export, path, staging / "previous", overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def load_model(path):
    """A tf-keras model from an export of `save_model`, with `class_names` and `multi_label`.

    The model is not compiled: compile it to train further.
    """
    path = Path(path)
    metadata = _read_metadata(path)
    try:
        with keras.src.saving.serialization_lib.SafeModeScope(True):
            model = keras.models.load_model(str(path), compile=False)
    except (OSError, ValueError, tf.errors.OpError) as err:
        raise ModuleFormatError(
            f"cannot load the export {path} as a tf-keras model: {err}"
        ) from err
    model.class_names = metadata["class_names"]
    model.multi_label = metadata["multi_label"]
    return model


# Checks ------------------------------------------------------------------------


def _serving_size(model, image_size) -> tuple:
    """(height, width) that encoded images are resized to."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise InputError(
            f"save_model exports functional tf-keras models (as the hubmodels factories "
            f"build); model {model.name!r} has no symbolic inputs"
        )
    shapes = [tuple(x.shape) for x in inputs]
    if len(inputs) != 1 or inputs[0].shape.rank != 4 or inputs[0].shape[-1] != 3:
        raise InputError(
            f"save_model exports image models: model {model.name!r} takes inputs of shapes "
            f"{shapes}, expected one input float32 [batch, height, width, 3]"
        )
    if inputs[0].dtype != tf.float32:
        raise InputError(
            f"model {model.name!r} takes {inputs[0].dtype.name} images, expected float32 in [0, 1]"
        )
    fixed = tuple(inputs[0].shape[1:3])
    wanted = None if image_size is None else tuple(int(d) for d in image_size)
    if None not in fixed:
        if wanted is not None and wanted != fixed:
            raise InputError(
                f"image_size={wanted} differs from the input size {fixed} of model {model.name!r}"
            )
        return fixed
    if wanted is None:
        sizes = [m.image_size for m in model.submodules if isinstance(m, AugmentationLayer)]
        wanted = sizes[0] if sizes else None
    if wanted is None:
        raise InputError(
            f"model {model.name!r} accepts images of any size: give image_size=(height, width) "
            "for serving_default to resize encoded images to"
        )
    return wanted


def _check_outputs(model) -> None:
    outputs = model.outputs
    if len(outputs) != 1 or outputs[0].shape.rank != 2:
        raise InputError(
            f"save_model exports classifiers: model {model.name!r} has outputs of shapes "
            f"{[tuple(y.shape) for y in outputs]}, expected one output [batch, num_classes]"
        )
    names = getattr(model, "class_names", None)
    if names and len(names) != outputs[0].shape[-1]:
        raise InputError(
            f"model {model.name!r} has {len(names)} class names but {outputs[0].shape[-1]} outputs"
        )


def _check_modules(model) -> None:
    """Refuses modules run in a TF1 session: their graph lives outside TensorFlow's."""
    for layer in model.submodules:
        if not isinstance(layer, (ModuleLayer, AugmentationLayer)):
            continue
        if isinstance(layer.module._model, backends.SessionModel):
            raise ModuleFormatError(
                f"cannot export model {model.name!r}: its layer {layer.name!r} runs module "
                f"{layer.module.handle} in a TF1 graph session (TF2 could not load it), "
                "which a SavedModel cannot contain"
            )


def _occupied(path: Path) -> bool:
    """Whether `path` holds something a save would destroy (anything but an empty folder)."""
    if path.is_dir() and not path.is_symlink():
        return any(path.iterdir())
    return path.exists() or path.is_symlink()


def _refuse_occupied(path: Path, overwrite: bool) -> None:
    if not overwrite and _occupied(path):
        raise InputError(f"{path} already exists: pass overwrite=True to replace it")


# Writing -----------------------------------------------------------------------


def _write(model, export: Path, size: tuple, metadata_file: Path) -> None:
    """Writes the SavedModel into `export` (a new folder); the model itself is not changed."""
    class_names = [str(name) for name in getattr(model, "class_names", None) or []] or None
    multi_label = bool(getattr(model, "multi_label", False))
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "hubmodels_version": __version__,
        "class_names": class_names,
        "multi_label": multi_label,
        "image_size": list(size),
    }
    metadata_file.write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    # A new functional model over the same layers carries the asset, so `model` stays as it was.
    exported = keras.Model(model.inputs, model.outputs, name=model.name)
    exported.hubmodels_metadata = tf.saved_model.Asset(str(metadata_file))
    signatures = _signatures(exported, size, class_names, multi_label)
    exported.compile()  # spares tf-keras' warning about the metrics of an uncompiled model
    exported.save(str(export), save_format="tf", include_optimizer=False, signatures=signatures)


def _signatures(model, size, class_names, multi_label) -> dict:
    def predict(images):
        probabilities = model(images, training=False)
        result = {"probabilities": probabilities}
        if not multi_label:
            classes = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
            result["classes"] = classes
            if class_names:
                result["labels"] = tf.gather(tf.constant(class_names), classes)
        return result

    image_spec = tf.TensorSpec(model.inputs[0].shape, tf.float32, name="images")

    @tf.function(input_signature=[image_spec])
    def serve_images(images):
        return predict(images)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="image_bytes")])
    def serve_bytes(image_bytes):
        images = tf.map_fn(
            lambda contents: decode_image_bytes(contents, size),
            image_bytes,
            fn_output_signature=tf.TensorSpec([*size, 3], tf.float32),
        )
        return predict(images)

    return {"serving_default": serve_bytes, "serve_images": serve_images}


def decode_image_bytes(contents, size) -> tf.Tensor:
    """contents: string scalar (JPEG, PNG, GIF, BMP) -> float32 [height, width, 3] in [0, 1]."""
    image = tf.cond(
        tf.io.is_jpeg(contents),
        lambda: tf.io.decode_jpeg(contents, channels=3, dct_method="INTEGER_ACCURATE"),
        lambda: tf.io.decode_image(contents, channels=3, expand_animations=False),
    )
    return tf.image.resize(image, size, method="bilinear") / 255.0


def _move_into_place(export: Path, path: Path, previous: Path, overwrite: bool) -> None:
    """Renames `export` to `path`; an existing `path` is set aside first and restored on failure.

    `path` never holds part of an export: it is absent only between two renames.
    """
    if not (path.exists() or path.is_symlink()):
        try:
            os.rename(export, path)
            return
        except OSError:
            if not (path.exists() or path.is_symlink()):
                raise
            # Someone wrote `path` since the check: treat it as existing.
    _refuse_occupied(path, overwrite)
    os.rename(path, previous)
    try:
        os.rename(export, path)
    except BaseException:
        os.rename(previous, path)
        raise


# Reading -----------------------------------------------------------------------


def _read_metadata(path: Path) -> dict:
    if not path.exists():
        raise ModuleFormatError(f"no hubmodels export at {path}: it does not exist")
    if not any((path / name).is_file() for name in ("saved_model.pb", "saved_model.pbtxt")):
        raise ModuleFormatError(f"{path} is not a SavedModel folder (no saved_model.pb)")
    file = path / "assets" / METADATA_FILE
    if not file.is_file():
        raise ModuleFormatError(
            f"{path} is a SavedModel but not a hubmodels export (no assets/{METADATA_FILE}); "
            "load it with tf.saved_model.load or hubmodels.Module"
        )
    try:
        metadata = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ModuleFormatError(f"{file} is not valid JSON: {err}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModuleFormatError(f"{file} does not describe a hubmodels export")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ModuleFormatError(
            f"{path} is a hubmodels export of format version {metadata.get('format_version')}, "
            f"this hubmodels reads version {FORMAT_VERSION}"
        )
    return metadata
