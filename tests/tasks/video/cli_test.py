"""hubmodels train --task video / predict / watch on tiny real MP4 files."""

import json

import pytest

from hubmodels import cli


@pytest.fixture(scope="module")
def trained(frame_module, video_folder, tmp_path_factory):
    """An export trained by `hubmodels train --task video` (4 frames, 2 apart, step 2)."""
    out = tmp_path_factory.mktemp("trained") / "model"
    code = cli.main(
        [
            "train",
            "--task",
            "video",
            "--module",
            str(frame_module),
            "--data",
            str(video_folder),
            "--out",
            str(out),
            "--frames",
            "4",
            "--frame-step",
            "2",
            "--step",
            "2",
            "--temporal",
            "delta_mean",
            "--epochs",
            "2",
            "--batch-size",
            "4",
            "--validation-split",
            "0.25",
            "--json",
        ]
    )
    assert code == 0
    return out


def test_train_exports_a_video_model(trained):
    metadata = json.loads((trained / "assets" / "hubmodels_model.json").read_text())
    assert metadata["task"] == "video"
    assert metadata["class_names"] == ["left", "right"]
    assert (metadata["frames"], metadata["frame_step"], metadata["step"]) == (4, 2, 2)
    assert metadata["image_size"] == [32, 32] and metadata["value_range"] == [0.0, 1.0]


def test_predict_reads_video_files(trained, video_folder, capsys):
    videos = sorted(video_folder.glob("*/*.mp4"))[:2]
    capsys.readouterr()
    code = cli.main(["predict", "--model", str(trained), *map(str, videos), "--json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["video"] for row in rows] == [str(v) for v in videos]
    for row in rows:
        assert {k["label"] for k in row["top_k"]} == {"left", "right"}
        assert sum(k["score"] for k in row["top_k"]) == pytest.approx(1.0, abs=1e-4)


def test_watch_prints_predictions_then_fps_and_drops(trained, video_folder, capsys):
    video = sorted(video_folder.glob("left/*.mp4"))[0]  # 12 frames
    capsys.readouterr()
    assert cli.main(["watch", str(video), "--model", str(trained), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    predictions, summary = lines[:-1], lines[-1]["summary"]
    # window span (4 - 1) * 2 + 1 = 7 frames: windows end at frames 6, 8, 10 (step 2)
    assert summary["frames"] == 12 and summary["windows"] == 3
    assert summary["predictions"] + summary["dropped"] == 3 == len(predictions) + summary["dropped"]
    assert predictions[-1]["frame"] == 10 and predictions[-1]["label"] in ("left", "right")
    assert summary["fps"] > 0 and predictions[-1]["latency_ms"] > 0
    assert cli.main(["watch", str(video), "--model", str(trained), "--step", "1"]) == 0
    text = capsys.readouterr().out
    assert "12 frames in" in text and "fps sustained" in text and "stale windows dropped" in text


def test_watch_refuses_a_camera_that_cannot_be_opened(trained, tmp_path, capsys):
    assert cli.main(["watch", "97", "--model", str(trained)]) == 1
    assert "hubmodels: error: camera 97 cannot be opened" in capsys.readouterr().err
    assert cli.main(["watch", str(tmp_path / "none.mp4"), "--model", str(trained)]) == 1
    assert "does not exist" in capsys.readouterr().err
