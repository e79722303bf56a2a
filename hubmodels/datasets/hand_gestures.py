"""GENERATED hand gestures in the spirit of 20BN-Jester: labelled clips made on this machine.

Nothing here was filmed: a drawn hand (a palm ellipse, four fingers and a thumb, in a
random skin-like colour with a soft edge) moves over a background cropped from a real photo
(scikit-image's astronaut, coffee, chelsea and rocket), plus a little tremor, lighting
change and pixel noise. The seven classes (CLASS_NAMES, sorted like class folders):
  rotate: the hand turns 90-180 degrees, either way;
  swipe_down, swipe_left, swipe_right, swipe_up: it crosses 35-60% of the frame;
  zoom_in, zoom_out: it grows or shrinks by 1.6-2.2 times, as if moving to or from the camera.
Each clip draws its background crop, hand size, colour, start position, start angle, and
the time and speed of the motion (it takes 40-90% of the clip) from `seed`. Making 7 x 20
clips of 16 x 112 x 112 takes 3.6 s of CPU (one core).

    clips, labels = gestures(per_class=20, frames=16, size=(112, 112), seed=0)
    write_gestures("gestures/", per_class=20)         # gestures/swipe_left/0003.mp4, ...
    data = hubmodels.data.video_clips("gestures/", frames=16, frame_step=1, size=(112, 112))

Needs scikit-image (the photos), an extra of hubmodels ('.[examples]' or '.[test]').
"""

import functools
from pathlib import Path

import numpy as np

from hubmodels.errors import InputError, ZooError

CLASS_NAMES = (
    "rotate",
    "swipe_down",
    "swipe_left",
    "swipe_right",
    "swipe_up",
    "zoom_in",
    "zoom_out",
)
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
FORMATS = ("mp4", "png")  # a video file per clip, or a folder of frames per clip
FPS = 12  # of written videos (20BN-Jester's rate)

# The hand in its own units (palm height about 1.2), y pointing down: palm ellipse semi-axes,
# then fingers and thumb as (centre x, top y, bottom y, half width).
_PALM = (0.5, 0.6)
_DIGITS = (
    (-0.33, -1.05, -0.35, 0.1),
    (-0.11, -1.25, -0.35, 0.1),
    (0.11, -1.2, -0.35, 0.1),
    (0.32, -0.95, -0.35, 0.09),
    (0.62, -0.3, 0.2, 0.11),
)


def gestures(per_class=20, frames=16, size=(112, 112), seed=0) -> tuple:
    """(clips float32 [7 * per_class, frames, h, w, 3] in [0, 1], labels int32 [7 * per_class]).

    per_class clips of each class of CLASS_NAMES, in an order shuffled with `seed` (the same
    seed gives the same clips). size: (height, width).
    """
    if int(per_class) < 1 or int(frames) < 2:
        raise InputError(f"per_class must be >= 1 and frames >= 2, got {per_class}, {frames}")
    height, width = (int(v) for v in size)
    if height < 16 or width < 16:
        raise InputError(f"size must be at least (16, 16), got {size!r}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(len(CLASS_NAMES), dtype=np.int32), per_class))
    clips = np.empty((len(labels), frames, height, width, 3), np.float32)
    for i, label in enumerate(labels):
        clips[i] = _clip(CLASS_NAMES[label], frames, (height, width), rng)
    return clips, labels


def write_gestures(
    folder, per_class=20, frames=16, size=(112, 112), seed=0, format="mp4", overwrite=False
):
    """Writes gestures(...) as folder/CLASS/NNNN.mp4 (format="mp4", MPEG-4 at 12 fps) or as
    frame folders folder/CLASS/NNNN/NN.png (format="png", lossless); returns Path(folder).

    The folder appears whole (written aside, then renamed); an existing one that is not
    empty is refused unless overwrite=True.
    """
    from hubmodels.export.atomic import refuse_occupied, write_folder

    if format not in FORMATS:
        raise InputError(f"format must be one of {FORMATS}, got {format!r}")
    refuse_occupied(Path(folder), overwrite)
    clips, labels = gestures(per_class, frames, size, seed)
    return write_folder(
        folder, lambda staging, _: _write(clips, labels, staging, format), overwrite=overwrite
    )


def _write(clips, labels, folder: Path, format) -> None:
    import cv2

    height, width = clips.shape[2:4]
    counts = dict.fromkeys(CLASS_NAMES, 0)
    folder.mkdir()
    for clip, label in zip(clips, labels):
        name = CLASS_NAMES[label]
        target = folder / name / f"{counts[name]:04d}"
        counts[name] += 1
        target.parent.mkdir(exist_ok=True)
        frames = [cv2.cvtColor(np.round(f * 255).astype(np.uint8), cv2.COLOR_RGB2BGR) for f in clip]
        if format == "png":
            target.mkdir()
            for t, frame in enumerate(frames):
                cv2.imwrite(str(target / f"{t:02d}.png"), frame)
            continue
        file = target.with_suffix(".mp4")
        writer = cv2.VideoWriter(str(file), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (width, height))
        if not writer.isOpened():
            raise InputError(f"OpenCV cannot write the MPEG-4 video {file}")
        for frame in frames:
            writer.write(frame)
        writer.release()


@functools.lru_cache(maxsize=1)
def _photos() -> tuple:
    try:
        from skimage import data
    except ImportError:
        raise ZooError(
            "the generated gestures draw their backgrounds from scikit-image's photos: "
            "pip install scikit-image (an extra of hubmodels: '.[examples]' or '.[test]')"
        ) from None
    return tuple(getattr(data, name)() for name in PHOTOS)


def _background(size, rng) -> np.ndarray:
    """A random crop (30-80% of the shorter side) of a random photo: float32 [h, w, 3]."""
    import cv2

    photo = _photos()[rng.integers(len(PHOTOS))]
    height, width = size
    side = rng.uniform(0.3, 0.8) * min(photo.shape[:2])
    crop_h, crop_w = round(side * min(1, height / width)), round(side * min(1, width / height))
    top = rng.integers(photo.shape[0] - crop_h + 1)
    left = rng.integers(photo.shape[1] - crop_w + 1)
    crop = photo[top : top + crop_h, left : left + crop_w]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA) / np.float32(255)


