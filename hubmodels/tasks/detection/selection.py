"""Which detections of one image are kept, in the graph: score and class filters, optional
non-maximum suppression, the best `max_detections` by score, padded to a fixed size.

`Selection` holds the choices; `Selection.select(outputs, row)` maps the module's outputs for
image `row` to the padded detections (K = max_detections, P = keypoints per detection):
  detection_boxes float32 [K, 4], detection_scores float32 [K], detection_classes int64 [K],
  detection_class_names string [K], detection_class_entities string [K],
  detection_keypoints float32 [K, P, 2] (only for modules with keypoints),
  num_detections int32 [] (how many of the K rows are detections; the rest are zeros or "").
NMS is per class: boxes of different classes never suppress each other (each class's boxes
are moved by 2 * class id before tf.image.non_max_suppression, out of reach of the others).
"""

import dataclasses

from hubmodels._keras import tf
from hubmodels.errors import InputError
from hubmodels.tasks.detection import interface as names


def check_options(min_score, max_detections, nms_iou) -> tuple:
    """(min_score, max_detections, nms_iou) checked; InputError naming a bad one."""
    try:
        score = float(min_score)
    except (TypeError, ValueError):
        score = float("nan")
    if not 0.0 <= score <= 1.0:
        raise InputError(f"min_score must be a number in [0, 1], got {min_score!r}")
    if isinstance(max_detections, bool) or not isinstance(max_detections, int):
        raise InputError(f"max_detections must be an integer >= 1, got {max_detections!r}")
    if max_detections < 1:
        raise InputError(f"max_detections must be an integer >= 1, got {max_detections!r}")
    if nms_iou is not None:
        try:
            iou = float(nms_iou)
        except (TypeError, ValueError):
            iou = float("nan")
        if not 0.0 < iou <= 1.0:
            raise InputError(f"nms_iou must be a number in (0, 1] or None, got {nms_iou!r}")
        nms_iou = iou
    return score, max_detections, nms_iou


def split_classes(classes, spec, handle) -> tuple:
    """classes (None, one or several ids or names) -> (ids tuple, names tuple)."""
    if classes is None:
        return (), ()
    items = [classes] if isinstance(classes, (str, int)) else list(classes)
    ids = tuple(int(c) for c in items if isinstance(c, int) and not isinstance(c, bool))
    texts = tuple(c for c in items if isinstance(c, str))
    if len(ids) + len(texts) != len(items) or not items:
        raise InputError(
            f"classes must be class ids (int) or names (str), one or a list, got {classes!r}"
        )
    if ids and spec.class_key is None:
        raise InputError(f"module {handle} returns no class ids; cannot select classes {ids}")
    if texts and not (spec.names or spec.entities):
        raise InputError(
            f"module {handle} returns no class names or entities; cannot select {texts}"
        )
    return ids, texts


@dataclasses.dataclass(frozen=True)
class Selection:
    """The choices of ObjectDetector (checked by check_options and split_classes)."""

    spec: object
    min_score: float
    max_detections: int
    class_ids: tuple = ()
    class_texts: tuple = ()
    nms_iou: float | None = None

    def select(self, outputs: dict, row=None) -> dict:
        """outputs of one module call -> the padded detections of image `row` of that call
        (row None: outputs of a one-image call, with or without a batch dimension of 1)."""
        raw = self._unbatched(outputs, row)
        keep = tf.reshape(tf.where(self._wanted(raw)), [-1])
        kept = {k: tf.gather(v, keep) for k, v in raw.items()}
        order = self._order(kept)
        kept = {k: tf.gather(v, order) for k, v in kept.items()}
        count = tf.shape(order)[0]
        padding = self.max_detections - count
        padded = {
            key: tf.pad(value, [[0, padding]] + [[0, 0]] * (value.shape.rank - 1))
            for key, value in kept.items()
        }
        padded["num_detections"] = count
        return padded

    def _unbatched(self, outputs, row) -> dict:
        spec = self.spec
        batched = outputs[names.BOXES].shape.rank == 3

        def take(key, rank):
            value = outputs[key]
            if batched:
                value = value[0 if row is None else row]
            return tf.ensure_shape(value, [None] * rank) if value.shape.rank is None else value

        boxes = tf.cast(take(names.BOXES, 2), tf.float32)
        n = tf.shape(boxes)[0]
        if spec.count:
            n = tf.minimum(n, tf.cast(tf.reshape(take(names.COUNT, 0), []), tf.int32))
        scores = tf.cast(take(names.SCORES, 1), tf.float32)
        raw = {"detection_boxes": boxes, "detection_scores": scores}
        if spec.class_key:
            classes = take(spec.class_key, 1)
            if classes.dtype.is_floating:
                classes = tf.round(classes)
            raw["detection_classes"] = tf.cast(classes, tf.int64)
        else:
            raw["detection_classes"] = tf.zeros([tf.shape(boxes)[0]], tf.int64)
        empty = tf.fill([tf.shape(boxes)[0]], "")
        raw["detection_class_names"] = take(names.NAMES, 1) if spec.names else empty
        raw["detection_class_entities"] = take(names.ENTITIES, 1) if spec.entities else empty
        if spec.keypoints != 0:
            raw["detection_keypoints"] = tf.cast(take(names.KEYPOINTS, 3), tf.float32)
        return {key: value[:n] for key, value in raw.items()}

    def _wanted(self, raw):
        wanted = raw["detection_scores"] >= self.min_score
        if self.class_ids or self.class_texts:
            chosen = tf.zeros_like(wanted)
            for class_id in self.class_ids:
                chosen |= tf.equal(raw["detection_classes"], class_id)
            for text in self.class_texts:
                chosen |= tf.equal(raw["detection_class_names"], text)
                chosen |= tf.equal(raw["detection_class_entities"], text)
            wanted &= chosen
        return wanted

    def _order(self, kept):
        """Indices of the kept detections to return, best score first."""
        scores = kept["detection_scores"]
        if self.nms_iou is None:
            k = tf.minimum(tf.shape(scores)[0], self.max_detections)
            return tf.math.top_k(scores, k=k, sorted=True).indices
        shift = 2.0 * tf.cast(kept["detection_classes"], tf.float32)[:, None]
        # The padded form, cut here to its count: what LiteRT's NMS op gives, so that a
        # converted detector (hubmodels.litert.detection) keeps the same detections.
        indices, count = tf.raw_ops.NonMaxSuppressionV4(
            boxes=kept["detection_boxes"] + shift,
            scores=scores,
            max_output_size=self.max_detections,
            iou_threshold=self.nms_iou,
            score_threshold=float("-inf"),
            pad_to_max_output_size=True,
        )
        return indices[:count]
