"""The image quickstart: real EfficientNet-Lite0 fine-tuned on real faces, beside from-scratch
baselines on the same split, then exported and served."""

import re

import pytest

from hubmodels.errors import InputError
from hubmodels.tasks.image import quickstart
from hubmodels.zoo import efficientnet_lite, sources


def test_bad_settings_fail_before_any_work(tmp_path):
    with pytest.raises(InputError, match="--examples must be between 10 and 180"):
        quickstart.run(count=4, workdir=tmp_path)
    with pytest.raises(InputError, match="epochs and splits must be positive integers"):
        quickstart.run(count=10, splits=0, workdir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_table_has_one_column_per_split_and_the_means():
    text = quickstart.table({"a": [(0.5, 1.0), (1.0, 3.0)], "longer name": [(0.25, 0.5)] * 2})
    header, first, second = text.splitlines()
    assert header.split() == ["method", "split", "1", "split", "2", "mean", "training", "time"]
    assert first.split() == ["a", "50.0%", "100.0%", "75.0%", "2.0", "s"]
    assert second.split() == ["longer", "name", "25.0%", "25.0%", "25.0%", "0.5", "s"]


@pytest.mark.slow
def test_quickstart_prints_and_returns_the_pretrained_model_beside_the_baselines(tmp_path, capsys):
    if not sources.is_available(efficientnet_lite.SOURCE):
        pytest.skip(sources.missing_message(efficientnet_lite.SOURCE, "efficientnet_lite0"))
    result = quickstart.run(count=10, epochs=1, splits=1, workdir=tmp_path)
    out = capsys.readouterr().out

    assert (result["num_train"], result["num_held_out"]) == (10, 190)
    assert list(result["methods"]) == [*quickstart.SCRATCH, quickstart.PRETRAINED]
    for method, numbers in result["methods"].items():
        assert len(numbers["accuracies"]) == 1
        assert 0.0 <= numbers["accuracy"] <= 1.0 and numbers["seconds"] > 0
        row = next(line for line in out.splitlines() if line.strip().startswith(method))
        printed = [float(p) / 100 for p in re.findall(r"(\d+\.\d)%", row)]
        assert printed == pytest.approx([numbers["accuracy"]] * 2, abs=0.0006)
    assert result["accuracy"] == result["methods"][quickstart.PRETRAINED]["accuracy"]
    assert result["baseline_accuracy"] == max(
        result["methods"][method]["accuracy"] for method in quickstart.SCRATCH
    )
    assert result["reload_identical"] is True
    assert "serving_default on raw PNG bytes: not_face/" in out
