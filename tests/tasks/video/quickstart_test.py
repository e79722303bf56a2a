"""`hubmodels quickstart video` on a few generated gestures and a real MP4 clip."""

import pytest

from hubmodels.tasks.video import quickstart


@pytest.mark.slow  # EfficientNet-Lite0 on 7 x 3 clips of 8 frames at 224, then two streams
def test_quickstart_trains_measures_and_streams(tmp_path, capsys):
    result = quickstart.run(per_class=3, epochs=2, workdir=tmp_path)
    assert set(result["accuracy"]) == set(quickstart.METHODS)
    assert all(0.0 <= a <= 1.0 for a in result["accuracy"].values())
    assert result["num_train"] + result["num_held_out"] == 21
    for stats in result["stream"].values():
        assert stats["frames"] == 120  # every frame of carphone_pristine.mp4
        assert stats["predictions"] + stats["dropped"] == stats["windows"] > 0
        assert stats["fps"] > 0 and stats["latency_ms"]["median"] > 0
    out = capsys.readouterr().out
    assert "GENERATED hand gestures" in out
    assert "I3D stand-in (not Kinetics weights)" in out and "fps sustained" in out
