"""The images a detector is given, checked and brought to RGB: a list of arrays of any sizes.

Accepted: a list (or tuple) of images, or one batch array/tensor [batch, h, w, c]. Each image
is [h, w] (grey), [h, w, 1] (grey), [h, w, 2] (grey + alpha), [h, w, 3] (RGB) or
[h, w, 4] (RGBA): grey is repeated to three channels, alpha is dropped (as
hubmodels.data.decode_image_bytes does). Values: uint8 (or any integer type) 0-255, or
float in [0, 1]. Each side must be 1 to MAX_SIDE pixels.
"""

import numpy as np

from hubmodels.errors import InputError

MAX_SIDE = 8192  # pixels per side: a detector keeps every image of a batch in memory at once
_TO_RGB = {1: [0, 0, 0], 2: [0, 0, 0], 4: [0, 1, 2]}  # channels taken, by channel count


def _as_array(image):
    return image.numpy() if hasattr(image, "numpy") else np.asarray(image)


def as_rgb_list(images) -> list:
    """images -> list of arrays [h, w, 3]: uint8 (0-255) for integer images, float32 in
    [0, 1] for float ones (converting is left to the graph: 4 times fewer bytes to copy)."""
    if isinstance(images, (list, tuple)):
        arrays = [_as_array(image) for image in images]
    else:
        batch = _as_array(images)
        if batch.ndim != 4:
            raise InputError(
                f"detect takes a list of images or a batch [batch, height, width, channels], "
                f"got an array of shape {batch.shape}; for one image pass [image]"
            )
        arrays = list(batch)
    if not arrays:
        raise InputError("detect was given no images")
    return [_rgb(array, index) for index, array in enumerate(arrays)]


def _rgb(array, index) -> np.ndarray:
    where = f"image {index}"
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (3, *_TO_RGB):
        raise InputError(
            f"{where} has shape {array.shape}; expected [height, width] or "
            "[height, width, 1|2|3|4 channels]"
        )
    height, width = array.shape[:2]
    if height == 0 or width == 0:
        raise InputError(f"{where} is empty (shape {array.shape})")
    if max(height, width) > MAX_SIDE:
        raise InputError(
            f"{where} is {height} x {width} pixels; images up to {MAX_SIDE} pixels on a side "
            "are accepted: downscale it first"
        )
    if array.shape[-1] != 3:
        array = array[..., _TO_RGB[array.shape[-1]]]
    if np.issubdtype(array.dtype, np.floating):
        low, high = float(np.min(array)), float(np.max(array))
        if not (np.isfinite(low) and np.isfinite(high) and low >= 0.0 and high <= 1.0):
            raise InputError(
                f"{where} is float with values in [{low:g}, {high:g}]; float images must be "
                "in [0, 1] (pass values 0-255 as uint8)"
            )
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer) or array.dtype == bool:
        if array.dtype != np.uint8:
            low, high = int(np.min(array)), int(np.max(array))
            if low < 0 or high > 255:
                raise InputError(
                    f"{where} is {array.dtype} with values in [{low}, {high}]; integer images "
                    "must be 0-255"
                )
            array = array.astype(np.uint8) * np.uint8(255 if array.dtype == bool else 1)
        return array
    raise InputError(f"{where} has dtype {array.dtype}; expected uint8 or float in [0, 1]")
