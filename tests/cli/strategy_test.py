"""`hubmodels train --strategy` and `hubmodels tune --strategy` in this process (one CPU, so one
replica); two devices and two workers: tests/training/distributed_test.py."""

import json

import pytest

import hubmodels
from hubmodels import cli


def test_train_under_mirrored_exports_a_model_that_loads(
    tiny_image_module, image_folder, tmp_path, capsys
):
    out = tmp_path / "model"
    argv = ["train", "--strategy", "mirrored", "--module", str(tiny_image_module), "--json"]
    argv += ["--data", str(image_folder), "--out", str(out), "--epochs", "2", "--unfreeze", "1"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["train_images"] + summary["validation_images"] == 32
    assert "val_accuracy" in summary["final_metrics"]
    assert not (tmp_path / ".model.training-backup").exists()
    assert hubmodels.load_model(out).class_names == ["dark", "red"]


def test_tune_trials_train_under_mirrored(tiny_image_module, image_folder, tmp_path, capsys):
    out = tmp_path / "search"
    argv = ["tune", "--strategy", "mirrored", "--module", str(tiny_image_module)]
    argv += ["--data", str(image_folder), "--out", str(out), "--trials", "2", "--epochs", "1"]
    argv += ["--unfreeze", "0", "1", "--augmentation", "none", "--batch-size", "8"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.count("COMPLETED") == 2 and (out / "best_model" / "saved_model.pb").is_file()


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["train", "--strategy", "multiworker"],
            'hubmodels: error: strategy "multiworker" reads the cluster from the TF_CONFIG',
        ),
        (
            ["tune", "--strategy", "multiworker", "--trials", "1"],
            'hubmodels: error: strategy "multiworker" does not apply to a search',
        ),
    ],
    ids=["train-without-tf-config", "tune"],
)
def test_multiworker_errors_are_one_line(
    argv, message, tiny_image_module, image_folder, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    common = ["--module", str(tiny_image_module), "--data", str(image_folder)]
    assert cli.main([*argv, *common, "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith(message) and "\n" not in error
