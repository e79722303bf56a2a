"""The image task on the command line: `classify`, `train --task image`, `predict`
(classify and predict also run .tflite models on LiteRT: hubmodels.litert.cli)."""

import json
from pathlib import Path

from hubmodels.cli.arguments import positive_int
from hubmodels.cli.training import fit_and_export
from hubmodels.errors import InputError
from hubmodels.litert import cli as litert


def load_images(paths, image_size, fast_jpeg=True):
    """float32 [n, height, width, 3] in [0, 1]; InputError naming a missing or bad file."""
    import numpy as np

    from hubmodels._keras import tf
    from hubmodels.data.decode import UNDECODABLE, decode_image_bytes, file_problem

    images = []
    for path in paths:
        problem = file_problem(str(path))
        if problem:
            raise InputError(f"image {path}: {problem}")
        try:
            contents = tf.io.read_file(str(path))
            images.append(decode_image_bytes(contents, image_size, fast_jpeg=fast_jpeg).numpy())
        except tf.errors.InvalidArgumentError:
            raise InputError(f"image {path} cannot be decoded: {UNDECODABLE}") from None
    return np.stack(images)


def _print_top_k(paths, results, as_json):
    if as_json:
        rows = [
            {
                "image": str(p),
                "top_k": [{"label": label, "score": round(score, 6)} for label, score in r],
            }
            for p, r in zip(paths, results)
        ]
        print(json.dumps(rows, indent=2))
        return
    for path, result in zip(paths, results):
        print(path)
        for label, score in result:
            print(f"  {score:7.2%}  {label}")


def classify(args) -> None:
    import hubmodels

    if litert.is_tflite(args.module):
        litert.uses_litert(args.module, args.runtime)  # refuses --runtime tensorflow
        for option in ("signature", "output_key", "labels"):
            if getattr(args, option):
                raise InputError(f"--{option.replace('_', '-')} is for modules, not .tflite files")
        model = litert.litert_predictor(args.module, args.threads)
        size = model.image_size
    else:
        model = hubmodels.image_classifier(
            args.module, signature=args.signature, output_key=args.output_key, labels=args.labels
        )
        size = tuple(model.inputs[0].shape[1:3])
        if args.runtime == "litert":
            model = litert.litert_predictor(model, args.threads)
    if None in size:
        raise InputError(f"module {args.module} accepts any image size; it cannot pick one")
    results = hubmodels.predict_top_k(model, load_images(args.images, size), k=args.top)
    _print_top_k(args.images, results, args.json)


def predict(model, args) -> None:
    """`hubmodels predict` on an image export: top-k labels of image files (args.inputs)."""
    from hubmodels.tasks.image.classifiers import predict_top_k

    images = load_images(args.inputs, model.image_size, model.fast_jpeg)
    results = predict_top_k(model, images, k=args.top)
    _print_top_k(args.inputs, results, args.json)


def train(args) -> None:

    import hubmodels
    from hubmodels import data

    size = data.image_size_for(args.module)
    options = dict(
        batch_size=args.batch_size,
        validation_split=args.validation_split,
        seed=args.seed,
        skip_errors=args.skip_errors,
    )
    source = Path(args.data)
    if source.suffix.lower() == ".csv":
        separator = args.label_separator if args.multi_label else None
        images = data.from_csv(source, size, label_separator=separator, **options)
    elif args.multi_label:
        raise InputError("--multi-label needs a CSV file (path,label with separated labels)")
    else:
        images = data.from_folder(source, size, **options)
    model = hubmodels.feature_vector_classifier(
        args.module,
        images.num_classes,
        multi_label=images.multi_label,
        unfreeze=args.unfreeze,
        augmentation=args.augment,
        class_names=images.class_names,
    )
    fit_and_export(model, images, args, "images", fast_jpeg=images.fast_jpeg)


def add_commands(commands) -> None:
    """Registers `classify` on the `hubmodels` argument parser."""
    classify_parser = commands.add_parser("classify", help="top-k labels of images")
    classify_parser.add_argument(
        "--module", required=True, help="an image classification module, or a .tflite file"
    )
    classify_parser.add_argument("images", nargs="+", help="image files")
    classify_parser.add_argument("--top", type=positive_int, default=5)
    classify_parser.add_argument("--signature", help="module signature (default: default)")
    classify_parser.add_argument("--output-key", help="signature output with the logits")
    classify_parser.add_argument("--labels", help="labels file, one per line")
    classify_parser.add_argument("--json", action="store_true")
    litert.add_runtime_arguments(classify_parser)
    classify_parser.set_defaults(run=classify)


def add_train_arguments(group) -> None:
    """The options of `hubmodels train --task image` (data: a folder of class folders or a CSV)."""
    group.add_argument("--multi-label", action="store_true", help="CSV with several labels")
    group.add_argument("--label-separator", default=" ", help="for --multi-label CSVs")
    group.add_argument("--augment", help="crop_color, nas_svhn or an augmentation handle")
    group.add_argument("--skip-errors", action="store_true", help="skip bad image files")
