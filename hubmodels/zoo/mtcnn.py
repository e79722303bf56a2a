"""MTCNN face detection with the weights of the PyPI wheel mtcnn 1.0.0, whole cascade in the graph.

Zoo module `mtcnn/face_detection`, a TF2 SavedModel in the TF Hub detector style.
Signatures `default` and `serving_default` (and `__call__`), one image per call:

  images: float32 [1, height, width, 3] in [0, 1], RGB, any height and width
  -> detection_boxes float32 [1, N, 4]: (ymin, xmin, ymax, xmax) normalised by the
       image's height and width
     detection_scores float32 [1, N], sorted in descending order (O-Net's face probability)
     detection_keypoints float32 [1, N, 5, 2]: normalised (y, x) of the left eye, right eye,
       nose, mouth left and mouth right (left and right as the mtcnn package names them),
       not clipped to the image
     detection_class_entities string [1, N] ("Human face"), detection_class_names string
       [1, N] ("/m/0dzct", its Open Images id), detection_class_labels int64 [1, N] (1)
     num_detections float32 [1]

The cascade follows the mtcnn package's defaults and arithmetic, so that boxes match
its `MTCNN().detect_faces(image)` (see scripts/make_reference_mtcnn.py):
1. pixels in [0, 255] are normalised as (x - 127.5) / 128, channels RGB as given, image
   not transposed (mtcnn 1.0's weights are in Keras layout, see mtcnn_nets.py);
2. image pyramid: scales 0.6 * 0.709^k (0.6 = 12 / minimum face size 20), k < round(
   log(min(h, w) / 12) / -log(0.709) - 1); each level resized with area averaging to
   floor(size * scale);
3. P-Net on each level; cells with face probability > 0.6 give boxes (the window from
   2 * cell + 1 to 2 * cell + 12, moved by the regression times 11), scaled back, NMS 0.5
   per level, then NMS 0.7 over all levels, then squared around their centres;
4. R-Net on 24x24 crops (tf.image.crop_and_resize of the normalised image), boxes moved
   by the regression, kept if > 0.7, NMS 0.7, squared;
5. O-Net on 48x48 crops: keypoints placed in the crop's box, boxes moved, kept if > 0.8,
   NMS 0.7 over the smaller box's area;
6. boxes clipped to pixels [0, w - 1] x [0, h - 1], as the package's `fit_to_image` does.
The package's NMS drops a box that overlaps any higher-scored box by more than the
threshold (dropped or not), which `_nms` reproduces.
"""

import tempfile
from pathlib import Path

import numpy as np

from hubmodels._keras import tf
from hubmodels.zoo import mtcnn_nets, mtcnn_weights, sources
from hubmodels.zoo.registry import Source, register

NAME = "mtcnn/face_detection"
SOURCE = Source("mtcnn", "1.0.0")
WEIGHTS = {net: f"mtcnn/assets/weights/{net}.lz4" for net in ("pnet", "rnet", "onet")}

MIN_FACE_SIZE = 20
WINDOW = 12
STRIDE = 2
SCALE_FACTOR = 0.709
MAX_LEVELS = 32  # enough for images up to ~10^6 pixels on their shorter side
# Pyramid scales in float64, as the package computes them.
SCALES = (WINDOW / MIN_FACE_SIZE) * SCALE_FACTOR ** np.arange(MAX_LEVELS)
PNET_THRESHOLD, RNET_THRESHOLD, ONET_THRESHOLD = 0.6, 0.7, 0.8
PNET_LEVEL_NMS, PNET_NMS, RNET_NMS, ONET_NMS = 0.5, 0.7, 0.7, 0.7
NMS_BLOCK = 512
ENTITY, CLASS_NAME, CLASS_LABEL = "Human face", "/m/0dzct", 1
INPUT_SPEC = tf.TensorSpec([1, None, None, 3], tf.float32, name="images")


def _overlaps(boxes, others, over_min_area: bool):
    """boxes [b, 4], others [n, 4] (x1, y1, x2, y2) -> [b, n] intersection over union (or over
    the smaller area)."""
    x1, y1, x2, y2 = [v[:, None] for v in tf.unstack(boxes, axis=1)]
    ox1, oy1, ox2, oy2 = tf.unstack(others, axis=1)
    width = tf.nn.relu(tf.minimum(x2, ox2) - tf.maximum(x1, ox1))
    height = tf.nn.relu(tf.minimum(y2, oy2) - tf.maximum(y1, oy1))
    inter = width * height
    area, other_area = (x2 - x1) * (y2 - y1), (ox2 - ox1) * (oy2 - oy1)
    if over_min_area:
        return inter / tf.minimum(area, other_area)
    return inter / (area + other_area - inter)


