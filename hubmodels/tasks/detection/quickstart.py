"""The detection step of `hubmodels quickstart`: the zoo's real MTCNN on scikit-image's photos.

Runs `hubmodels://mtcnn/face_detection` (built from the mtcnn wheel's weights on first use)
over a batch of six photos of different sizes (the astronaut, the cameraman in grey, a cup of
coffee, a cat, a rocket, a motorcycle), prints the faces found with their scores, the time of
the first batch (tracing included) and of the next one, and saves the astronaut with her face,
score and keypoints drawn.
"""

import time
from pathlib import Path

from hubmodels import paths

DETECTOR = "hubmodels://mtcnn/face_detection"
PHOTOS = ("astronaut", "camera", "coffee", "chelsea", "rocket", "stereo_motorcycle")
MIN_SCORE = 0.9


def photos() -> dict:
    """scikit-image's sample photos by name: uint8 [h, w] or [h, w, 3] (needs scikit-image)."""
    from hubmodels.errors import InputError

    try:
        from skimage import data
    except ImportError:
        raise InputError(
            "the detection quickstart needs scikit-image: pip install 'hubmodels[examples]'"
        ) from None
    loaded = {name: getattr(data, name)() for name in PHOTOS}
    return {name: image[0] if isinstance(image, tuple) else image for name, image in loaded.items()}


def run(out=None) -> dict:
    """Returns {"records": {photo: Detections}, "first_seconds", "seconds", "picture"}."""
    from hubmodels.export.atomic import save_file
    from hubmodels.tasks.detection.detector import object_detector
    from hubmodels.tasks.detection.drawing import draw_detections, pillow

    Image = pillow()[0]

    print(f"Detection: faces in scikit-image's photos with {DETECTOR} (the real MTCNN)")
    images = photos()
    detector = object_detector(DETECTOR, min_score=MIN_SCORE)
    start = time.perf_counter()
    detector.detect(list(images.values()))
    first = time.perf_counter() - start
    start = time.perf_counter()
    records = dict(zip(images, detector.detect(list(images.values()))))
    seconds = time.perf_counter() - start
    for name, record in records.items():
        height, width = record.image_size
        scores = ", ".join(f"{score:.3f}" for score in record.scores) or "-"
        print(f"  {name:18s} {height:4d} x {width:4d}: {len(record)} faces (scores {scores})")
    print(
        f"  {len(images)} photos in one batch: {first:.1f} s the first time (tracing), "
        f"{seconds:.2f} s the next ({seconds / len(images) * 1000:.0f} ms a photo)"
    )
    out = Path(out or paths.home() / "quickstart" / "detection.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.fromarray(draw_detections(images["astronaut"], records["astronaut"]))
    save_file(out, lambda file: picture.save(file, format="PNG"), overwrite=True)
    print(f"  the astronaut with her face drawn saved to {out}")
    return {"records": records, "first_seconds": first, "seconds": seconds, "picture": out}


def quickstart(args) -> dict:
    """The detection step (no training: args.examples and args.epochs are unused)."""
    return run()
