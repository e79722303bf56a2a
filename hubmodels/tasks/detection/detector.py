"""`object_detector(handle)`: any module with a TF Hub detector interface, over batches.

    detector = object_detector("hubmodels://mtcnn/face_detection", min_score=0.9)
    records = detector.detect([photo, other_photo])      # one Detections per image
    records[0].pixel_boxes, records[0].scores, records[0].labels()

How a batch runs (see interface.py for the interfaces):
  - a module taking one image per call (Faster R-CNN, the TF2 detection zoo, MTCNN): one
    traced function over the whole batch (its pixels flat, plus the sizes: one trace for any
    sizes) runs module call, selection and padding per image in a tf.map_fn with
    PARALLEL_CALLS images in flight. Measured on 16 photos of 10 sizes on a quiet 2-core
    machine (scripts/bench_detection.py, best of 5): on the stand-in 2.17x the tutorial's
    loop (36 against 79 ms; 1 image in flight 1.89x; threads calling a one-image function
    2.15x, as fast but more machinery). 3x cannot come here: the module's own work, 2.25 ms
    an image with nothing else left, is over a third of the tutorial's 4.9 ms. On MTCNN
    1.08x: its ~50 ms of pyramid and cascade work per image dwarfs a call;
  - a module taking batches: one call per group of images of the same size.
Selection (score, classes, NMS, max_detections) runs in the same graph (selection.py), and
exports (serving.py) serve that same function.
"""

import numpy as np

from hubmodels._keras import tf
from hubmodels.hub.module import Module
from hubmodels.tasks.detection import images as image_checks
from hubmodels.tasks.detection.interface import read_spec
from hubmodels.tasks.detection.records import from_padded
from hubmodels.tasks.detection.selection import Selection, check_options, split_classes

PARALLEL_CALLS = 2  # images of a one-image module in flight (the machine's 2 cores: measured)


def object_detector(
    handle, signature=None, min_score=0.0, max_detections=100, classes=None, nms_iou=None
) -> "ObjectDetector":
    """A detector over module `handle` (a handle or a hubmodels.Module).

    min_score: keep detections scoring at least this, in [0, 1].
    max_detections: at most this many per image (the best by score).
    classes: keep only these classes: ids (int) and/or names or entities (str).
    nms_iou: if given, per-class non-maximum suppression at this IoU, in (0, 1].
    """
    module = handle if isinstance(handle, Module) else Module(handle)
    spec = read_spec(module, signature)
    min_score, max_detections, nms_iou = check_options(min_score, max_detections, nms_iou)
    ids, texts = split_classes(classes, spec, module.handle)
    selection = Selection(spec, min_score, max_detections, ids, texts, nms_iou)
    return ObjectDetector(module, signature, selection)


def as_float(array) -> np.ndarray:
    """uint8 [h, w, 3] -> float32 in [0, 1]; float32 stays as it is."""
    return array * np.float32(1 / 255) if array.dtype == np.uint8 else array


