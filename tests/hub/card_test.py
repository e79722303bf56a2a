"""Module cards: read locally and remotely, checked, and importing only allowed packages."""

import json
import sys

import pytest

from hubmodels._keras import tf
from hubmodels.errors import ModuleFormatError
from hubmodels.hub import card

PROBE = "hubmodels_card_probe"


@pytest.fixture
def probe_package(tmp_path, monkeypatch):
    """An importable package that leaves a file behind when it is imported."""
    marker = tmp_path / "imported"
    (tmp_path / f"{PROBE}.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, PROBE, raising=False)
    yield marker
    sys.modules.pop(PROBE, None)


def _module_with_card(folder, content):
    folder.mkdir(parents=True, exist_ok=True)
    data = content if isinstance(content, bytes) else content.encode()
    (folder / card.FILENAME).write_bytes(data)
    return folder


def test_write_then_read_and_no_card(tmp_path):
    written = {"name": "x", "requires": [], "revision": 2, "environment": {"tensorflow": "2"}}
    card.write(tmp_path, written)
    assert card.read(tmp_path) == written
    assert card.read(tmp_path / "elsewhere") == {}


def test_a_card_on_a_remote_filesystem_is_read():
    folder = "ram://cards/module"
    tf.io.gfile.makedirs(folder)
    with tf.io.gfile.GFile(f"{folder}/{card.FILENAME}", "w") as file:
        file.write(json.dumps({"name": "remote", "requires": ["tensorflow_text"]}))
    assert card.read(folder) == {"name": "remote", "requires": ["tensorflow_text"]}


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "is not valid JSON"),
        (b'{"name": "\xff"}', "is not valid JSON"),
        ('["a list"]', "must hold a JSON object"),
        ('{"requires": "tensorflow_text"}', "'requires' must be a list of strings"),
        ('{"requires": [1]}', "'requires' must be a list of strings"),
        ('{"revision": "2"}', "'revision' must be an integer"),
        ('{"revision": true}', "'revision' must be an integer"),
        ('{"name": null}', "'name' must be a string"),
        ('{"environment": {"tensorflow": 2}}', "'environment' must be an object of strings"),
    ],
)
def test_a_malformed_card_names_its_file(tmp_path, content, message):
    folder = _module_with_card(tmp_path / "module", content)
    with pytest.raises(ModuleFormatError, match=message) as caught:
        card.read(folder)
    assert str(folder / card.FILENAME) in str(caught.value)


def test_a_card_cannot_make_hubmodels_import_any_package(tmp_path, probe_package):
    folder = _module_with_card(tmp_path / "module", json.dumps({"requires": [PROBE]}))
    with pytest.raises(ModuleFormatError) as caught:
        card.import_required(folder)
    message = str(caught.value)
    assert f"requires the package '{PROBE}'" in message and "allowed: tensorflow_text" in message
    assert str(folder / card.FILENAME) in message
    assert not probe_package.exists() and PROBE not in sys.modules


def test_allowed_packages_are_imported(tmp_path, probe_package, monkeypatch):
    monkeypatch.setitem(card._PIP_NAMES, PROBE, "hubmodels-card-probe")
    folder = _module_with_card(tmp_path / "module", json.dumps({"requires": [PROBE]}))
    card.import_required(folder)
    assert probe_package.exists()


def test_a_missing_allowed_package_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(card._PIP_NAMES, "hubmodels_absent_package", "absent-package")
    folder = _module_with_card(
        tmp_path / "module", json.dumps({"requires": ["hubmodels_absent_package"]})
    )
    with pytest.raises(ModuleFormatError, match="pip install absent-package"):
        card.import_required(folder)
