"""What a video model's export serves, and the metadata it keeps.

Signatures (n = number of classes, f = the clip's frames, h, w = its frame size):
  serving_default: frames string [batch, f] (each an encoded JPEG, PNG, GIF or BMP frame of
    any size) -> probabilities float32 [batch, n], classes int32 [batch] (the top-1 index)
    and, when the model has class names, labels string [batch] (the top-1 name).
  serve_clips: clips float32 [batch, f, h, w, 3] in [0, 1] -> the same outputs.

Encoded frames get the crop of hubmodels.data.video.clip_from_frames (the largest centred
crop with the aspect of (h, w)) and an area-averaging resize in TensorFlow, so they match
training clips up to the rounding of the two resize implementations.
Metadata: class_names, frames (the clip length), step (frames between two predictions of
`hubmodels watch`), frame_step (frames of the video between two clip frames, as trained),
image_size (h, w) and value_range ([0, 1]).
LiteRT (hubmodels.litert.export) converts the model that `litert_model` gives: its GRU or
LSTM head unrolled over the clip's fixed frames. A frame model's file gets the two more
signatures of `litert_signatures` (its module per frame, its temporal head per clip), so
that VideoStream computes each frame's features once, as on TensorFlow.
"""

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.tasks.objectives import classification_outputs

DEFAULT_STEP = 4  # a prediction every 4 frames, as the quic/sense real-time engine does
VALUE_RANGE = (0.0, 1.0)
FRAME_FEATURES, TEMPORAL_HEAD = "frame_features", "temporal_head"  # LiteRT signature names


