"""What an image model's export serves, and the metadata it keeps.

Signatures (n = number of classes):
  serving_default: image_bytes string [batch] (JPEG, PNG, GIF, BMP; each any size)
    -> probabilities float32 [batch, n], and for single-label models classes int32 [batch]
       (the top-1 index) and, when the model has class names, labels string [batch] (the
       top-1 name). Multi-label models return probabilities only: the threshold is yours.
  serve_images: images float32 [batch, height, width, 3] in [0, 1] -> the same outputs.

Encoded images go through hubmodels.data.decode.decode_image_bytes, the function that
decodes training files, so served predictions equal training-time ones.
Metadata: class_names, multi_label, image_size (what serving_default resizes to), fast_jpeg
(whether large JPEGs are decoded at a reduced scale, as the training data was).
"""

from hubmodels._keras import tf
from hubmodels.data.decode import decode_image_bytes
from hubmodels.errors import InputError
from hubmodels.tasks.image.augmentation import AugmentationLayer
from hubmodels.tasks.objectives import classification_outputs


def export_metadata(model, image_size=None, fast_jpeg=True) -> dict:
    """Checks that `model` maps images to class scores; returns the metadata to keep.

    image_size: (height, width) that serving_default resizes images to; needed when the
      model accepts any size and has no augmentation layer whose size it could take.
    fast_jpeg: decode large JPEGs at a reduced scale, as the training data did
      (hubmodels.data's `fast_jpeg`, kept in ImageData.fast_jpeg): serve as you trained.
    """
    _check_outputs(model)
    class_names = [str(name) for name in getattr(model, "class_names", None) or []] or None
    return {
        "class_names": class_names,
        "multi_label": bool(getattr(model, "multi_label", False)),
        "image_size": list(_serving_size(model, image_size)),
        "fast_jpeg": bool(fast_jpeg),
    }


def restore_metadata(model, metadata: dict) -> None:
    """Sets class_names, multi_label and image_size (height, width) on a reloaded model."""
    model.class_names = metadata["class_names"]
    model.multi_label = metadata["multi_label"]
    model.image_size = tuple(metadata["image_size"])
    model.fast_jpeg = metadata.get("fast_jpeg", False)  # exports before it decoded in full


def serving_signatures(model, metadata: dict) -> dict:
    """{"serving_default": encoded bytes in, "serve_images": float images in}."""
    size = tuple(metadata["image_size"])
    fast_jpeg = metadata["fast_jpeg"]
    class_names = metadata["class_names"]
    multi_label = metadata["multi_label"]

    def predict(images):
        probabilities = model(images, training=False)
        return classification_outputs(probabilities, class_names, multi_label)

    image_spec = tf.TensorSpec(model.inputs[0].shape, tf.float32, name="images")

    @tf.function(input_signature=[image_spec])
    def serve_images(images):
        return predict(images)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="image_bytes")])
    def serve_bytes(image_bytes):
        images = tf.map_fn(
            lambda contents: decode_image_bytes(contents, size, fast_jpeg=fast_jpeg),
            image_bytes,
            fn_output_signature=tf.TensorSpec([*size, 3], tf.float32),
        )
        return predict(images)

    return {"serving_default": serve_bytes, "serve_images": serve_images}


def _serving_size(model, image_size) -> tuple:
    """(height, width) that encoded images are resized to."""
    inputs = model.inputs
    shapes = [tuple(x.shape) for x in inputs]
    if len(inputs) != 1 or inputs[0].shape.rank != 4 or inputs[0].shape[-1] != 3:
        raise InputError(
            f"image models take one input float32 [batch, height, width, 3]: model "
            f"{model.name!r} takes inputs of shapes {shapes}"
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
            f"image classifiers have one output [batch, num_classes]: model {model.name!r} has "
            f"outputs of shapes {[tuple(y.shape) for y in outputs]}"
        )
    names = getattr(model, "class_names", None)
    if names and len(names) != outputs[0].shape[-1]:
        raise InputError(
            f"model {model.name!r} has {len(names)} class names but {outputs[0].shape[-1]} outputs"
        )
