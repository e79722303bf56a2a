"""Images/s of hubmodels.data.from_folder against bare tf.data maps and raw JPEG decoding.

    python scripts/bench_input_pipeline.py [--rounds 7] [--accuracy]

Writes two sets of JPEGs (quality 90) made from scikit-image's sample photos (chelsea,
coffee, astronaut, rocket, hubble_deep_field, retina, immunohistochemistry) to a temporary
folder, both read at 224x224:
  256x256    200 random 256x256 crops of the photos, flipped at random, brightness x0.7-1.3
  1024x768   200 camera-sized images: random 4:3 crops of the photos (at least 60% of the
             shorter side) resized to 1024x768 with PIL's Lanczos filter (generated: all but
             retina are upscaled, so they hold less fine detail than camera photos), flipped
             and brightened at random
and measures each set side by side, in alternating rounds after one warm-up, every
contender giving batches of 32 (images, labels):
  pipeline    from_folder(..., (224, 224), batch_size=32, validation_split=0, seed=0).train:
              read, decode (data.decode_image_bytes, fast_jpeg=True), resize, shuffle,
              batch, bad-file naming, prefetch
  plain map   the same decode as a bare tf.data map: shuffled (path, label) slices,
              map(read_file, decode_image_bytes), batch, prefetch; no bad-file naming
  by hand     what one writes without hubmodels: the plain map with decode_jpeg (accurate
              integer DCT, every pixel), resize bilinear, / 255
  raw decode  tf.io.decode_jpeg alone at full size (accurate integer DCT) on the files'
              bytes already in memory, in parallel through tf.data: the JPEG decode rate of
              this machine, no file reads, no resize
  scaled raw  the same, at the reduced DCT scale the pipeline decodes these files at
              (1/2 for 1024x768 to 224x224): the floor of the pipeline's own decode, all
              of whose entropy (Huffman) decoding stays whatever the scale
Wall-clock rates depend on what else runs on the machine (the load average is printed):
the best round of each (the one least disturbed) and the median are printed, with the
least CPU time per image of a round (all threads of this process). tf.data sets
each pipeline up anew every epoch (milliseconds per function), which weighs on small sets.

--accuracy also compares fast_jpeg=True against full decode (fast_jpeg=False) on the sample
photos as they are (saved as JPEG, quality 90): pixel differences at 224x224 and 112x112,
against full decode + bilinear resize and + antialiased resize; and, when the zoo's
EfficientNet-Lite0 classifier can be built here (`hubmodels zoo fetch`), its top-1 and top-5
on both decodes of the photos and of their 1024x768 versions.
"""

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data as skimage_data

from hubmodels._keras import tf
from hubmodels.data import decode_image_bytes, from_folder
from hubmodels.data.decode import JPEG_RATIOS, ratio_index

SIZE = (224, 224)
PHOTOS = (
    "chelsea",
    "coffee",
    "astronaut",
    "rocket",
    "hubble_deep_field",
    "retina",
    "immunohistochemistry",
)


def photos() -> dict:
    """name -> uint8 [height, width, 3] (300x451 to 1411x1411)."""
    return {name: getattr(skimage_data, name)() for name in PHOTOS}


