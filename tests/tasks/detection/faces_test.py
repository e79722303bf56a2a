"""The real face detector (hubmodels://mtcnn/face_detection) through object_detector: a batch
of real photos gives the mtcnn package's faces (tests/zoo/data/mtcnn_reference.json)."""

import json
from pathlib import Path

import numpy as np
from skimage import data

from hubmodels.tasks.detection import draw_detections, object_detector
from tests.photos import grace_hopper

FACES = "hubmodels://mtcnn/face_detection"
DATA = Path(__file__).resolve().parents[2] / "zoo" / "data"


def _iou(a, b) -> float:
    """IoU of boxes (x0, y0, x1, y1)."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    return inter / (area - inter)


def test_faces_in_a_batch_of_real_photos_match_the_mtcnn_package():
    reference = json.loads((DATA / "mtcnn_reference.json").read_text())["photos"]
    photos = {
        "astronaut": data.astronaut(),
        "grace_hopper": grace_hopper(),
        "coffee": data.coffee(),
    }
    detector = object_detector(FACES, min_score=0.5)
    records = dict(zip(photos, detector.detect(list(photos.values()))))
    assert len(records["coffee"]) == 0
    for name in ("astronaut", "grace_hopper"):
        record, (face,) = records[name], reference[name]["faces"]
        assert len(record) == 1 and record.entities == ["Human face"]
        ymin, xmin, ymax, xmax = record.pixel_boxes[0]
        assert _iou((xmin, ymin, xmax, ymax), face["box"]) >= 0.9
        assert abs(record.scores[0] - face["confidence"]) < 0.01
        expected = [face["keypoints"][k][::-1] for k in ("left_eye", "right_eye", "nose")]
        np.testing.assert_allclose(record.pixel_keypoints[0, :3], expected, atol=3)
    alone = detector.detect([photos["grace_hopper"]])[0]
    np.testing.assert_allclose(alone.boxes, records["grace_hopper"].boxes, atol=1e-5)
    drawn = draw_detections(photos["astronaut"], records["astronaut"])
    assert drawn.shape == (512, 512, 3) and np.any(drawn != photos["astronaut"])