def _nms(rows, scores, threshold: float, over_min_area: bool = False):
    """rows [n, 4 + k] (boxes x1, y1, x2, y2, then any columns), scores [n] -> the rows and
    scores kept, by descending score.

    A box is dropped if a higher-scored box overlaps it by more than `threshold`. The
    overlaps are taken NMS_BLOCK rows at a time, so memory grows as NMS_BLOCK x n.
    """
    order = tf.argsort(scores, direction="DESCENDING", stable=True)
    rows, scores = tf.gather(rows, order), tf.gather(scores, order)
    boxes, count = rows[:, :4], tf.shape(rows)[0]

    def step(start, dropped):
        block = boxes[start : start + NMS_BLOCK]
        earlier = start + tf.range(tf.shape(block)[0])[:, None] < tf.range(count)
        over = _overlaps(block, boxes, over_min_area) > threshold
        return start + NMS_BLOCK, dropped | tf.reduce_any(over & earlier, axis=0)

    _, dropped = tf.while_loop(
        lambda start, _: start < count, step, (tf.constant(0), tf.zeros([count], tf.bool))
    )
    keep = tf.where(~dropped)[:, 0]
    return tf.gather(rows, keep), tf.gather(scores, keep)


def _square(boxes):
    """[n, 4] boxes -> squares of their longer side around the same centres."""
    x1, y1, x2, y2 = tf.unstack(boxes, axis=1)
    side = tf.maximum(x2 - x1, y2 - y1)
    x1 = x1 + (x2 - x1 - side) / 2
    y1 = y1 + (y2 - y1 - side) / 2
    return tf.stack([x1, y1, x1 + side, y1 + side], axis=1)


def _refine(boxes, offsets):
    """Moves boxes [n, 4] by offsets [n, 4] given in box sizes (width and height + 1)."""
    width = boxes[:, 2] - boxes[:, 0] + 1
    height = boxes[:, 3] - boxes[:, 1] + 1
    return boxes + offsets * tf.stack([width, height, width, height], axis=1)


def _crops(image, boxes, size: int):
    """image [1, h, w, 3], pixel boxes [n, 4] -> [n, size, size, 3] (bilinear, 0 outside)."""
    shape = tf.cast(tf.shape(image)[1:3], tf.float32)
    x1, y1, x2, y2 = tf.unstack(boxes, axis=1)
    # Normalised by h and w as the package does (crop_and_resize maps 1 to pixel h - 1).
    normalised = tf.stack([y1 / shape[0], x1 / shape[1], y2 / shape[0], x2 / shape[1]], axis=1)
    indices = tf.zeros([tf.shape(boxes)[0]], tf.int32)
    return tf.image.crop_and_resize(image, normalised, indices, [size, size])


