"""`hubmodels detect`: detections of image files, drawn into PNGs, with the records as JSON.

    hubmodels detect IMAGES... --module H --out DIR [--min-score S] [--max-detections K]
                     [--nms-iou T] [--classes 1,Human face] [--signature S] [--json]
                     [--runtime litert] [--threads N]

--runtime litert (or a .tflite file as --module, whose selection was fixed by its export)
runs the detector on LiteRT (hubmodels.litert.detection).

Writes DIR/NAME.png (each image with its detections drawn; NAME from the image's file
name, numbered when two share one) and DIR/detections.json (one entry per image: file,
picture, image_size, detections with pixel and normalised boxes); prints a summary, or
that JSON with --json.
"""

import json
from pathlib import Path

from hubmodels.cli.arguments import positive_int
from hubmodels.errors import InputError
from hubmodels.litert.cli import add_runtime_arguments, uses_litert

# The selection options: their defaults are object_detector's, None means not given.
SELECTION = ("signature", "min_score", "max_detections", "classes", "nms_iou")


def read_image(path):
    """uint8 [h, w, 3] of an image file at its own size; InputError naming a bad file."""
    from hubmodels._keras import tf
    from hubmodels.data.decode import UNDECODABLE, file_problem

    problem = file_problem(str(path))
    if problem:
        raise InputError(f"image {path}: {problem}")
    try:
        contents = tf.io.read_file(str(path))
        return tf.io.decode_image(contents, channels=3, expand_animations=False).numpy()
    except tf.errors.InvalidArgumentError:
        raise InputError(f"image {path} cannot be decoded: {UNDECODABLE}") from None


def _classes(text):
    """Text such as `1,Human face` -> [1, "Human face"] (numbers are class ids, the rest
    names)."""
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",") if part.strip()]
    return [int(part) if part.isdigit() else part for part in parts]


def _picture_names(paths) -> list:
    """A distinct PNG file name per image: its stem, numbered from the second of a stem."""
    names, seen = [], {}
    for path in paths:
        stem = Path(path).stem or "image"
        seen[stem] = seen.get(stem, 0) + 1
        names.append(f"{stem}.png" if seen[stem] == 1 else f"{stem}_{seen[stem]}.png")
    return names


def _detector(args):
    """What detects: an ObjectDetector, or a LiteRT predictor (a .tflite file, or the module
    converted in memory with --runtime litert); both have `detect(images)`."""
    from hubmodels.litert.cli import is_tflite, litert_predictor

    given = {name: getattr(args, name) for name in SELECTION if getattr(args, name) is not None}
    if "classes" in given:
        given["classes"] = _classes(given["classes"])
    if is_tflite(args.module) and uses_litert(args.module, args.runtime):
        if given:
            options = ", ".join("--" + name.replace("_", "-") for name in given)
            raise InputError(
                f"{args.module} was exported with its selection fixed: {options} cannot change "
                "it (export the detector again with other options)"
            )
        return litert_predictor(args.module, args.threads)
    from hubmodels.tasks.detection.detector import object_detector

    detector = object_detector(args.module, **given)
    if not uses_litert(args.module, args.runtime):
        return detector
    return litert_predictor(detector, args.threads)


def detect(args) -> None:
    from hubmodels.export.atomic import save_file
    from hubmodels.tasks.detection.drawing import draw_detections, pillow

    Image = pillow()[0]
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; expected a folder")
    detector = _detector(args)
    images = [read_image(path) for path in args.images]
    records = detector.detect(images)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for path, name, image, record in zip(args.images, _picture_names(args.images), images, records):
        picture = Image.fromarray(draw_detections(image, record))
        save_file(out / name, lambda file, p=picture: p.save(file, format="PNG"), overwrite=True)
        entries.append({"image": str(path), "picture": str(out / name), **record.to_json()})
    text = json.dumps(entries, indent=2)
    save_file(out / "detections.json", lambda f: Path(f).write_text(text, "utf-8"), overwrite=True)
    if args.json:
        print(text)
        return
    _print_records(entries)
    print(f"records: {out / 'detections.json'}")


def predict(detector, args) -> None:
    """`hubmodels predict` on a detector export (save_detector) or .tflite file: the
    detections of image files (args.inputs), as `detect` prints them, without pictures."""
    entries = [
        {"image": str(path), **record.to_json()}
        for path, record in zip(args.inputs, detector.detect(list(map(read_image, args.inputs))))
    ]
    if args.json:
        print(json.dumps(entries, indent=2))
    else:
        _print_records(entries)


def _print_records(entries) -> None:
    for entry in entries:
        found = entry["detections"]
        picture = f" -> {entry['picture']}" if "picture" in entry else ""
        print(f"{entry['image']}: {len(found)} detections{picture}")
        for row in found:
            box = ", ".join(f"{v:.0f}" for v in row["pixel_box"])
            print(f"  {row['score']:7.2%}  {row['label']}  [{box}] (ymin, xmin, ymax, xmax)")


def add_commands(commands) -> None:
    parser = commands.add_parser("detect", help="detect objects or faces in images, draw them")
    parser.add_argument("images", nargs="+", help="image files (JPEG, PNG, GIF, BMP)")
    parser.add_argument("--module", required=True, help="a detector module, or a .tflite file")
    parser.add_argument("--out", required=True, help="folder for the pictures and detections.json")
    parser.add_argument("--min-score", type=float, help="in [0, 1] (default 0)")
    parser.add_argument("--max-detections", type=positive_int, help="(default 100)")
    parser.add_argument("--nms-iou", type=float, help="per-class NMS at this IoU (default: none)")
    parser.add_argument("--classes", help="keep these: comma-separated class ids or names")
    parser.add_argument("--signature", help="the module's signature (default: its default)")
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    add_runtime_arguments(parser)
    parser.set_defaults(run=detect)