def _motion(gesture, frames, rng) -> tuple:
    """Per frame: hand centre x, y (fractions of width, height), scale, angle (radians)."""
    duration = rng.uniform(0.4, 0.9)
    begin = rng.uniform(0, 1 - duration)
    t = np.clip((np.linspace(0, 1, frames) - begin) / duration, 0, 1)
    p = t * t * (3 - 2 * t)  # eased progress, 0 -> 1
    x, y = np.full(frames, rng.uniform(0.35, 0.65)), np.full(frames, rng.uniform(0.4, 0.65))
    scale = np.full(frames, rng.uniform(0.11, 0.17))
    angle = np.full(frames, rng.uniform(-0.35, 0.35))
    if gesture.startswith("swipe_"):
        distance = rng.uniform(0.35, 0.6)
        sign = 1 if gesture in ("swipe_right", "swipe_down") else -1
        start = 0.5 - sign * distance / 2 + rng.uniform(-0.08, 0.08)
        path = start + sign * distance * p
        if gesture in ("swipe_left", "swipe_right"):
            x = path
        else:
            y = path + 0.05
    elif gesture == "rotate":
        angle = angle + rng.choice((-1, 1)) * rng.uniform(np.pi / 2, np.pi) * p
    else:
        factor = rng.uniform(1.6, 2.2)
        if gesture == "zoom_in":
            scale = scale * factor**p
        else:
            scale = scale * factor * factor**-p
    tremor = rng.normal(0, 0.006, (2, frames))
    return [v.astype(np.float32) for v in (x + tremor[0], y + tremor[1], scale, angle)]


def _hand_alpha(size, x, y, scale, angle) -> np.ndarray:
    """float32 [frames, h, w] in [0, 1]: how much of each pixel the hand covers."""
    height, width = size
    unit = min(height, width)
    rows = (np.arange(height, dtype=np.float32) + 0.5)[None, :, None]
    cols = (np.arange(width, dtype=np.float32) + 0.5)[None, None, :]
    dx = cols - (x * width)[:, None, None]
    dy = rows - (y * height)[:, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    pixels = (scale * unit)[:, None, None]  # pixels per hand unit
    u = (cos * dx + sin * dy) / pixels
    v = (-sin * dx + cos * dy) / pixels
    # how deep inside the hand each pixel is, in hand units (negative outside)
    inside = (1 - np.sqrt((u / _PALM[0]) ** 2 + (v / _PALM[1]) ** 2)) * _PALM[0]
    for centre, top, bottom, half in _DIGITS:
        rectangle = np.minimum(half - np.abs(u - centre), np.minimum(v - top, bottom - v))
        np.maximum(inside, rectangle, out=inside)
    return np.clip(inside * pixels + 0.5, 0, 1)  # a soft edge one pixel wide


def _clip(gesture, frames, size, rng) -> np.ndarray:
    """One clip: float32 [frames, h, w, 3] in [0, 1]."""
    background = _background(size, rng)
    alpha = _hand_alpha(size, *_motion(gesture, frames, rng))[..., None]
    skin = np.array([0.85, 0.62, 0.5], np.float32) * rng.uniform(0.55, 1.15)
    skin = np.clip(skin + rng.normal(0, 0.05, 3), 0.05, 1).astype(np.float32)
    light = 1 + np.linspace(0, rng.uniform(-0.15, 0.15), frames, dtype=np.float32)
    clip = background + alpha * (skin - background)
    clip *= light[:, None, None, None]
    clip += rng.standard_normal(clip.shape, np.float32) * np.float32(rng.uniform(0.005, 0.03))
    return np.clip(clip, 0, 1, out=clip)
