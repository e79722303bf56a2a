"""Real photos (scikit-image's data) as EfficientNet inputs, float32 [n, 224, 224, 3] in [0, 1].

HELD_OUT photos are the ones predictions are compared on; int8 calibrates on crops of
the CALIBRATION images only, so the comparison is on images it has not seen.
"""

import numpy as np
from PIL import Image

HELD_OUT = ("chelsea", "coffee", "rocket", "astronaut")
CALIBRATION = ("hubble_deep_field", "immunohistochemistry", "retina", "colorwheel")
SIZE = 224


def crops(names, per_photo: int, seed: int) -> np.ndarray:
    """Per photo: its centre square, then per_photo - 1 random square crops (side 50-100%
    of the shorter side, half of them mirrored), each resized bilinearly to 224x224."""
    from skimage import data

    rng = np.random.default_rng(seed)
    images = []
    for name in names:
        photo = getattr(data, name)()[..., :3]
        h, w = photo.shape[:2]
        short = min(h, w)
        boxes = [((h - short) // 2, (w - short) // 2, short, False)]
        for _ in range(per_photo - 1):
            side = int(short * rng.uniform(0.5, 1.0))
            top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
            boxes.append((top, left, side, bool(rng.integers(2))))
        for top, left, side, mirrored in boxes:
            crop = Image.fromarray(photo[top : top + side, left : left + side])
            crop = np.asarray(crop.resize((SIZE, SIZE), Image.BILINEAR))
            images.append(crop[:, ::-1] if mirrored else crop)
    return np.stack(images).astype(np.float32) / 255.0
