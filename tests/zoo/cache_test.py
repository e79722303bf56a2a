"""Zoo builds: on first use, atomic, once across processes, redone on a new source version
or in another environment (TensorFlow, hubmodels), whose builds are kept."""

import pytest

import hubmodels
from hubmodels._keras import tf
from hubmodels.errors import ZooError
from hubmodels.hub import card
from hubmodels.zoo import cache, registry
from tests.processes import run_at_once
from tests.zoo import tiny_entries


@pytest.fixture(autouse=True)
def _tiny_zoo(tiny_zoo):
    """Every test here sees the tiny test entries in a fresh HUBMODELS_HOME."""


def test_build_on_first_use_writes_a_card():
    folder = cache.ensure_built(tiny_entries.SCALE, quiet=True)
    assert (folder / "saved_model.pb").is_file()
    written = card.read(folder)
    assert written["name"] == tiny_entries.SCALE and written["category"] == "test"
    assert cache.ensure_built(tiny_entries.SCALE, quiet=True) == folder
    assert tiny_entries.build_count() == 1


def test_crashed_build_leaves_nothing_that_loads(tmp_path):
    with pytest.raises(RuntimeError, match="disk full"):
        cache.ensure_built(tiny_entries.CRASHING, quiet=True)
    entry = registry.get(tiny_entries.CRASHING)
    assert not cache.module_dir(entry).exists()
    assert not any(cache.module_dir(entry).parent.glob("*/saved_model.pb"))


def test_new_source_version_rebuilds():
    entry = registry.get(tiny_entries.SCALE)
    old = cache.ensure_built(entry.name, quiet=True)
    newer = registry.ZooEntry(**{**entry.__dict__, "revision": entry.revision + 1})
    registry._ENTRIES[entry.name] = newer  # the fixture unregisters the test entries
    new = cache.ensure_built(entry.name, quiet=True)
    assert new != old and new.is_dir() and not old.exists()


def test_environments_sharing_a_home_keep_each_others_builds(monkeypatch):
    real = {"tensorflow": tf.__version__, "hubmodels": hubmodels.__version__}
    assert cache._environment() == real
    other_tf = {**real, "tensorflow": "2.99.0"}
    other_hubmodels = {**real, "hubmodels": "9.9.9"}
    entry = registry.get(tiny_entries.SCALE)
    builds = {}
    for environment in (real, other_tf, other_hubmodels):
        monkeypatch.setattr(cache, "_environment", lambda e=environment: e)
        builds[str(environment)] = cache.ensure_built(entry.name, quiet=True)
        assert card.read(builds[str(environment)])["environment"] == environment
    assert len(set(builds.values())) == 3 and all(b.is_dir() for b in builds.values())
    newer = registry.ZooEntry(**{**entry.__dict__, "revision": entry.revision + 1})
    registry._ENTRIES[entry.name] = newer  # the fixture unregisters the test entries
    newest = cache.ensure_built(entry.name, quiet=True)  # still in other_hubmodels
    assert newest.is_dir() and not builds[str(other_hubmodels)].exists()
    assert builds[str(real)].is_dir() and builds[str(other_tf)].is_dir()
    assert tiny_entries.build_count() == 4


def test_folders_without_a_valid_card_are_left_alone():
    entry = registry.get(tiny_entries.SCALE)
    mine = cache.module_dir(entry).parent / "user_notes"
    mine.mkdir(parents=True)
    (mine / card.FILENAME).write_text("{not json")
    cache.ensure_built(entry.name, quiet=True)
    assert (mine / card.FILENAME).is_file()


def test_zoo_handles_resolve_through_the_registered_scheme():
    folder = hubmodels.resolve("hubmodels://" + tiny_entries.SCALE)
    assert folder == str(cache.module_dir(registry.get(tiny_entries.SCALE)))
    assert card.read(folder)["handle"] == "hubmodels://" + tiny_entries.SCALE


def _build_in_child(home):
    import os

    os.environ["HUBMODELS_HOME"] = home
    tiny_entries.register_all()
    return str(cache.ensure_built(tiny_entries.SLOW, quiet=True))


def test_two_processes_building_at_once_end_with_one_copy(tmp_path, monkeypatch):
    home = str(tmp_path / "home")
    folders = set(run_at_once(_build_in_child, (home,)))
    assert len(folders) == 1
    builds = tmp_path / "home" / "zoo" / tiny_entries.SLOW
    monkeypatch.setenv("HUBMODELS_HOME", home)
    assert tiny_entries.build_count() == 1
    assert [p.name for p in builds.iterdir() if p.is_dir()] == [folders.pop().split("/")[-1]]


def test_unknown_name_lists_known_modules():
    with pytest.raises(ZooError, match="no zoo module named 'nope'.*known modules:.*test/scale"):
        cache.ensure_built("nope")
