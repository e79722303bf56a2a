"""The generated gestures: seeded, balanced, and read back from the videos they are written as."""

import sys

import numpy as np
import pytest

from hubmodels.data import video_clips
from hubmodels.datasets import hand_gestures
from hubmodels.datasets.hand_gestures import CLASS_NAMES, gestures, write_gestures
from hubmodels.errors import InputError, ZooError


def test_gestures_are_seeded_balanced_and_in_range():
    clips, labels = gestures(per_class=3, frames=6, size=(24, 32), seed=0)
    assert clips.shape == (21, 6, 24, 32, 3) and clips.dtype == np.float32
    assert labels.dtype == np.int32 and np.bincount(labels).tolist() == [3] * len(CLASS_NAMES)
    assert 0 <= clips.min() and clips.max() <= 1
    again, same_labels = gestures(per_class=3, frames=6, size=(24, 32), seed=0)
    assert np.array_equal(clips, again) and np.array_equal(labels, same_labels)
    other, _ = gestures(per_class=3, frames=6, size=(24, 32), seed=1)
    assert not np.allclose(clips, other)
    assert labels[:7].tolist() != sorted(labels[:7].tolist())  # shuffled, not class by class


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_the_hand_moves_the_way_its_class_says(name):
    """The drawn hand (its coverage of each pixel) from the first frame to the last."""
    for seed in range(5):
        x, y, scale, angle = hand_gestures._motion(name, 8, np.random.default_rng(seed))
        alpha = hand_gestures._hand_alpha((64, 64), x, y, scale, angle)
        area = alpha.sum(axis=(1, 2))
        rows, cols = np.indices((64, 64))
        dy, dx = ((alpha * grid).sum(axis=(1, 2)) / area for grid in (rows, cols))
        moved = {"x": dx[-1] - dx[0], "y": dy[-1] - dy[0], "area": area[-1] / area[0]}
        turned = abs(angle[-1] - angle[0])
        checks = {
            "rotate": turned > 1.5 and moved["area"] == pytest.approx(1, abs=0.1),
            "swipe_down": moved["y"] > 15 and abs(moved["x"]) < 3,
            "swipe_left": moved["x"] < -15 and abs(moved["y"]) < 3,
            "swipe_right": moved["x"] > 15 and abs(moved["y"]) < 3,
            "swipe_up": moved["y"] < -15 and abs(moved["x"]) < 3,
            "zoom_in": moved["area"] > 2.4,
            "zoom_out": moved["area"] < 1 / 2.4,
        }
        assert checks[name], (seed, moved, turned)
        if name != "rotate":
            assert turned == 0


def test_written_gestures_read_back_as_labelled_clips(tmp_path):
    clips, labels = gestures(per_class=1, frames=6, size=(24, 24), seed=0)
    order = np.argsort(labels)  # written and read class by class
    for format, tolerance in (("png", 1 / 255), ("mp4", 0.06)):
        folder = write_gestures(tmp_path / format, 1, frames=6, size=(24, 24), format=format)
        data = video_clips(folder, frames=6, frame_step=1, size=(24, 24), shuffle=False)
        assert data.class_names == list(CLASS_NAMES)
        read, read_labels = next(iter(data.train.unbatch().batch(7)))
        assert read_labels.numpy().tolist() == list(range(7))
        assert np.abs(read.numpy() - clips[order]).mean() < tolerance
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mp4", "png"]  # nothing left aside
    with pytest.raises(InputError, match="png already exists: pass overwrite=True"):
        write_gestures(tmp_path / "png", 1)
    write_gestures(tmp_path / "png", 2, frames=3, size=(16, 16), format="png", overwrite=True)
    assert len(list((tmp_path / "png" / "zoom_in").iterdir())) == 2


def test_without_scikit_image_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skimage", None)  # as if not installed
    hand_gestures._photos.cache_clear()
    try:
        with pytest.raises(ZooError, match=r"pip install scikit-image \(an extra of hubmodels"):
            gestures(per_class=1, frames=2, size=(16, 16))
    finally:
        hand_gestures._photos.cache_clear()
