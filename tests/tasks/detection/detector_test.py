"""object_detector on the Faster R-CNN stand-in (TF1, float images, one per call), the tiny
TF2-style detector (uint8, one per call; and a batch variant with keypoints)."""

import numpy as np
import pytest

from hubmodels.errors import HubModelsError, InputError
from hubmodels.tasks.detection import MAX_SIDE, object_detector
from tests.tasks.detection.conftest import STANDIN

SIZES = [(20, 30), (16, 16), (31, 9), (16, 16)]


def _images(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (*size, 3), dtype=np.uint8) for size in SIZES]


def _same(records, others, atol=1e-5):
    assert len(records) == len(others)
    for record, other in zip(records, others):
        assert record.image_size == other.image_size and len(record) == len(other)
        np.testing.assert_allclose(record.boxes, other.boxes, atol=atol)
        np.testing.assert_allclose(record.scores, other.scores, atol=atol)
        np.testing.assert_array_equal(record.classes, other.classes)
        assert record.names == other.names and record.entities == other.entities
        if record.keypoints is not None:
            np.testing.assert_allclose(record.keypoints, other.keypoints, atol=atol)


@pytest.fixture(scope="module")
def standin():
    return object_detector(STANDIN, min_score=0.05)


@pytest.mark.parametrize("which", ["standin", "tiny_detector", "tiny_batch_detector"])
def test_a_batch_of_mixed_sizes_gives_what_one_image_at_a_time_gives(which, request):
    detector = (
        request.getfixturevalue("standin")
        if which == "standin"
        else object_detector(request.getfixturevalue(which))
    )
    images = _images()
    batch = detector.detect(images)
    alone = [detector.detect([image])[0] for image in images]
    _same(batch, alone)
    assert [r.image_size for r in batch] == SIZES
    assert all(len(r) > 0 for r in batch)
    assert not np.allclose(batch[0].scores[:3], batch[1].scores[:3])  # images do matter
    if which != "standin":  # a batch tensor of one size is a batch too
        _same(detector.detect(np.stack(images[1::2])), [batch[1], batch[3]])


def test_standin_records_carry_its_classes_and_pixel_boxes(standin):
    (record,) = standin.detect(_images()[:1])
    assert np.all(np.diff(record.scores) <= 0) and record.scores.min() >= 0.05
    assert all(
        name and entity.startswith("/m/standin_")
        for name, entity in zip(record.names, record.entities)
    )
    assert record.labels() == record.names and record.keypoints is None
    np.testing.assert_allclose(record.pixel_boxes, record.boxes * [20, 30, 20, 30], rtol=1e-6)


def test_tf2_detector_records_are_its_detections_without_padding(tiny_detector):
    image = np.zeros((10, 20, 3), np.uint8)
    image[:5, :10] = [255, 0, 0]  # top-left quadrant: mean brightness 1/3, red (class 1)
    image[5:, 10:] = [0, 0, 153]  # bottom-right: 0.2, blue (class 3)
    (record,) = object_detector(tiny_detector).detect([image])
    assert len(record) == 5  # num_detections cuts the padding row
    np.testing.assert_allclose(record.scores[:3], [1 / 3, 0.3, 0.2], atol=1e-6)
    np.testing.assert_array_equal(record.classes[:3], [1, 1, 3])
    np.testing.assert_allclose(record.pixel_boxes[0], [0, 0, 5, 10])
    np.testing.assert_allclose(record.pixel_boxes[1], [0.25, 0.5, 4.75, 9.5])
    assert record.labels()[0] == "class 1" and record.names == [""] * 5


def test_a_module_of_one_image_size_gets_images_resized(tmp_path):
    from tests.tasks.detection.conftest import write_tiny_detector

    detector = object_detector(write_tiny_detector(tmp_path / "fixed", size=(8, 8)))
    assert detector.spec.image_size == (8, 8)
    image = np.zeros((20, 30, 3), np.uint8)
    image[10:, 15:] = [0, 0, 255]  # the bottom-right quadrant, blue
    (record,) = detector.detect([image])
    np.testing.assert_allclose(record.scores[0], 1 / 3, atol=1e-6)
    assert record.classes[0] == 3 and record.image_size == (20, 30)
    np.testing.assert_allclose(record.pixel_boxes[0], [10, 15, 20, 30])