def camera_sized(photo, rng=None) -> np.ndarray:
    """A 4:3 crop of photo (all of it without rng, else random) resized to uint8 [768, 1024, 3]."""
    height, width = photo.shape[:2]
    crop_height = min(height, width * 3 // 4)
    if rng is not None:
        crop_height = int(crop_height * rng.uniform(0.6, 1.0))
    crop_width = crop_height * 4 // 3
    top = rng.integers(0, height - crop_height + 1) if rng is not None else 0
    left = rng.integers(0, width - crop_width + 1) if rng is not None else 0
    crop = Image.fromarray(photo[top : top + crop_height, left : left + crop_width])
    return np.asarray(crop.resize((1024, 768), Image.Resampling.LANCZOS))


def random_crop(photo, size, rng) -> np.ndarray:
    top = rng.integers(0, photo.shape[0] - size + 1)
    left = rng.integers(0, photo.shape[1] - size + 1)
    return photo[top : top + size, left : left + size]


def write_jpegs(folder: Path, count: int, make) -> list:
    """`count` JPEGs in folder/{cat,dog}/; make(photo, rng) -> uint8 image. Returns the paths."""
    sources = list(photos().values())
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        image = make(sources[i % len(sources)], rng).astype(np.float32)
        if rng.random() < 0.5:
            image = image[:, ::-1]
        image = np.clip(image * rng.uniform(0.7, 1.3), 0, 255).astype(np.uint8)
        path = folder / ("cat" if i % 2 else "dog") / f"{i:04d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(path, quality=90)
        paths.append(str(path))
    return paths


def measure(dataset, count) -> tuple:
    """(images per second of wall time, CPU milliseconds per image over all threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    drain(dataset)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return count / wall, cpu / count * 1e3


def drain(dataset):
    for _ in dataset:
        pass


def full_decode(contents, ratio=1):
    return tf.io.decode_jpeg(contents, channels=3, dct_method="INTEGER_ACCURATE", ratio=ratio)


def contenders(folder: Path, paths: list) -> dict:
    count = len(paths)
    labels = np.arange(count, dtype=np.int32) % 2

    def bare_map(decode):
        return (
            tf.data.Dataset.from_tensor_slices((paths, labels))
            .shuffle(count, seed=0)
            .map(
                lambda path, label: (decode(tf.io.read_file(path)), label),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
            .batch(32)
            .prefetch(tf.data.AUTOTUNE)
        )

    contents = [Path(p).read_bytes() for p in paths]
    height, width = Image.open(paths[0]).size[::-1]
    ratio = JPEG_RATIOS[ratio_index(height, width, SIZE)]
    return {
        "pipeline": from_folder(folder, SIZE, batch_size=32, validation_split=0, seed=0).train,
        "plain map": bare_map(lambda contents: decode_image_bytes(contents, SIZE)),
        "by hand": bare_map(lambda contents: tf.image.resize(full_decode(contents), SIZE) / 255),
        "raw decode": tf.data.Dataset.from_tensor_slices(contents)
        .map(full_decode, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE),
        "scaled raw": tf.data.Dataset.from_tensor_slices(contents)
        .map(lambda c: full_decode(c, ratio), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE),
    }


def bench(title: str, folder: Path, paths: list, rounds: int) -> None:
    count = len(paths)
    datasets = contenders(folder, paths)
    for dataset in datasets.values():  # warm-up: tracing, file cache
        drain(dataset)
    results = {name: [] for name in datasets}
    for _ in range(rounds):
        for name, dataset in datasets.items():
            results[name].append(measure(dataset, count))
    best = {name: max(r for r, _ in values) for name, values in results.items()}
    rate = {name: statistics.median(r for r, _ in values) for name, values in results.items()}
    cpu = {name: min(c for _, c in values) for name, values in results.items()}
    print(f"{count} JPEGs {title} -> {SIZE}, load {os.getloadavg()[0]:.2f}")
    print(f"  {'':<10} {'images/s: best':>14} {'median':>7} {'CPU ms/image':>13}")
    for name in datasets:
        print(f"  {name:<10} {best[name]:14.0f} {rate[name]:7.0f} {cpu[name]:13.2f}")
    for other in list(datasets)[1:]:
        print(
            f"  pipeline / {other:<10} = {best['pipeline'] / best[other]:.2f}x images/s (best), "
            f"{rate['pipeline'] / rate[other]:.2f}x (median), "
            f"{cpu[other] / cpu['pipeline']:.2f}x images per CPU second"
        )


def encoded(image) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def pixel_differences() -> None:
    print("fast_jpeg=True against full decode, levels of 255 (mean / 99th percentile):")
    print(
        f"  {'photo':<22} {'size':>9} {'target':>7} {'scale':>5} {'vs bilinear':>13} "
        f"{'vs antialias':>13} {'bilinear vs antialias':>22}"
    )
    for name, photo in photos().items():
        contents = tf.constant(encoded(photo))
        full = full_decode(contents)
        for target in (SIZE, (112, 112)):
            fast, slow = (decode_image_bytes(contents, target, f).numpy() for f in (True, False))
            if np.array_equal(fast, slow):
                continue  # the photo is under twice the target: decoded in full either way
            fast, bilinear = fast * 255, slow * 255
            antialias = tf.image.resize(full, target, antialias=True).numpy()
            scale = min(photo.shape[0] // target[0], photo.shape[1] // target[1])
            scale = max(r for r in (2, 4, 8) if r <= scale)
            cells = [
                f"{np.abs(a - b).mean():5.2f} / {np.percentile(np.abs(a - b), 99):5.1f}"
                for a, b in ((fast, bilinear), (fast, antialias), (bilinear, antialias))
            ]
            size = f"{photo.shape[0]}x{photo.shape[1]}"
            print(
                f"  {name:<22} {size:>9} {target[0]:>7} {'1/' + str(scale):>5} "
                f"{cells[0]:>13} {cells[1]:>13} {cells[2]:>22}"
            )


def classifier_agreement() -> None:
    import hubmodels

    try:
        model = hubmodels.image_classifier("hubmodels://efficientnet_lite0/classification")
    except hubmodels.errors.HubModelsError as err:
        print(f"classifier skipped: {err}")
        return
    print(
        "EfficientNet-Lite0 on full decode (bilinear), fast_jpeg=True, and full decode with an "
        "antialiased resize (reference):"
    )
    same_top1 = overlaps = changes = rows = 0
    for name, photo in photos().items():
        for label, image in ((name, photo), (f"{name} 1024x768", camera_sized(photo))):
            contents = tf.constant(encoded(image))
            full, fast = (decode_image_bytes(contents, SIZE, f) for f in (False, True))
            if np.array_equal(full, fast):
                continue  # under twice the target: decoded in full either way
            reference = tf.image.resize(full_decode(contents), SIZE, antialias=True) / 255.0
            probabilities = model.predict(tf.stack([full, fast, reference]), verbose=0)
            top = np.argsort(-probabilities, axis=-1)[:, :5]
            names = [
                f"{model.class_names[row[0]]} {p[row[0]]:.2f}" for row, p in zip(top, probabilities)
            ]
            overlap = len(set(top[0]) & set(top[1]))
            change = np.abs(probabilities[:2] - probabilities[2]).max(axis=-1)
            rows += 1
            same_top1 += top[0, 0] == top[1, 0]
            overlaps += overlap
            changes += change
            print(f"  {label:<32} top-1 {' | '.join(names)}")
            print(
                f"  {'':<32} top-5 of fast vs full: {overlap}/5 shared; largest probability "
                f"change from the reference: full {change[0]:.3f}, fast {change[1]:.3f}"
            )
    print(
        f"  {rows} images: same top-1 {same_top1}/{rows}, top-5 shared {overlaps / rows:.1f}/5 "
        f"on average; mean largest change from the reference: full {changes[0] / rows:.3f}, "
        f"fast {changes[1] / rows:.3f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--accuracy", action="store_true")
    args = parser.parse_args()

    print(f"{os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        sets = {
            "256x256": (200, lambda photo, rng: random_crop(photo, 256, rng)),
            "1024x768": (200, camera_sized),
        }
        for title, (count, make) in sets.items():
            folder = Path(tmp) / title
            bench(title, folder, write_jpegs(folder, count, make), args.rounds)
    if args.accuracy:
        pixel_differences()
        classifier_agreement()


if __name__ == "__main__":
    main()
