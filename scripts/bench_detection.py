"""Speed of object_detector(...).detect on a batch of 16 real photos of mixed sizes.

    python scripts/bench_detection.py [--repeats 3] [--wheel mtcnn-1.0.0-py3-none-any.whl]

Photos: 15 of scikit-image's sample photos (astronaut, coffee, the cameraman in grey, ...;
from 300 x 384 to 1411 x 1411) and matplotlib's sample photo of Grace Hopper
(matplotlib is a test extra), as uint8 arrays.

1. For the Faster R-CNN stand-in and the real MTCNN (hubmodels://mtcnn/face_detection),
   the time of one batch (best of --repeats, after a warm-up) of:
   - tutorial: `hub.load(h).signatures["default"]` called once per image, each image made
     float with tf.image.convert_image_dtype and the outputs made numpy, as TF Hub's
     object-detection tutorial does;
   - tutorial in 2 threads: the same calls from 2 threads;
   - detect: detect(batch) (one traced function over the whole batch, a tf.map_fn with
     PARALLEL_CALLS images in flight), its first call (tracing included), and with 1 image
     in flight;
   - threads: the option detect does not take, the one-image function (detect_one traced)
     called per image from PARALLEL_CALLS threads.
2. The mtcnn package (1.0.0, installed with --no-deps into a temporary folder and run in a
   child process with it on PYTHONPATH; never in this environment) on the same photos:
   `MTCNN().detect_faces(image)` once per image, and on the list (it pads the batch to
   its largest image), against detect(batch) on the zoo's MTCNN. Faces found are printed
   for both, as a check that they do the same work.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STANDIN = "hubmodels://standin/google/faster_rcnn/openimages_v4/inception_resnet_v2/1"
FACES = "hubmodels://mtcnn/face_detection"
SKIMAGE_PHOTOS = (
    "astronaut coffee camera chelsea rocket hubble_deep_field immunohistochemistry retina "
    "coins moon clock stereo_motorcycle brick grass gravel"
).split()
PACKAGE = "mtcnn==1.0.0"
MIN_SCORE = 0.5


def photos() -> list:
    """16 uint8 photos, [h, w] or [h, w, 3], of mixed sizes."""
    import tensorflow as tf
    from skimage import data

    images = []
    for name in SKIMAGE_PHOTOS:
        image = getattr(data, name)()
        images.append(image[0] if isinstance(image, tuple) else image)
    from matplotlib import cbook

    photo = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    images.append(tf.io.decode_jpeg(photo.read_bytes(), channels=3).numpy())
    return images


def best_seconds(call, repeats) -> float:
    call()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def rgb(image):
    return np.stack([image] * 3, axis=-1) if image.ndim == 2 else image


def threaded(detector, threads):
    """The option detect does not take, measured: detector.detect_one traced once for any
    size and called per image from `threads` threads."""
    import tensorflow as tf

    one = tf.function(
        detector.detect_one,
        input_signature=[tf.TensorSpec([None, None, 3], tf.uint8)],
        autograph=False,
    )

    def call(images):
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda image: one(rgb(image)), images))

    return call


def bench_module(handle, images, repeats) -> dict:
    """Seconds per batch of each way of running `handle` over `images`."""
    import tensorflow as tf
    import tensorflow_hub as hub

    from hubmodels.tasks.detection import detector as detector_module

    signature = hub.load(handle).signatures["default"]

    def tutorial_one(image):
        converted = tf.image.convert_image_dtype(rgb(image), tf.float32)[tf.newaxis, ...]
        return {key: value.numpy() for key, value in signature(converted).items()}

    pool = ThreadPoolExecutor(2)
    times = {
        "tutorial": best_seconds(lambda: [tutorial_one(image) for image in images], repeats),
        "tutorial in 2 threads": best_seconds(
            lambda: list(pool.map(tutorial_one, images)), repeats
        ),
    }
    pool.shutdown()
    detector = detector_module.object_detector(handle, min_score=MIN_SCORE)
    start = time.perf_counter()
    detector.detect(images)
    times["detect, first (tracing)"] = time.perf_counter() - start
    times["detect"] = best_seconds(lambda: detector.detect(images), repeats)
    in_flight, detector_module.PARALLEL_CALLS = detector_module.PARALLEL_CALLS, 1
    one_at_a_time = detector_module.object_detector(handle, min_score=MIN_SCORE)
    detector_module.PARALLEL_CALLS = in_flight
    one_at_a_time.detect(images)  # traced with 1 in flight
    times["detect, 1 in flight"] = best_seconds(lambda: one_at_a_time.detect(images), repeats)
    calls = threaded(detector, in_flight)
    calls(images)
    times[f"threads ({in_flight})"] = best_seconds(lambda: calls(images), repeats)
    return times


def package_child(npz, repeats) -> None:
    """In the child process that imports mtcnn: its times and faces found, as JSON."""
    from mtcnn import MTCNN

    with np.load(npz) as stored:
        images = [rgb(stored[key]) for key in sorted(stored.files)]
    package = MTCNN()

    def faces(rows):
        return sum(1 for face in rows if face["confidence"] >= MIN_SCORE)

    times = {
        "one call per image": best_seconds(
            lambda: [package.detect_faces(image) for image in images], repeats
        ),
        "one call on the list": best_seconds(lambda: package.detect_faces(images), repeats),
    }
    found = [faces(package.detect_faces(image)) for image in images]
    print(json.dumps({"times": times, "faces": found}))


def bench_package(images, repeats, wheel) -> dict:
    with tempfile.TemporaryDirectory(prefix="mtcnn-bench-") as tmp:
        site, npz = Path(tmp) / "site", Path(tmp) / "photos.npz"
        np.savez(npz, **{f"{i:02d}": image for i, image in enumerate(images)})
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps"]
        subprocess.run([*pip, "--target", str(site), wheel or PACKAGE], check=True)
        env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
        env["PYTHONPATH"] = str(site)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        command = [sys.executable, __file__, "--child", str(npz), "--repeats", str(repeats)]
        result = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--wheel", help="a local mtcnn 1.0.0 wheel instead of PyPI")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        package_child(args.child, args.repeats)
        return
    from hubmodels.tasks.detection import object_detector

    images = photos()
    sizes = sorted({image.shape[:2] for image in images})
    print(f"{len(images)} photos, {len(sizes)} sizes from {sizes[0]} to {sizes[-1]}")
    for handle in (STANDIN, FACES):
        times = bench_module(handle, images, args.repeats)
        print(f"\n{handle} (seconds per batch of {len(images)}, best of {args.repeats})")
        for name, seconds in times.items():
            ratio = times["tutorial"] / seconds
            print(f"  {name:26s} {seconds:7.3f} s   {ratio:5.2f}x the tutorial's speed")
    ours = object_detector(FACES, min_score=MIN_SCORE)
    ours_seconds = best_seconds(lambda: ours.detect(images), args.repeats)
    ours_faces = [len(record) for record in ours.detect(images)]
    package = bench_package(images, args.repeats, args.wheel)
    print(f"\nmtcnn package vs {FACES} (seconds per batch, best of {args.repeats})")
    print(f"  zoo MTCNN, detect(batch)         {ours_seconds:7.3f} s   faces {ours_faces}")
    for name, seconds in package["times"].items():
        print(
            f"  package, {name:22s} {seconds:7.3f} s   we are {seconds / ours_seconds:5.2f}x "
            "as fast"
        )
    print(f"  package faces (score >= {MIN_SCORE})  {package['faces']}")


if __name__ == "__main__":
    main()
