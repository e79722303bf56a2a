"""The metadata of an export: `assets/hubmodels_model.json`, a tracked asset of the SavedModel.

Keys: format, format_version, hubmodels_version, task, requires (packages the graph's ops
need), and what the task keeps (for image models: class_names, multi_label, image_size).
Version 1 exports predate tasks: they are image models.
"""

import json
from pathlib import Path

from hubmodels import __version__
from hubmodels.errors import ModuleFormatError

FILENAME = "hubmodels_model.json"
FORMAT = "hubmodels.export"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)


def write(file: Path, task: str, task_metadata: dict) -> dict:
    """Writes the metadata of an export of `task` to `file`; returns it."""
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "hubmodels_version": __version__,
        "task": task,
        **task_metadata,
    }
    Path(file).write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    return metadata


def read(path: Path) -> dict:
    """The metadata of the export at `path`; ModuleFormatError saying what is wrong."""
    if not path.exists():
        raise ModuleFormatError(f"no hubmodels export at {path}: it does not exist")
    if not any((path / name).is_file() for name in ("saved_model.pb", "saved_model.pbtxt")):
        raise ModuleFormatError(f"{path} is not a SavedModel folder (no saved_model.pb)")
    file = path / "assets" / FILENAME
    if not file.is_file():
        raise ModuleFormatError(
            f"{path} is a SavedModel but not a hubmodels export (no assets/{FILENAME}); "
            "load it with tf.saved_model.load or hubmodels.Module"
        )
    try:
        metadata = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ModuleFormatError(f"{file} is not valid JSON: {err}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModuleFormatError(f"{file} does not describe a hubmodels export")
    version = metadata.get("format_version")
    if version not in READABLE_VERSIONS:
        raise ModuleFormatError(
            f"{path} is a hubmodels export of format version {version}, this hubmodels reads "
            f"versions {', '.join(map(str, READABLE_VERSIONS))}"
        )
    metadata.setdefault("task", "image")
    return metadata
