"""LiteRT on the command line: `hubmodels export-litert` and the `--runtime litert` option
that `classify` and `predict` take (a .tflite model path implies it).

Imported when the command line starts: TensorFlow and LiteRT load only when a command runs.
"""

from pathlib import Path

from hubmodels.cli.arguments import positive_int
from hubmodels.errors import InputError
from hubmodels.litert.quantization import CALIBRATION_SAMPLES, MODES

RUNTIMES = ("tensorflow", "litert")


def add_runtime_arguments(parser) -> None:
    """--runtime and --threads of a command that predicts."""
    parser.add_argument(
        "--runtime",
        choices=RUNTIMES,
        help="tensorflow (default) or litert: run on LiteRT; a .tflite model always does, "
        "another one is converted first (float32, takes a while)",
    )
    parser.add_argument("--threads", type=positive_int, default=2, help="LiteRT threads")


def is_tflite(source) -> bool:
    return str(source).lower().endswith(".tflite")


def uses_litert(source, runtime) -> bool:
    """Whether to predict with LiteRT: a .tflite `source`, or --runtime litert."""
    if is_tflite(source) and runtime == "tensorflow":
        raise InputError(f"{source} is a LiteRT model: run it with --runtime litert")
    return is_tflite(source) or runtime == "litert"


def litert_predictor(source, threads: int):
    """The LiteRT predictor of a .tflite file, or of `source` (a Keras task model, a
    save_model export folder or an ObjectDetector) converted to float32 in memory."""
    from hubmodels.litert.predictor import LiteRTPredictor, load_litert

    if is_tflite(source):
        return load_litert(source, threads)
    from hubmodels.litert.export import convert

    if isinstance(source, (str, Path)):
        name = source
    else:  # a model's name, a detector's module
        name = getattr(source, "handle", None) or source.name
    return LiteRTPredictor(convert(source), f"{name} (converted to LiteRT)", threads)


def export_command(args) -> None:
    from hubmodels.litert.export import export_litert

    if args.module:
        import hubmodels

        source = hubmodels.image_classifier(args.module)
        size = tuple(source.inputs[0].shape[1:3])
    else:
        from hubmodels.export import metadata

        source = args.model
        size = metadata.read(Path(args.model)).get("image_size")
    calibration = None
    if args.calibration_images:
        calibration = _calibration_images(Path(args.calibration_images), size)
    elif args.quantization == "int8":
        raise InputError("--quantization int8 needs --calibration-images (a folder of images)")
    path = export_litert(
        source,
        args.out,
        quantization=args.quantization,
        representative_data=calibration,
        overwrite=args.overwrite,
    )
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, {args.quantization})")


def _calibration_images(folder: Path, size):
    """float32 [n, h, w, 3] in [0, 1]: up to 100 image files under `folder`, sorted."""
    from hubmodels.data.decode import EXTENSIONS
    from hubmodels.tasks.image.cli import load_images

    if not size:
        raise InputError("--calibration-images are images: the model to convert is no image model")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS)
    if not files:
        raise InputError(f"{folder} has no image files ({', '.join(EXTENSIONS)}) to calibrate on")
    return load_images(files[:CALIBRATION_SAMPLES], tuple(size))


def add_commands(commands) -> None:
    """Registers `export-litert` on the `hubmodels` argument parser."""
    export = commands.add_parser("export-litert", help="convert a model to a LiteRT .tflite file")
    source = export.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a folder written by train (or save_model)")
    source.add_argument("--module", help="an image classification module (its own classes)")
    export.add_argument("out", help="the .tflite file to write")
    export.add_argument("--quantization", choices=MODES, default="float32")
    export.add_argument("--calibration-images", help="int8: a folder of images (up to 100 used)")
    export.add_argument("--overwrite", action="store_true")
    export.set_defaults(run=export_command)
