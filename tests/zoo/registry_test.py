"""The registry is the one list of zoo modules: zoo list and the README follow it."""

import json
from pathlib import Path

import pytest

from hubmodels import cli
from hubmodels.zoo import registry, scheme

README = (Path(__file__).parents[2] / "README.md").read_text()
ENTRIES = registry.entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_entry_is_documented_and_described(entry):
    assert f"`{entry.name}`" in README
    assert entry.summary and entry.category
    if entry.is_standin:
        assert entry.standin_of == "https://tfhub.dev/" + entry.name.removeprefix("standin/")


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.is_standin], ids=lambda e: e.name)
def test_an_unreachable_tfhub_url_is_offered_its_stand_in(entry):
    assert scheme._standin_for(entry.standin_of + "/?tf-hub-format=compressed") == (
        "hubmodels://" + entry.name
    )


def test_urls_without_a_stand_in_are_offered_none():
    assert scheme._standin_for("https://tfhub.dev/google/x/1") is None


def test_zoo_list_shows_every_entry(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path))
    assert cli.main(["zoo", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == [e.name for e in ENTRIES]
    by_name = {r["name"]: r for r in rows}
    assert by_name["efficientnet_lite0/classification"]["state"] == "needs fetch"
    assert by_name["image_augmentation/crop_color"]["state"] == "buildable"
    assert by_name["standin/google/elmo/2"]["kind"].startswith("stand-in: random weights")
