"""Writes the reference faces of the mtcnn/face_detection test, made by the mtcnn package itself.

Run with the project's venv (it needs TensorFlow and scikit-image, and network access to
PyPI for pip):

    python scripts/make_reference_mtcnn.py [--wheel PATH/mtcnn-1.0.0-py3-none-any.whl]
        [--repeats 5]

The mtcnn package is never installed into the venv: it is installed with
`pip install --no-deps --target` into a temporary folder, and a child process runs it
with that folder on PYTHONPATH, on the venv's TensorFlow with its default Keras (not
tf-keras, which hubmodels selects).

Photos: scikit-image's `astronaut` (512 x 512) and matplotlib's sample photo of Grace
Hopper (`mpl-data/sample_data/grace_hopper.jpg`, 512 x 600, public domain, US Navy),
read from the installed matplotlib (a test extra); both sides decode it with
`tf.io.decode_jpeg`. A third image, `pair` (512 x 1024), puts the two side by side
(Grace Hopper's top 512 rows) to have two faces of different sizes in one image.

Outputs tests/zoo/data/mtcnn_reference.json: per photo its shape and the faces of
`MTCNN().detect_faces(pixels, box_format="xyxy", output_type="numpy")` (uint8 pixels,
default settings): `box` [x1, y1, x2, y2] in pixels (not rounded), `confidence`, and
`keypoints` {name: [x, y]}.

Also prints the time per image of the package and of our SavedModel (the zoo module,
built here if needed) in the same child process: one warm-up call, then the median of
`--repeats` calls.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "zoo" / "data"
OUT = DATA / "mtcnn_reference.json"
PACKAGE = "mtcnn==1.0.0"
# Names of the package's keypoint columns 6..10 (x) and 11..15 (y), in order.
KEYPOINTS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


def _pip(*args):
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True
    )


def photos() -> dict:
    """{name: uint8 [h, w, 3]} of the photos."""
    import numpy as np
    import tensorflow as tf
    from skimage import data

    astronaut = data.astronaut()
    from matplotlib import cbook

    photo = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    grace_hopper = tf.io.decode_jpeg(photo.read_bytes(), channels=3).numpy()
    pair = np.concatenate([astronaut, grace_hopper[:512]], axis=1)
    return {"astronaut": astronaut, "grace_hopper": grace_hopper, "pair": pair}


def _median_seconds(call, repeats: int) -> float:
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def child(module_dir: str, repeats: int) -> None:
    """Runs in the process that can import mtcnn: prints the reference as JSON on stdout."""
    import importlib.metadata

    import mtcnn
    import numpy as np
    import tensorflow as tf

    detector = mtcnn.MTCNN()
    ours = tf.saved_model.load(module_dir).signatures["default"]
    reference, timings = {}, {}
    for name, pixels in photos().items():
        rows = detector.detect_faces(pixels, box_format="xyxy", output_type="numpy")
        faces = [
            {
                "box": [float(v) for v in row[1:5]],
                "confidence": float(row[5]),
                "keypoints": {
                    key: [float(row[6 + i]), float(row[11 + i])] for i, key in enumerate(KEYPOINTS)
                },
            }
            for row in np.asarray(rows)
        ]
        reference[name] = {"shape": list(pixels.shape), "faces": faces}
        images = tf.constant(pixels[None].astype(np.float32) / 255.0)
        timings[name] = {
            "mtcnn_package": _median_seconds(lambda p=pixels: detector.detect_faces(p), repeats),
            "our_savedmodel": _median_seconds(lambda x=images: ours(images=x), repeats),
        }
    info = {"mtcnn": importlib.metadata.version("mtcnn"), "tensorflow": tf.__version__}
    print(json.dumps({"info": info, "reference": reference, "timings": timings}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", help="a local mtcnn 1.0.0 wheel instead of PyPI")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.repeats)
        return
    from hubmodels.zoo import cache

    module_dir = cache.ensure_built("mtcnn/face_detection")
    with tempfile.TemporaryDirectory(prefix="mtcnn-reference-") as tmp:
        tmp = Path(tmp)
        site = tmp / "site"
        _pip("install", "--no-deps", "--target", str(site), args.wheel or PACKAGE)
        env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
        env["PYTHONPATH"] = str(site)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        command = [sys.executable, __file__, "--child", str(module_dir)]
        command += ["--repeats", str(args.repeats)]
        result = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    output = json.loads(result.stdout.strip().splitlines()[-1])
    document = {
        "made_by": "scripts/make_reference_mtcnn.py",
        "package": f"mtcnn {output['info']['mtcnn']}",
        "tensorflow": output["info"]["tensorflow"],
        "call": 'MTCNN().detect_faces(uint8 pixels, box_format="xyxy", output_type="numpy")',
        "photos": output["reference"],
    }
    OUT.write_text(json.dumps(document, indent=1) + "\n")
    print(f"{OUT.name}: {OUT.stat().st_size} bytes")
    for name, photo in output["reference"].items():
        print(f"{name}: {len(photo['faces'])} faces")
    for name, seconds in output["timings"].items():
        package, ours = seconds["mtcnn_package"], seconds["our_savedmodel"]
        print(
            f"{name}: mtcnn package {package * 1000:.0f} ms, our SavedModel {ours * 1000:.0f} ms "
            f"per image (median of {args.repeats}), ratio {package / ours:.2f}x"
        )


if __name__ == "__main__":
    main()