def test_uint8_float_grey_and_rgba_images_are_converted_alike(tiny_detector, standin):
    rgb = _images()[0]
    grey = rgb[..., 0]
    rgba = np.concatenate([rgb, np.full((*rgb.shape[:2], 1), 7, np.uint8)], axis=-1)
    for detector in (object_detector(tiny_detector), standin):
        as_float = detector.detect([rgb.astype(np.float32) / 255])[0]
        _same([as_float], detector.detect([rgb]), atol=1e-4)
        _same(detector.detect([rgba]), detector.detect([rgb]))
        _same(detector.detect([grey]), detector.detect([np.stack([grey] * 3, -1)]))


def test_min_score_max_detections_and_classes_select(standin, tiny_detector):
    images = _images()
    everything = standin.detect(images)[0]
    strict = object_detector(STANDIN, min_score=0.2, max_detections=3).detect(images)[0]
    kept = everything.scores[everything.scores >= 0.2][:3]
    np.testing.assert_allclose(strict.scores, kept, atol=1e-6)
    name = everything.names[0]
    named = object_detector(STANDIN, min_score=0.05, classes=[name]).detect(images)[0]
    assert len(named) >= 1 and set(named.names) == {name}
    by_id = object_detector(STANDIN, min_score=0.05, classes=int(everything.classes[0]))
    _same(by_id.detect(images[:1]), [named])
    tiny = object_detector(tiny_detector, classes=[2, 3]).detect(images)
    assert all(set(r.classes) <= {2, 3} for r in tiny)


def test_nms_removes_the_overlapping_box_of_the_same_class_only(tiny_detector):
    image = np.zeros((8, 8, 3), np.uint8)
    image[:4, :4] = 200  # grey: class 1 like...
    image[:4, 4:] = [0, 90, 0]  # ...not this green one (class 2)
    plain = object_detector(tiny_detector).detect([image])[0]
    assert len(plain) == 5
    suppressed = object_detector(tiny_detector, nms_iou=0.5).detect([image])[0]
    assert len(suppressed) == 4  # the shrunk copy of quadrant 0 (IoU 0.81) is gone
    assert not any(np.allclose(box, [0.025, 0.025, 0.475, 0.475]) for box in suppressed.boxes)
    loose = object_detector(tiny_detector, nms_iou=0.9).detect([image])[0]
    assert len(loose) == 5
    # boxes of other classes never suppress each other, even when identical
    assert len(object_detector(STANDIN, nms_iou=0.01).detect([image])[0]) > 1


def test_batch_module_gets_batches_and_keypoints_come_in_pixels(tiny_batch_detector):
    detector = object_detector(tiny_batch_detector)
    assert detector.spec.takes_batches and detector.spec.keypoints == 1
    (record,) = detector.detect([np.full((10, 20, 3), 100, np.uint8)])
    centres = (record.pixel_boxes[:, :2] + record.pixel_boxes[:, 2:]) / 2
    np.testing.assert_allclose(record.pixel_keypoints[:, 0], centres, atol=1e-5)
    assert record.to_json()["detections"][0]["pixel_keypoints"] == [[2.5, 5.0]]  # quadrant 0


@pytest.mark.parametrize(
    "images, message",
    [
        ([np.zeros((0, 5, 3), np.uint8)], "image 0 is empty"),
        ([np.zeros((4, 4, 3), np.uint8), np.zeros((MAX_SIDE + 1, 1), np.uint8)], "image 1 is"),
        ([np.full((4, 4, 3), 255.0, np.float32)], "float images must be in [0, 1]"),
        ([np.zeros((4, 4, 5), np.uint8)], "expected [height, width] or"),
        (np.zeros((4, 4, 3), np.uint8), "for one image pass [image]"),
        ([], "no images"),
    ],
)
def test_bad_images_are_refused_naming_the_image(tiny_detector, images, message):
    with pytest.raises(InputError) as raised:
        object_detector(tiny_detector).detect(images)
    assert message in str(raised.value)


def test_bad_options_and_modules_are_refused(tiny_detector, tiny_image_module):
    for options, message in [
        (dict(min_score=1.5), "min_score must be a number in [0, 1], got 1.5"),
        (dict(min_score=-0.1), "min_score must be a number in [0, 1]"),
        (dict(max_detections=0), "max_detections must be an integer >= 1"),
        (dict(nms_iou=0.0), "nms_iou must be a number in (0, 1]"),
        (dict(classes=["person"]), "returns no class names or entities"),
        (dict(classes=[1.5]), "classes must be class ids (int) or names (str)"),
    ]:
        with pytest.raises(InputError) as raised:
            object_detector(tiny_detector, **options)
        assert message in str(raised.value)
    with pytest.raises(HubModelsError) as raised:
        object_detector(tiny_image_module)
    text = str(raised.value)
    assert "is no detector: it returns {" in text and "'detection_boxes'" in text
