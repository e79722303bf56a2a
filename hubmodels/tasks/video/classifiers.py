"""`video_classifier`: a dense head on a clip module (such as I3D), or an image module run on
every frame with a temporal head (mean over frames, GRU or LSTM)."""

from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.hub.layers import module_layer
from hubmodels.hub.module import Module
from hubmodels.tasks.fine_tuning import unfrozen_names
from hubmodels.tasks.heads import dense_head
from hubmodels.tasks.task_model import TaskModel
from hubmodels.tasks.video import TEMPORAL
from hubmodels.tasks.video.layers import FramesAsImages, FramesOfClips, temporal_layers
from hubmodels.training.strategy import builds_under

TASK = "video"
DEFAULT_FRAMES = 16  # frame modules' clip length when none is given (video_clips' default)


def module_input(module, signature=None) -> tuple:
    """("clip" or "frame", frames or None, (height, width) or None) of a module's one input:
    clips [batch, frames, h, w, 3] or images [batch, h, w, 3]; None where any goes."""
    infos = module.get_input_info_dict(signature)
    if len(infos) != 1:
        raise InputError(
            f"module {module.handle} takes {len(infos)} inputs ({', '.join(infos)}); video "
            "classifiers need one: clips [batch, frames, h, w, 3] or images [batch, h, w, 3]"
        )
    name, info = next(iter(infos.items()))
    shape = info.shape.as_list() if info.shape.rank is not None else None
    if shape is None or len(shape) not in (4, 5) or shape[-1] != 3:
        raise InputError(
            f"module {module.handle} takes {name} of shape {info.shape}: expected clips "
            "[batch, frames, height, width, 3] or images [batch, height, width, 3]"
        )
    height, width = shape[-3:-1]
    size = None if height is None or width is None else (height, width)
    if len(shape) == 5:
        return "clip", shape[1], size
    return "frame", None, size


@builds_under
def video_classifier(
    handle,
    num_classes,
    unfreeze=None,
    dropout=0.2,
    head=(),
    frames=None,
    signature=None,
    output_key=None,
    temporal="mean",
    class_names=None,
):
    """Transfer learning on clips: clips -> module -> [temporal head] -> dense head.

    clips: float32 [batch, frames, height, width, 3] in [0, 1] -> probabilities
    [batch, num_classes] (softmax).

    Clip modules (input [batch, frames, h, w, 3], e.g. I3D) get the dense head on their
    output [batch, d]. Image modules (input [batch, h, w, 3], e.g. EfficientNet-Lite0's
    feature vector) run on each frame; `temporal` then turns the per-frame features
    [batch, frames, d] into one vector: "mean" over frames, or "gru" / "lstm" (128 units);
    "delta_mean", "delta_gru", "delta_lstm" do so on the differences between consecutive
    frames (what moves: on the generated gestures over photo backgrounds, frozen
    EfficientNet-Lite0 features reach about twice the held-out accuracy this way).
    frames: the clip length. None: a clip module's own (any, when it takes any), 16 for
      image modules. A clip module with a fixed count refuses another.
    unfreeze: module variables to fine-tune (hubmodels.hub.unfreeze: a scope like
      "Mixed_5c", a list, an int N for the last N blocks); None keeps the module frozen.
    head: hidden layer sizes of the dense head, e.g. (256,).
    class_names: names of the classes (one per class), kept on the model.
    strategy: build under this tf.distribute strategy (see hubmodels.training.strategy).
    """
    if temporal not in TEMPORAL:
        raise InputError(f"temporal={temporal!r}: expected one of {', '.join(TEMPORAL)}")
    if frames is not None and (isinstance(frames, bool) or int(frames) != frames or frames < 1):
        raise InputError(f"frames must be a positive integer, got {frames!r}")
    fine_tune = bool(unfreeze)  # None, False, 0 and [] keep the module frozen
    module = Module(handle, trainable=fine_tune)
    kind, module_frames, size = module_input(module, signature)
    layer = module_layer(
        module,
        signature=signature,
        output_key=output_key,
        trainable_names=unfrozen_names(module, unfreeze) if fine_tune else [],
    )
    if kind == "clip":
        frames = _clip_frames(module, module_frames, frames)
        inputs = _clip_input(frames, size)
        features = layer(inputs)
        if features.shape.rank == 3:  # per-frame features [batch, frames, d]
            layers = [*temporal_layers(temporal), dense_head(num_classes, False, dropout, head)]
            top = keras.Sequential(layers, name="head")
        elif features.shape.rank == 2 and temporal == "mean":
            top = dense_head(num_classes, False, dropout, head)
        else:
            raise InputError(
                f"module {module.handle} gives outputs of shape {tuple(features.shape)}: "
                "expected [batch, d] (pooled over time; temporal must then be 'mean') or "
                "[batch, frames, d]"
            )
    else:
        frames = DEFAULT_FRAMES if frames is None else int(frames)
        if temporal.startswith("delta_") and frames < 2:
            raise InputError(f"temporal={temporal!r} compares frames: it needs frames >= 2")
        inputs = _clip_input(frames, size)
        features = layer(FramesAsImages(name="frames_as_images")(inputs))
        if features.shape.rank != 2:
            raise InputError(
                f"module {module.handle} gives features of shape {tuple(features.shape)} per "
                "frame, expected [batch, d]: choose a feature-vector signature or output_key"
            )
        layers = [
            FramesOfClips(frames, name="frames_of_clips"),
            *temporal_layers(temporal),
            dense_head(num_classes, False, dropout, head, name="dense"),
        ]
        top = keras.Sequential(layers, name="head")
    outputs = top(features)
    return TaskModel(inputs, outputs, task=TASK, class_names=class_names, name="video_classifier")


def _clip_frames(module, module_frames, frames):
    """The clip length: the module's fixed one (refusing another), else `frames` (None: any)."""
    if module_frames is not None and frames is not None and int(frames) != module_frames:
        raise InputError(
            f"module {module.handle} takes clips of exactly {module_frames} frames, "
            f"frames={frames} differs: give frames={module_frames} or leave it out"
        )
    return module_frames if module_frames is not None else frames


def _clip_input(frames, size):
    height, width = size if size is not None else (None, None)
    return keras.Input(shape=(frames, height, width, 3), dtype=tf.float32, name="clips")
