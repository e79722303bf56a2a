"""Video test set-up: tiny modules and clips, tiny labelled videos."""

import numpy as np
import pytest

from tests.saved_models import write_tiny_image_module
from tests.tasks.video.clip_modules import write_tiny_clip_module

CLASSES = ("left", "right")


@pytest.fixture(scope="session")
def clip_module(tmp_path_factory):
    """Clips of any length [batch, frames, 16, 16, 3] -> features [batch, 6]."""
    return write_tiny_clip_module(tmp_path_factory.mktemp("clip") / "module")


@pytest.fixture(scope="session")
def frame_module(tmp_path_factory):
    """Images [batch, 32, 32, 3] -> features [batch, 8] (blocks block1, block2)."""
    return write_tiny_image_module(tmp_path_factory.mktemp("frame") / "module")


def moving_squares(count, frames, size, seed=0):
    """(clips float32 [count, frames, size, size, 3] in [0, 1], labels int [count]): a bright
    square moving left (label 0) or right (label 1) over noise."""
    rng = np.random.default_rng(seed)
    clips = rng.uniform(0.0, 0.3, (count, frames, size, size, 3)).astype(np.float32)
    labels = np.arange(count) % 2
    side = size // 4
    for clip, label in zip(clips, labels):
        top = int(rng.integers(size - side))
        for t in range(frames):
            x = round(t * (size - side) / max(1, frames - 1))
            left = x if label else size - side - x
            clip[t, top : top + side, left : left + side] = (1.0, 0.9, 0.2)
    return clips, labels


def write_video(path, clip, fps=10.0):
    """Writes float frames [n, h, w, 3] in [0, 1] as an MP4 file (OpenCV's mp4v)."""
    import cv2

    height, width = clip.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in np.round(clip * 255).astype(np.uint8):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope="session")
def video_folder(tmp_path_factory):
    """videos/left/*.mp4, videos/right/*.mp4: 12 videos of 12 frames, 48x48."""
    root = tmp_path_factory.mktemp("videos") / "videos"
    clips, labels = moving_squares(12, 12, 48, seed=1)
    for i, (clip, label) in enumerate(zip(clips, labels)):
        folder = root / CLASSES[label]
        folder.mkdir(parents=True, exist_ok=True)
        write_video(folder / f"{i:02d}.mp4", clip)
    return root
