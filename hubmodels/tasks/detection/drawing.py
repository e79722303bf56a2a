"""`draw_detections(image, record)`: boxes, labels with scores and keypoints drawn on a copy.

Needs Pillow (the `examples` extra). Colours: one of PALETTE per class id, so one class keeps
its colour across images. Line width and font size follow the image size unless given.
"""

import numpy as np

from hubmodels.errors import InputError
from hubmodels.tasks.detection.images import as_rgb_list
from hubmodels.tasks.detection.records import Detections

PALETTE = (
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
)


def pillow():
    """(Image, ImageDraw, ImageFont) of Pillow; InputError saying how to install it."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise InputError(
            "drawing detections needs Pillow: pip install 'hubmodels[examples]'"
        ) from None
    return Image, ImageDraw, ImageFont


def draw_detections(image, record: Detections, line_width=None, font_size=None, scores=True):
    """image [h, w] or [h, w, 1-4] (uint8, or float in [0, 1]) -> uint8 [h, w, 3] with the
    record's boxes, labels ("label 97%" with scores=True) and keypoints drawn.

    record: the Detections of this image (its image_size must be the image's).
    """
    rgb = as_rgb_list([image])[0]
    if rgb.dtype != np.uint8:
        rgb = np.round(rgb * 255.0).astype(np.uint8)
    if tuple(rgb.shape[:2]) != tuple(record.image_size):
        raise InputError(
            f"the detections are of an image of {tuple(record.image_size)} (height, width), "
            f"not of this one of {tuple(rgb.shape[:2])}"
        )
    image_module, draw_module, font_module = pillow()
    side = min(rgb.shape[:2])
    line = line_width or max(1, round(side / 200))
    size = font_size or max(10, round(side / 40))
    font = font_module.load_default(size=size)
    picture = image_module.fromarray(rgb)
    draw = draw_module.Draw(picture)
    boxes = record.pixel_boxes
    keypoints = record.pixel_keypoints
    labels = record.labels()
    for i in reversed(range(len(record))):  # the best last, on top
        colour = PALETTE[int(record.classes[i]) % len(PALETTE)]
        top, left, bottom, right = (float(v) for v in boxes[i])
        draw.rectangle([left, top, right, bottom], outline=colour, width=line)
        text = f"{labels[i]} {record.scores[i]:.1%}" if scores else labels[i]
        x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
        above = top - (y1 - y0) - 2 * line
        text_top = above if above >= 0 else top  # inside the box at the image's top edge
        draw.rectangle(
            [left, text_top, left + (x1 - x0) + 2 * line, text_top + (y1 - y0) + 2 * line],
            fill=colour,
        )
        draw.text((left + line - x0, text_top + line - y0), text, fill=(0, 0, 0), font=font)
        if keypoints is not None:
            radius = line + 1
            for y, x in keypoints[i]:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
    return np.asarray(picture)