class FaceDetector(tf.Module):
    """The MTCNN cascade; `detect(images)` is the signature described in the module docstring."""

    def __init__(self, pnet_arrays: list, rnet_arrays: list, onet_arrays: list):
        super().__init__(name="mtcnn")
        self.pnet = mtcnn_nets.pnet(pnet_arrays)
        self.rnet = mtcnn_nets.rnet(rnet_arrays)
        self.onet = mtcnn_nets.onet(onet_arrays)

    def _level(self, image, scale):
        """Proposals of one pyramid level: (boxes [n, 4] in pixels, scores [n]) after NMS."""
        size = tf.cast(tf.cast(tf.shape(image)[1:3], tf.float64) * scale, tf.int32)
        offsets, probabilities = self.pnet(tf.image.resize(image, size, method="area"))
        cells = tf.where(probabilities[0] > PNET_THRESHOLD)
        scores = tf.gather_nd(probabilities[0], cells)
        offsets = tf.gather_nd(offsets[0], cells)
        corner = tf.cast(cells[:, ::-1] * STRIDE, tf.float32)  # (x, y)
        # The window's corners are (stride * cell + 1, stride * cell + 12), 11 pixels apart.
        windows = tf.concat([corner + 1, corner + WINDOW], axis=1)
        boxes = (windows + offsets * (WINDOW - 1)) / tf.cast(scale, tf.float32)
        return _nms(boxes, scores, PNET_LEVEL_NMS)

    def _proposals(self, image):
        """P-Net over the pyramid -> squared boxes [n, 4] in pixels."""
        shape = tf.cast(tf.shape(image)[1:3], tf.float64)
        shorter = tf.maximum(tf.reduce_min(shape), 1.0)
        levels = tf.round(tf.math.log(shorter / WINDOW) / -np.log(SCALE_FACTOR) - 1)
        levels = tf.cast(tf.clip_by_value(levels, 0, MAX_LEVELS), tf.int32)
        scales = tf.constant(SCALES, tf.float64)

        def step(level, boxes, scores):
            new_boxes, new_scores = self._level(image, scales[level])
            return level + 1, tf.concat([boxes, new_boxes], 0), tf.concat([scores, new_scores], 0)

        _, boxes, scores = tf.while_loop(
            lambda level, *_: level < levels,
            step,
            (tf.constant(0), tf.zeros([0, 4]), tf.zeros([0])),
            shape_invariants=(
                tf.TensorShape([]),
                tf.TensorShape([None, 4]),
                tf.TensorShape([None]),
            ),
        )
        boxes, _ = _nms(boxes, scores, PNET_NMS)
        return _square(boxes)

    def _refined(self, image, boxes):
        """R-Net on proposals [n, 4] -> squared boxes [m, 4]."""
        offsets, scores = self.rnet(_crops(image, boxes, 24))
        keep = scores > RNET_THRESHOLD
        boxes = tf.boolean_mask(_refine(boxes, offsets), keep)
        boxes, _ = _nms(boxes, tf.boolean_mask(scores, keep), RNET_NMS)
        return _square(boxes)

    def _outputs(self, image, boxes):
        """O-Net on boxes [n, 4] -> (boxes [m, 4], scores [m], keypoints [m, 5, 2] as (x, y))."""
        offsets, landmarks, scores = self.onet(_crops(image, boxes, 48))
        size = boxes[:, 2:] - boxes[:, :2] + 1  # (width, height)
        landmarks = tf.reshape(landmarks, [-1, 2, 5])  # x1..x5, y1..y5
        keypoints = tf.transpose(landmarks, [0, 2, 1]) * size[:, None] + boxes[:, None, :2] - 1
        keep = scores > ONET_THRESHOLD
        boxes = tf.boolean_mask(_refine(boxes, offsets), keep)
        scores, keypoints = tf.boolean_mask(scores, keep), tf.boolean_mask(keypoints, keep)
        rows = tf.concat([boxes, tf.reshape(keypoints, [-1, 10])], axis=1)
        rows, scores = _nms(rows, scores, ONET_NMS, over_min_area=True)
        return rows[:, :4], scores, tf.reshape(rows[:, 4:], [-1, 5, 2])

    def detect(self, images):
        """images float32 [1, h, w, 3] in [0, 1] -> the detector dict (module docstring)."""
        image = (images * 255.0 - 127.5) / 128.0
        proposals = self._refined(image, self._proposals(image))
        boxes, scores, keypoints = self._outputs(image, proposals)
        height, width = tf.unstack(tf.cast(tf.shape(images)[1:3], tf.float32))
        upper = tf.stack([width, height, width, height]) - 1
        boxes = tf.clip_by_value(boxes, 0.0, tf.maximum(upper, 0.0))
        x1, y1, x2, y2 = tf.unstack(boxes, axis=1)
        boxes = tf.stack([y1 / height, x1 / width, y2 / height, x2 / width], axis=1)
        keypoints = keypoints[..., ::-1] / tf.stack([height, width])
        count = tf.shape(scores)[0]
        return {
            "detection_boxes": boxes[None],
            "detection_scores": scores[None],
            "detection_keypoints": keypoints[None],
            "detection_class_entities": tf.fill([1, count], ENTITY),
            "detection_class_names": tf.fill([1, count], CLASS_NAME),
            "detection_class_labels": tf.fill([1, count], tf.constant(CLASS_LABEL, tf.int64)),
            "num_detections": tf.cast(count, tf.float32)[None],
        }


def save(detector: FaceDetector, out_dir: Path):
    """Writes `detector` as a SavedModel with signatures `default` and `serving_default`."""

    @tf.function(input_signature=[INPUT_SPEC])
    def detect(images):
        return detector.detect(images)

    root = tf.train.Checkpoint()
    root.detector = detector
    root.__call__ = detect
    root.variables = list(detector.variables)
    root.trainable_variables = []
    root.regularization_losses = []
    signatures = {"default": detect, "serving_default": detect}
    tf.saved_model.save(root, str(out_dir), signatures=signatures)


def load_detector(workdir: Path) -> FaceDetector:
    """The detector with the weights of the mtcnn wheel (members extracted into workdir)."""
    arrays = {}
    for net, member in WEIGHTS.items():
        path = sources.member_path(SOURCE, member, workdir, needed_by=NAME)
        arrays[net] = mtcnn_weights.load_weights(path)
    return FaceDetector(arrays["pnet"], arrays["rnet"], arrays["onet"])


@register(
    name=NAME,
    category="object_detection",
    summary="MTCNN face detector: boxes, scores and 5 keypoints of faces in one image",
    sources=(SOURCE,),
)
def build(out_dir: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="mtcnn-") as tmp:
        save(load_detector(Path(tmp)), Path(out_dir))
