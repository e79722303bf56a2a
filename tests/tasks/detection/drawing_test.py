"""draw_detections: boxes, labels and keypoints drawn on a copy of the image."""

import numpy as np
import pytest

from hubmodels.errors import InputError
from hubmodels.tasks.detection import Detections, draw_detections
from hubmodels.tasks.detection.drawing import PALETTE


def _record(keypoints=None):
    return Detections(
        image_size=(60, 80),
        boxes=np.array([[0.5, 0.25, 0.9, 0.75]], np.float32),  # pixels 30-54 x 20-60
        scores=np.array([0.875], np.float32),
        classes=np.array([1]),
        names=["/m/0dzct"],
        entities=["Human face"],
        keypoints=keypoints,
    )


def test_boxes_and_labels_change_pixels_near_the_box_only():
    image = np.full((60, 80), 0.5, np.float32)  # grey float: converted
    drawn = draw_detections(image, _record(), line_width=1)
    assert drawn.shape == (60, 80, 3) and drawn.dtype == np.uint8
    colour = PALETTE[1]
    assert tuple(drawn[42, 20]) == colour and tuple(drawn[54, 40]) == colour  # box edges
    assert tuple(drawn[42, 40]) == (128, 128, 128)  # inside the box: untouched
    assert tuple(drawn[5, 75]) == (128, 128, 128)  # far away: untouched
    label = drawn[15:30, 20:60]  # the label sits above the box
    assert (label == colour).all(axis=-1).mean() > 0.3  # its background
    assert (label.max(axis=-1) < 60).any()  # and dark text on it
    assert _record().labels() == ["Human face"]  # the readable one, not the /m/ id


def test_keypoints_are_drawn_inside_the_box():
    image = np.full((60, 80, 3), 128, np.uint8)
    plain = draw_detections(image, _record(), line_width=1)
    points = np.array([[[0.7, 0.5]]], np.float32)  # pixel (42, 40)
    dotted = draw_detections(image, _record(points), line_width=1)
    assert tuple(dotted[42, 40]) == PALETTE[1] and tuple(plain[42, 40]) == (128, 128, 128)
    assert tuple(image[42, 40]) == (128, 128, 128)  # the input is not changed


def test_a_record_of_another_image_size_is_refused():
    with pytest.raises(InputError, match=r"detections are of an image of \(60, 80\)"):
        draw_detections(np.zeros((61, 80, 3), np.uint8), _record())
