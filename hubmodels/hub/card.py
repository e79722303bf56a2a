"""The module card: `hubmodels_card.json` beside saved_model.pb in zoo modules.

It says what a module is (real weights or stand-in), where its weights come
from, and which Python packages its graph needs (e.g. tensorflow_text ops).
Modules made elsewhere have no card; every reader here treats it as optional.
"""

import importlib
import json
from pathlib import Path

from hubmodels.errors import ModuleFormatError

FILENAME = "hubmodels_card.json"
_PIP_NAMES = {"tensorflow_text": "tensorflow-text"}


def read(folder) -> dict:
    """The card of the module in `folder`, or {} when it has none."""
    path = Path(folder) / FILENAME
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def write(folder, card: dict) -> None:
    (Path(folder) / FILENAME).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def import_required(folder) -> None:
    """Imports the packages whose ops the module's graph uses (its card's `requires`)."""
    for name in read(folder).get("requires", []):
        try:
            importlib.import_module(name)
        except ImportError:
            pip_name = _PIP_NAMES.get(name, name)
            raise ModuleFormatError(
                f"the module in {folder} needs the Python package {pip_name} for its ops; "
                f"install it with `pip install {pip_name}` (or `pip install 'hubmodels[zoo]'`)"
            ) from None
