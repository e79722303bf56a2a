"""A detector as a SavedModel of its own: `save_detector(detector, path)`, `load_detector(path)`.

Signatures of the export (K = the detector's max_detections, P = keypoints per detection):
  serving_default: image_bytes string [batch] (JPEG, PNG, GIF, BMP; each any size up to
    images.MAX_SIDE pixels a side)
    -> num_detections int32 [batch], detection_boxes float32 [batch, K, 4] (normalised
       ymin, xmin, ymax, xmax), detection_scores float32 [batch, K], detection_classes
       int64 [batch, K], detection_class_names and detection_class_entities string
       [batch, K], detection_keypoints float32 [batch, K, P, 2] (modules with keypoints),
       image_size int32 [batch, 2] (height, width: boxes * size gives pixels).
    Rows past num_detections are padding (zeros, "").
  detect: input_tensor uint8 [1, height, width, 3] -> the same detections with a batch
    dimension of 1 (num_detections float32 [1]): TF2 detection-zoo style, so that
    `object_detector(path)` reads the export as it reads a module.
Both run the detector's own traced selection (min_score, classes, nms_iou, max_detections
as it was built with): an export gives the records the detector gave.
Metadata (task "detection"): the module's handle and signature, the selection, the number
of keypoints, MAX_SIDE. The write is atomic (hubmodels.export.atomic).
"""

from pathlib import Path

from hubmodels._keras import tf
from hubmodels.errors import InputError, ModuleFormatError
from hubmodels.export import atomic, metadata
from hubmodels.tasks.detection.images import MAX_SIDE

TASK = "detection"
DETECT_SIGNATURE = "detect"


def export_metadata(detector, **options) -> dict:
    """The facts an export of `detector` keeps (options: none are taken)."""
    if options:
        raise InputError(f"a detector export takes no options, got {sorted(options)}")
    selection = detector.selection
    return {
        "handle": detector.handle,
        "signature": detector.signature,
        "min_score": selection.min_score,
        "max_detections": selection.max_detections,
        "class_ids": list(selection.class_ids),
        "class_texts": list(selection.class_texts),
        "nms_iou": selection.nms_iou,
        "keypoints": detector.spec.keypoints,
        "max_side": MAX_SIDE,
    }


def restore_metadata(detector, found: dict) -> None:
    """Keeps the export's metadata on the detector read back from it (`export_metadata`)."""
    detector.export_metadata = found


def _decode(contents):
    """Encoded bytes -> uint8 [h, w, 3]; fails on an image above MAX_SIDE pixels a side."""
    image = tf.io.decode_image(contents, channels=3, expand_animations=False)
    shape = tf.shape(image)
    tf.debugging.assert_less_equal(
        tf.reduce_max(shape[:2]),
        MAX_SIDE,
        message=f"an image above {MAX_SIDE} pixels on a side: downscale it first",
    )
    return image


def serving_signatures(detector, found: dict) -> dict:
    """{"serving_default": encoded bytes in, "detect": one uint8 image in}."""
    output_signature = detector.output_signature()

    bytes_spec = tf.TensorSpec([None], tf.string, name="image_bytes")

    @tf.function(input_signature=[bytes_spec], autograph=False)
    def serve_bytes(image_bytes):
        def one(contents):
            image = _decode(contents)
            return detector.detect_one(image), tf.shape(image)[:2]

        padded, sizes = tf.map_fn(
            one,
            image_bytes,
            fn_output_signature=(output_signature, tf.TensorSpec([2], tf.int32)),
        )
        return {**padded, "image_size": sizes}

    image_spec = tf.TensorSpec([1, None, None, 3], tf.uint8, name="input_tensor")

    @tf.function(input_signature=[image_spec], autograph=False)
    def detect(input_tensor):
        padded = detector.detect_one(input_tensor[0])
        outputs = {key: value[None] for key, value in padded.items()}
        outputs["num_detections"] = tf.cast(outputs["num_detections"], tf.float32)
        return outputs

    return {"serving_default": serve_bytes, DETECT_SIGNATURE: detect}


def save_detector(detector, path, overwrite=False) -> Path:
    """Exports `detector` (an ObjectDetector) to the SavedModel folder `path`, atomically.

    overwrite: replace an existing `path` (otherwise an existing non-empty one is refused).
    The export holds the module: it runs where the module is absent.
    """
    loaded = detector.module.loaded_object
    if detector.module.runs_in_session or loaded is None:
        raise ModuleFormatError(
            f"cannot export a detector of module {detector.handle}: it runs in a TF1 graph "
            "session (TF2 could not load it), which a SavedModel cannot contain"
        )
    task_metadata = export_metadata(detector)

    def write(folder, scratch):
        file = scratch / metadata.FILENAME
        written = metadata.write(file, TASK, task_metadata)
        root = tf.Module()
        root.module = loaded  # its variables and functions go into the export
        root.hubmodels_metadata = tf.saved_model.Asset(str(file))
        tf.saved_model.save(root, str(folder), signatures=serving_signatures(detector, written))

    return atomic.write_folder(Path(path), write, overwrite)


def load_export(path):
    """The task's loader of its exports (hubmodels.tasks): load_detector."""
    return load_detector(path)


def load_detector(path):
    """The ObjectDetector of an export of save_detector (its `detect` signature), with the
    export's metadata as `.export_metadata`."""
    from hubmodels.tasks.detection.detector import object_detector

    found = metadata.read(Path(path))
    if found["task"] != TASK:
        raise ModuleFormatError(f"{path} is an export of task {found['task']!r}, not {TASK!r}")
    detector = object_detector(
        str(path), signature=DETECT_SIGNATURE, max_detections=found["max_detections"]
    )
    restore_metadata(detector, found)
    return detector
