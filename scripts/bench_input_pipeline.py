"""Images/s of hubmodels.data.from_folder against a per-image PIL loop and raw JPEG decoding.

    /work/venv/bin/python scripts/bench_input_pipeline.py [--images 200] [--rounds 5]

Writes JPEGs of 256x256 cut from a real photo (scikit-image's chelsea, random crops,
flips and brightness) to a temporary folder, then measures side by side, in alternating
rounds (median reported):
  pipeline    from_folder(..., (224, 224), batch_size=32): read, header check, decode,
              resize, shuffle, batch, prefetch; one warm-up epoch first
  plain map   the same read/decode/resize as a bare tf.data map (no bad-file naming)
  PIL loop    per image: Image.open, convert("RGB"), resize to 224x224, to float32 numpy
  raw decode  tf.io.decode_jpeg alone on the files' bytes already in memory, in parallel
              through tf.data (the JPEG decode rate of this machine, no resize)
Wall-clock rates depend on what else runs on the machine; CPU time per image (all
threads of this process) is printed beside them.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data as skimage_data

from hubmodels._keras import tf
from hubmodels.data import from_folder
from hubmodels.data.decode import decode_image

SIZE = (224, 224)


def write_jpegs(folder: Path, count: int) -> list:
    photo = skimage_data.chelsea()  # uint8 [300, 451, 3]
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        top = rng.integers(0, photo.shape[0] - 256)
        left = rng.integers(0, photo.shape[1] - 256)
        crop = photo[top : top + 256, left : left + 256].astype(np.float32)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        crop = np.clip(crop * rng.uniform(0.7, 1.3), 0, 255).astype(np.uint8)
        path = folder / ("cat" if i % 2 else "dog") / f"{i:04d}.jpg"
        path.parent.mkdir(exist_ok=True)
        Image.fromarray(crop).save(path, quality=90)
        paths.append(str(path))
    return paths


def measure(run, count) -> tuple:
    """(images per second of wall time, CPU milliseconds per image over all threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return count / wall, cpu / count * 1e3


def drain(dataset):
    for _ in dataset:
        pass


def pil_loop(paths):
    for path in paths:
        with Image.open(path) as image:
            resized = image.convert("RGB").resize(SIZE[::-1], Image.Resampling.BILINEAR)
        np.asarray(resized, np.float32) / 255.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        paths = write_jpegs(folder, args.images)
        count = len(paths)

        pipeline = from_folder(folder, SIZE, batch_size=32, validation_split=0, seed=0).train
        plain = (
            tf.data.Dataset.from_tensor_slices(paths)
            .shuffle(count, seed=0)
            .map(lambda p: decode_image(p, SIZE), num_parallel_calls=tf.data.AUTOTUNE)
            .batch(32)
            .prefetch(tf.data.AUTOTUNE)
        )
        contents = [Path(p).read_bytes() for p in paths]
        raw = (
            tf.data.Dataset.from_tensor_slices(contents)
            .map(
                lambda c: tf.io.decode_jpeg(c, channels=3, dct_method="INTEGER_ACCURATE"),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
            .prefetch(tf.data.AUTOTUNE)
        )
        runs = {
            "pipeline": lambda: drain(pipeline),
            "plain map": lambda: drain(plain),
            "PIL loop": lambda: pil_loop(paths),
            "raw decode": lambda: drain(raw),
        }
        for run in runs.values():  # warm-up: tracing, file cache
            run()
        results = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, run in runs.items():
                results[name].append(measure(run, count))

    rates = {name: statistics.median(r for r, _ in values) for name, values in results.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in results.items()}
    print(f"{count} JPEGs 256x256 -> {SIZE}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"  {'':<10} {'images/s':>9} {'CPU ms/image':>13}   images/s of each round")
    for name in runs:
        spread = ", ".join(f"{r:.0f}" for r, _ in results[name])
        print(f"  {name:<10} {rates[name]:9.1f} {cpu[name]:13.2f}   {spread}")
    for other in ("PIL loop", "raw decode", "plain map"):
        print(
            f"  pipeline / {other:<10} = {rates['pipeline'] / rates[other]:.2f}x images/s, "
            f"{cpu['pipeline'] / cpu[other]:.2f}x CPU per image"
        )


if __name__ == "__main__":
    main()
