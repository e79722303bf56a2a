"""Stand-in of google/faster_rcnn/openimages_v4/inception_resnet_v2/1 (TF1 Hub format).

Signature `default` (tags {}), one image per call as in the original:
  images: float32 [1, height, width, 3] in [0, 1], any height and width
  -> detection_boxes float32 [N, 4]: [ymin, xmin, ymax, xmax] in [0, 1], ymin < ymax,
       xmin < xmax
     detection_scores float32 [N] in [0, 1], sorted in descending order
     detection_class_labels int64 [N] in [1, 600]
     detection_class_names string [N], detection_class_entities string [N] (Open Images
       style: a display name and a "/m/..." entity; the stand-in's are made up)
  with N <= 100 after non-maximum suppression (IoU 0.5).

Deterministic: a small CNN on the image resized to 96 x 96 scores 3 anchors per cell of
a 12 x 12 grid. Variables (FirstStageFeatureExtractor, FirstStageBoxPredictor,
SecondStageBoxPredictor scopes) are not trainable: the original does not support fine-tuning.
"""

import numpy as np

from hubmodels._keras import tf
from hubmodels.hub.tf1_writer import add_signature, write_module
from hubmodels.zoo.registry import register
from hubmodels.zoo.standins import notice
from hubmodels.zoo.standins.layers import conv, dense

v1 = tf.compat.v1
PATH = "google/faster_rcnn/openimages_v4/inception_resnet_v2/1"
NUM_CLASSES = 600
MAX_DETECTIONS = 100
IOU_THRESHOLD = 0.5
INPUT_SIZE = 96
GRID = 12
ANCHOR_SIZES = (0.15, 0.3, 0.6)
CLASS_BIAS = -3.0
_NOUNS = (
    "Person Car Dog Cat Tree Building Chair Table Bicycle Bird Boat Bottle Book Clock Cup "
    "Flower Fruit Glasses Guitar Hat Horse House Lamp Laptop Motorcycle Phone Plant "
    "Shoe Sofa Truck Umbrella Window Wheel Bus Train Airplane Bench Bread Cake Camera "
    "Door Fish Kite Ladder Mirror Pillow Pizza Sign Television Toy"
).split()


def class_names() -> list:
    """Display names of classes 1..600 (made up: a noun, numbered after its first round)."""
    names = []
    for index in range(NUM_CLASSES):
        noun = _NOUNS[index % len(_NOUNS)]
        round_ = index // len(_NOUNS)
        names.append(noun if round_ == 0 else f"{noun} {round_ + 1}")
    return names


def class_entities() -> list:
    return [f"/m/standin_{index:03d}" for index in range(1, NUM_CLASSES + 1)]


def _anchors() -> np.ndarray:
    """[GRID * GRID * len(ANCHOR_SIZES), 4] as (center y, center x, height, width)."""
    centers = (np.arange(GRID) + 0.5) / GRID
    cy, cx, size = np.meshgrid(centers, centers, ANCHOR_SIZES, indexing="ij")
    return np.stack([cy, cx, size, size], axis=-1).reshape(-1, 4).astype(np.float32)


def detect(images):
    """images [1, h, w, 3] -> dict of detections (see the module docstring)."""
    x = tf.image.resize(images, [INPUT_SIZE, INPUT_SIZE]) * 2.0 - 1.0
    with v1.variable_scope("FirstStageFeatureExtractor/InceptionResnetV2"):
        for index, depth in enumerate((16, 32, 64)):
            with v1.variable_scope(f"Conv2d_{index + 1}a_3x3"):
                x = tf.nn.relu(conv(x, depth, kernel=3, stride=2, trainable=False))
    per_anchor = len(ANCHOR_SIZES)
    with v1.variable_scope("FirstStageBoxPredictor"):
        with v1.variable_scope("BoxEncodingPredictor"):
            deltas = conv(x, per_anchor * 4, bias=True, trainable=False, gain=0.1)
        with v1.variable_scope("ClassPredictor"):
            objectness = conv(x, per_anchor, bias=True, trainable=False, gain=1.0)
    features = tf.reshape(tf.tile(x[..., None, :], [1, 1, 1, per_anchor, 1]), [-1, 64])
    with v1.variable_scope("SecondStageBoxPredictor/ClassPredictor"):
        class_logits = dense(features, NUM_CLASSES, trainable=False, gain=1.0) + CLASS_BIAS
    anchors = tf.constant(_anchors())
    deltas = tf.tanh(tf.reshape(deltas, [-1, 4]))
    center = anchors[:, :2] + 0.5 * deltas[:, :2] * anchors[:, 2:]
    size = anchors[:, 2:] * tf.exp(deltas[:, 2:])
    center = tf.clip_by_value(center, 0.01, 0.99)
    boxes = tf.clip_by_value(tf.concat([center - size / 2, center + size / 2], 1), 0.0, 1.0)
    probabilities = tf.sigmoid(class_logits) * tf.sigmoid(tf.reshape(objectness, [-1, 1]))
    scores = tf.reduce_max(probabilities, axis=1)
    labels = tf.argmax(probabilities, axis=1) + 1
    keep = tf.image.non_max_suppression(boxes, scores, MAX_DETECTIONS, IOU_THRESHOLD)
    labels = tf.gather(labels, keep)
    return {
        "detection_boxes": tf.gather(boxes, keep),
        "detection_scores": tf.gather(scores, keep),
        "detection_class_labels": labels,
        "detection_class_names": tf.gather(tf.constant(class_names()), labels - 1),
        "detection_class_entities": tf.gather(tf.constant(class_entities()), labels - 1),
    }


def module_fn():
    images = v1.placeholder(tf.float32, [1, None, None, 3], name="images")
    add_signature("default", {"images": images}, detect(images))
    notice.attach(PATH)


@register(
    name=f"standin/{PATH}",
    category="object_detection",
    summary="Faster R-CNN Open Images V4 detector interface (boxes, scores, 600 classes)",
    standin_of=notice.tfhub_url(PATH),
)
def build(out_dir):
    write_module(out_dir, module_fn)