class ObjectDetector:
    """Detections of images by a detector module; build it with object_detector(...).

    detect(images) -> [Detections] (records.py), one per image, in order.
    """

    task = "detection"  # as task models and LiteRT predictors name theirs

    def __init__(self, module: Module, signature, selection: Selection):
        self.module = module
        self.handle = module.handle
        self.signature = signature
        self.spec = selection.spec
        self.selection = selection
        self._flat_fns = {
            dtype: tf.function(
                self._detect_flat,
                input_signature=[tf.TensorSpec([None], dtype), tf.TensorSpec([None, 2], tf.int32)],
                autograph=False,
            )
            for dtype in ("uint8", "float32")
        }
        self._batch_fns = {
            dtype: tf.function(
                self._detect_batch,
                input_signature=[tf.TensorSpec([None, None, None, 3], dtype)],
                autograph=False,
            )
            for dtype in ("uint8", "float32")
        }

    def detect(self, images) -> list:
        """images: a list of images of any sizes or a batch [batch, h, w, c] (see images.py)
        -> one Detections per image."""
        arrays = image_checks.as_rgb_list(images)
        if any(array.dtype != np.uint8 for array in arrays):  # one dtype per batch
            arrays = [as_float(array) for array in arrays]
        if not self.spec.takes_batches:
            flat = np.concatenate([array.reshape(-1) for array in arrays])
            sizes = np.array([array.shape[:2] for array in arrays], np.int32)
            padded = self._flat_fns[flat.dtype.name](flat, sizes)
            padded = {key: value.numpy() for key, value in padded.items()}
            return [
                from_padded({key: value[row] for key, value in padded.items()}, array.shape[:2])
                for row, array in enumerate(arrays)
            ]
        records = [None] * len(arrays)
        groups = {}
        for index, array in enumerate(arrays):
            groups.setdefault(array.shape, []).append(index)
        for indices in groups.values():
            images = np.stack([arrays[i] for i in indices])
            padded = self._batch_fns[images.dtype.name](images)
            padded = {key: value.numpy() for key, value in padded.items()}
            for row, index in enumerate(indices):
                one = {key: value[row] for key, value in padded.items()}
                records[index] = from_padded(one, arrays[index].shape[:2])
        return records

    # Traced ----------------------------------------------------------------------

    def output_signature(self) -> dict:
        """TensorSpecs of the padded detections of one image (K = max_detections)."""
        k = self.selection.max_detections
        specs = {
            "detection_boxes": tf.TensorSpec([k, 4], tf.float32),
            "detection_scores": tf.TensorSpec([k], tf.float32),
            "detection_classes": tf.TensorSpec([k], tf.int64),
            "detection_class_names": tf.TensorSpec([k], tf.string),
            "detection_class_entities": tf.TensorSpec([k], tf.string),
            "num_detections": tf.TensorSpec([], tf.int32),
        }
        if self.spec.keypoints != 0:
            specs["detection_keypoints"] = tf.TensorSpec([k, self.spec.keypoints, 2], tf.float32)
        return specs

    def _module_images(self, images):
        """images [b, h, w, 3] uint8 (0-255) or float32 ([0, 1]) -> what the module takes:
        its dtype and range (uint8: 0-255, float: [0, 1]), and its size if it has one."""
        wanted = self.spec.image_dtype
        if self.spec.image_size is None and images.dtype == wanted:
            return images
        values = tf.cast(images, tf.float32)
        if images.dtype == tf.uint8:
            values *= 1 / 255
        if self.spec.image_size is not None:
            values = tf.image.resize(values, self.spec.image_size)
        if wanted == tf.uint8:
            return tf.cast(tf.round(tf.clip_by_value(values, 0.0, 1.0) * 255.0), tf.uint8)
        return tf.cast(values, wanted)

    def _call(self, images) -> dict:
        feeds = {self.spec.image_key: self._module_images(images)}
        return self.module(feeds, signature=self.signature, as_dict=True)

    def detect_one(self, image) -> dict:
        """image [h, w, 3] uint8 (0-255) or float32 ([0, 1]) -> padded detections."""
        return self.selection.select(self._call(image[None]))

    def _detect_flat(self, flat, sizes):
        """flat: every image's pixels, one after the other; sizes int32 [n, 2] (h, w) ->
        padded detections [n, ...], PARALLEL_CALLS images in flight."""
        lengths = sizes[:, 0] * sizes[:, 1] * 3
        ends = tf.cumsum(lengths)

        def one(index):
            pixels = flat[ends[index] - lengths[index] : ends[index]]
            return self.detect_one(tf.reshape(pixels, [sizes[index, 0], sizes[index, 1], 3]))

        return tf.map_fn(
            one,
            tf.range(tf.shape(sizes)[0]),
            fn_output_signature=self.output_signature(),
            parallel_iterations=PARALLEL_CALLS,
        )

    def _detect_batch(self, images):
        outputs = self._call(images)
        return tf.map_fn(
            lambda row: self.selection.select(outputs, row),
            tf.range(tf.shape(images)[0]),
            fn_output_signature=self.output_signature(),
        )
