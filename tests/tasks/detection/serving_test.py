"""save_detector / load_detector: an export that serves encoded images and gives, in a fresh
process, the records the detector gave here."""

import io

import numpy as np
import pytest
from PIL import Image

from hubmodels._keras import tf
from hubmodels.errors import InputError
from hubmodels.tasks.detection import MAX_SIDE, load_detector, object_detector, save_detector
from tests.processes import run_at_once
from tests.tasks.detection.conftest import STANDIN


def _images():
    rng = np.random.default_rng(1)
    return [rng.integers(0, 256, size, dtype=np.uint8) for size in [(24, 40, 3), (33, 17, 3)]]


def _png(image) -> bytes:
    file = io.BytesIO()
    Image.fromarray(image).save(file, format="PNG")
    return file.getvalue()


def _as_tuples(records):
    return [
        (r.image_size, r.boxes, r.scores, r.classes, r.names, r.entities, r.keypoints)
        for r in records
    ]


def _reload_and_serve(path, images):
    """In a fresh process: the export's records through load_detector and its serving_default
    on PNG bytes (numpy only, to cross the process boundary)."""
    detector = load_detector(path)
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    outputs = served(image_bytes=tf.constant([_png(image) for image in images]))
    return _as_tuples(detector.detect(images)), {k: v.numpy() for k, v in outputs.items()}


def _assert_same(expected, got):
    for a, b in zip(expected, got):
        assert a[0] == b[0] and a[4:6] == b[4:6]
        for x, y in zip(a[1:4], b[1:4]):
            np.testing.assert_allclose(x, y, atol=1e-5)


def test_export_reloads_in_a_fresh_process_with_the_same_records(tmp_path):
    detector = object_detector(STANDIN, min_score=0.1, max_detections=20, nms_iou=0.6)
    images = _images()
    records = detector.detect(images)
    path = save_detector(detector, tmp_path / "export")
    ((reloaded, served),) = run_at_once(_reload_and_serve, (path, images), count=1)
    _assert_same(_as_tuples(records), reloaded)
    assert served["detection_boxes"].shape == (2, 20, 4)
    np.testing.assert_array_equal(served["num_detections"], [len(r) for r in records])
    np.testing.assert_array_equal(served["image_size"], [[24, 40], [33, 17]])
    for row, record in enumerate(records):
        n = len(record)
        np.testing.assert_allclose(served["detection_scores"][row, :n], record.scores, atol=1e-5)
        assert [v.decode() for v in served["detection_class_names"][row, :n]] == record.names
        assert not served["detection_scores"][row, n:].any()  # padding


def test_keypoints_are_exported_and_an_export_is_atomic(tmp_path, tiny_batch_detector):
    detector = object_detector(tiny_batch_detector, min_score=0.2)
    path = save_detector(detector, tmp_path / "export")
    reloaded = load_detector(path)
    assert reloaded.export_metadata["task"] == "detection"
    assert reloaded.export_metadata["min_score"] == 0.2 and reloaded.spec.keypoints == 1
    images = _images()
    _assert_same(_as_tuples(detector.detect(images)), _as_tuples(reloaded.detect(images)))
    for a, b in zip(detector.detect(images), reloaded.detect(images)):
        np.testing.assert_allclose(a.keypoints, b.keypoints, atol=1e-6)
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    too_large = _png(np.zeros((MAX_SIDE + 1, 1, 3), np.uint8))
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"above {MAX_SIDE} pixels"):
        served(image_bytes=tf.constant([too_large]))
    with pytest.raises(InputError, match="already exists"):
        save_detector(detector, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]  # no staging left
