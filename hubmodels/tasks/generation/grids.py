"""Images as a grid (PNG) or an animation (GIF), written through Pillow, atomically.

images: float [n, height, width, 3] in [0, 1] (values outside are clipped).
"""

import math
from pathlib import Path

import numpy as np

from hubmodels.errors import InputError
from hubmodels.export import atomic


def _checked(images) -> np.ndarray:
    array = np.asarray(images, dtype="float32")
    if array.ndim != 4 or array.shape[-1] != 3 or len(array) == 0:
        raise InputError(f"images must be [n, height, width, 3] with n >= 1, got {array.shape}")
    return array


def images_to_grid(images, cols=None, pad=2, pad_value=1.0) -> np.ndarray:
    """images [n, h, w, 3] -> one image float32 [rows * (h + pad) + pad, cols * (w + pad) +
    pad, 3]: row by row, `pad` pixels of `pad_value` around each; cols defaults to
    ceil(sqrt(n)).
    """
    images = _checked(images)
    n, h, w, _ = images.shape
    cols = math.ceil(math.sqrt(n)) if cols is None else cols
    if isinstance(cols, bool) or not isinstance(cols, int) or cols < 1:
        raise InputError(f"cols must be an integer >= 1, got {cols!r}")
    if isinstance(pad, bool) or not isinstance(pad, int) or pad < 0:
        raise InputError(f"pad must be an integer >= 0, got {pad!r}")
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), pad_value, "float32")
    for i, image in enumerate(images):
        top, left = pad + (i // cols) * (h + pad), pad + (i % cols) * (w + pad)
        grid[top : top + h, left : left + w] = image
    return np.clip(grid, 0.0, 1.0)


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise InputError("saving images needs Pillow: pip install 'hubmodels[examples]'") from None
    return Image


def _to_pil(image):
    return _pillow().fromarray(np.round(np.clip(image, 0, 1) * 255).astype("uint8"))


def _write(path, save) -> Path:
    """Calls save(staging path) then renames it to `path` (hubmodels.export.atomic): never a
    half-written file. The folder of `path` must exist."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: folder {path.parent} does not exist")
    return atomic.save_file(path, save, overwrite=True)


def save_grid(images, path, cols=None, pad=2) -> Path:
    """Writes images_to_grid(images, cols, pad) as a PNG file at `path`."""
    grid = _to_pil(images_to_grid(images, cols, pad))
    return _write(path, lambda file: grid.save(file, format="PNG"))


def save_animation(images, path, seconds_per_frame=0.15, loop=True) -> Path:
    """Writes the images as the frames of a GIF at `path` (looping unless loop=False)."""
    frames = [_to_pil(image) for image in _checked(images)]
    if not seconds_per_frame > 0:
        raise InputError(f"seconds_per_frame must be > 0, got {seconds_per_frame!r}")
    options = dict(format="GIF", save_all=True, append_images=frames[1:])
    options["duration"] = int(round(seconds_per_frame * 1000))
    if loop:
        options["loop"] = 0
    return _write(path, lambda file: frames[0].save(file, **options))
