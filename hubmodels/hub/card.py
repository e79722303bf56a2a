"""The module card: `hubmodels_card.json` beside saved_model.pb in zoo modules.

It says what a module is (real weights or stand-in), where its weights come
from, and which Python packages its graph needs (e.g. tensorflow_text ops).
Modules made elsewhere have no card; every reader here treats it as optional.
A card can only ask for packages of `_PIP_NAMES`: a module file never makes
hubmodels import arbitrary code.
"""

import importlib
import json
import os
import posixpath
from pathlib import Path

from hubmodels.errors import ModuleFormatError

FILENAME = "hubmodels_card.json"
# The packages a card may require (import name -> pip name): importing them registers ops.
_PIP_NAMES = {"tensorflow_text": "tensorflow-text"}

_KINDS = {
    "a string": lambda v: isinstance(v, str),
    "a list of strings": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "an integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "a number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "an object of strings": lambda v: (
        isinstance(v, dict) and all(isinstance(i, str) for i in v.values())
    ),
}
_FIELDS = {
    "name": "a string",
    "handle": "a string",
    "category": "a string",
    "summary": "a string",
    "kind": "a string",
    "standin_of": "a string",
    "sources": "a list of strings",
    "requires": "a list of strings",
    "revision": "an integer",
    "built_by": "a string",
    "environment": "an object of strings",
    "build_seconds": "a number",
}


def _path(folder) -> str:
    return posixpath.join(os.fspath(folder), FILENAME)


def read(folder) -> dict:
    """The card of the module in `folder` (local, or remote like gs://), or {} without one.

    Raises ModuleFormatError naming the file when it is not a valid card.
    """
    from hubmodels._keras import tf

    path = _path(folder)
    if not tf.io.gfile.exists(path):
        return {}
    try:
        with tf.io.gfile.GFile(path, "rb") as file:
            card = json.loads(file.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModuleFormatError(f"module card {path} is not valid JSON: {err}") from None
    if not isinstance(card, dict):
        raise ModuleFormatError(f"module card {path} must hold a JSON object, not {card!r:.60}")
    for field, kind in _FIELDS.items():
        if field in card and not _KINDS[kind](card[field]):
            raise ModuleFormatError(
                f"module card {path}: {field!r} must be {kind}, got {card[field]!r:.60}"
            )
    return card


def write(folder, card: dict) -> None:
    """Writes `card` into the local folder `folder` (a zoo build being made)."""
    (Path(folder) / FILENAME).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def import_required(folder) -> None:
    """Imports the packages whose ops the module's graph uses (its card's `requires`)."""
    import_packages(read(folder).get("requires", []), f"module card {_path(folder)}")


def import_packages(names, origin: str) -> None:
    """Imports allowlisted packages that a graph's ops need; `origin` names who asked."""
    for name in names:
        if name not in _PIP_NAMES:
            raise ModuleFormatError(
                f"{origin} requires the package {name!r}, which hubmodels does not import for "
                f"a module; allowed: {', '.join(sorted(_PIP_NAMES))}"
            )
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            raise ModuleFormatError(
                f"{origin} needs the Python package {pip_name(name)} for its ops; install it "
                f"with `pip install {pip_name(name)}` (or `pip install 'hubmodels[zoo]'`)"
            ) from None


def pip_name(name: str) -> str:
    """The pip distribution of an importable package name (tensorflow_text -> tensorflow-text)."""
    return _PIP_NAMES.get(name, name)