def export_metadata(model, frames=None, image_size=None, step=DEFAULT_STEP, frame_step=1) -> dict:
    """Checks that `model` maps clips to class scores; returns the metadata to keep.

    frames: the clip length, for a model that takes clips of any length (else its own).
    image_size: (height, width) for a model that takes frames of any size (else its own).
    step: frames between two predictions of a sliding window (`hubmodels watch`).
    frame_step: frames of the video between two frames of a clip, as the model was trained.
    """
    inputs = model.inputs
    if len(inputs) != 1 or inputs[0].shape.rank != 5 or inputs[0].shape[-1] != 3:
        raise InputError(
            f"video models take one input float32 [batch, frames, height, width, 3]: model "
            f"{model.name!r} takes inputs of shapes {[tuple(x.shape) for x in inputs]}"
        )
    outputs = model.outputs
    if len(outputs) != 1 or outputs[0].shape.rank != 2:
        raise InputError(
            f"video classifiers have one output [batch, num_classes]: model {model.name!r} has "
            f"outputs of shapes {[tuple(y.shape) for y in outputs]}"
        )
    shape = inputs[0].shape
    class_names = [str(name) for name in getattr(model, "class_names", None) or []] or None
    for name, value in (("step", step), ("frame_step", frame_step)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise InputError(f"{name} must be a positive integer, got {value!r}")
    return {
        "class_names": class_names,
        "frames": _fixed("frames", shape[1:2], frames, model),
        "image_size": list(_fixed("image_size", shape[2:4], image_size, model)),
        "step": int(step),
        "frame_step": int(frame_step),
        "value_range": list(VALUE_RANGE),
    }


def restore_metadata(model, metadata: dict) -> None:
    """Sets class_names, frames, image_size (h, w), step, frame_step and value_range."""
    model.class_names = metadata["class_names"]
    model.multi_label = False
    model.frames = metadata["frames"]
    model.image_size = tuple(metadata["image_size"])
    model.step = metadata["step"]
    model.frame_step = metadata["frame_step"]
    model.value_range = tuple(metadata["value_range"])


def litert_model(model):
    """`model` as LiteRT converts it: a GRU or LSTM in its output layer (the temporal head of
    video_classifier) unrolled over the clip's frames, the same weights and other layers.

    A recurrent layer runs a loop over tensor lists whose element shape holds the batch size,
    which LiteRT's builtin ops cannot take for a batch of any size; unrolled over a fixed
    count of frames it is plain matrix products. Training and the SavedModel keep the loop.
    A model without such a layer, or of clips of any length, is returned as it is.
    """
    last = model.layers[-1]
    inner = last.layers if isinstance(last, keras.Sequential) else [last]
    node = [n for n in last.inbound_nodes if n.output_tensors is model.outputs[0]]
    if len(model.outputs) != 1 or not node or not any(map(_unrollable, inner)):
        return model
    swapped = [_unrolled(layer) if _unrollable(layer) else layer for layer in inner]
    top = keras.Sequential(swapped, name=last.name) if last is not inner[0] else swapped[0]
    outputs = top(node[0].input_tensors)
    for layer, copy in zip(inner, swapped):
        if copy is not layer:
            copy.set_weights(layer.get_weights())
    from hubmodels.tasks.task_model import TaskModel

    return TaskModel(
        model.inputs,
        outputs,
        task=model.task,
        class_names=getattr(model, "class_names", None),
        name=model.name,
    )


def frame_parts(model):
    """(module, head) of a frame model (video_classifier on an image module), else None.

    module: frames [n, h, w, 3] -> features [n, d]; head: the features of clips' frames
    [batch * frames, d] (as the model builds it) -> probabilities [batch, classes].
    """
    if not isinstance(model, keras.Model):
        return None
    names = {layer.name for layer in model.layers}
    if not {"frames_as_images", "module", "head"} <= names:
        return None
    return model.get_layer("module"), model.get_layer("head")


def litert_signatures(model, specs: list) -> dict:
    """The signatures a frame model's LiteRT file has beside serving_default, as concrete
    functions by name ({} for other models):

      frame_features: frames float32 [n, h, w, 3] in [0, 1] -> features float32 [n, d]
      temporal_head: features float32 [batch, frames, d] -> probabilities [batch, classes]

    model: the model LiteRT converts (`litert_model`'s); specs: serving_default's input
    specs, clips [batch, frames, h, w, 3] with h, w fixed.
    """
    parts = frame_parts(model)
    if parts is None:
        return {}
    module, head = parts
    frames, height, width = specs[0].shape[1:4]

    @tf.function(input_signature=[tf.TensorSpec([None, height, width, 3], tf.float32, "frames")])
    def frame_features(images):
        return {"features": module(images, training=False)}

    features = frame_features.get_concrete_function()
    depth = features.structured_outputs["features"].shape[-1]

    @tf.function(input_signature=[tf.TensorSpec([None, frames, depth], tf.float32, "features")])
    def temporal_head(clip_features):
        flat = tf.reshape(clip_features, [-1, depth])  # as the head was built (frames_of_clips)
        return {"probabilities": head(flat, training=False)}

    return {FRAME_FEATURES: features, TEMPORAL_HEAD: temporal_head.get_concrete_function()}


def _unrollable(layer) -> bool:
    """Whether `layer` is a recurrent layer with a loop over a fixed number of steps."""
    return (
        isinstance(layer, keras.layers.RNN)
        and not layer.unroll
        and tf.TensorShape(layer.input_shape)[1] is not None
    )


def _unrolled(layer):
    """A copy of the recurrent `layer` that unrolls its loop (weights set once built)."""
    return type(layer).from_config({**layer.get_config(), "unroll": True})


def serving_signatures(model, metadata: dict) -> dict:
    """{"serving_default": encoded frames in, "serve_clips": float clips in}."""
    frames = metadata["frames"]
    size = tuple(metadata["image_size"])
    class_names = metadata["class_names"]

    def predict(clips):
        return classification_outputs(model(clips, training=False), class_names, False)

    clip_spec = tf.TensorSpec([None, frames, *size, 3], tf.float32, name="clips")

    @tf.function(input_signature=[clip_spec])
    def serve_clips(clips):
        return predict(clips)

    @tf.function(input_signature=[tf.TensorSpec([None, frames], tf.string, name="frames")])
    def serve_frames(encoded):
        flat = tf.map_fn(
            lambda contents: decode_frame(contents, size),
            tf.reshape(encoded, [-1]),
            fn_output_signature=tf.TensorSpec([*size, 3], tf.float32),
        )
        return predict(tf.reshape(flat, [-1, frames, *size, 3]))

    return {"serving_default": serve_frames, "serve_clips": serve_clips}


def decode_frame(contents, size):
    """An encoded frame (string) -> float32 [*size, 3] in [0, 1]: the largest centred crop
    with the aspect of size (height, width), resized by area averaging."""
    image = tf.io.decode_image(contents, channels=3, expand_animations=False)
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    out_h, out_w = size
    scale = tf.minimum(tf.cast(height, tf.float32) / out_h, tf.cast(width, tf.float32) / out_w)
    crop_h = tf.maximum(1, tf.cast(tf.round(out_h * scale), tf.int32))
    crop_w = tf.maximum(1, tf.cast(tf.round(out_w * scale), tf.int32))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    image = tf.image.crop_to_bounding_box(image, top, left, crop_h, crop_w)
    resized = tf.image.resize(tf.cast(image, tf.float32), size, method="area")
    return resized / 255.0


def _fixed(name, dims, wanted, model):
    """The model's fixed `dims` (refusing another `wanted`), else `wanted` (InputError if None)."""
    fixed = tuple(dims)
    wanted = None if wanted is None else tuple(int(d) for d in _as_tuple(wanted))
    if None not in fixed:
        if wanted is not None and wanted != fixed:
            raise InputError(
                f"{name}={_shown(wanted)} differs from the {_shown(fixed)} of model {model.name!r}"
            )
        return _shown(fixed)
    if wanted is None:
        raise InputError(
            f"model {model.name!r} takes clips of any {name.replace('image_', '')}: give "
            f"{name}=... to save_model for the served signatures and `hubmodels watch`"
        )
    return _shown(wanted)


def _as_tuple(value):
    return value if isinstance(value, (tuple, list)) else (value,)


def _shown(dims):
    return dims[0] if len(dims) == 1 else dims
