"""`hubmodels tune` and run_search: a real search on tiny data, resumption, distribution."""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import hubmodels
from hubmodels.cli.tune import add_commands as add_tune_command
from hubmodels.data import from_folder
from hubmodels.errors import InputError
from hubmodels.tuning import FeatureVectorHyperModel, run_search

# What `hubmodels tune` runs (hubmodels.cli registers the command from hubmodels/cli/tune.py).
TUNE = """
import argparse, sys
from hubmodels.cli.tune import add_commands as add_tune_command
parser = argparse.ArgumentParser(prog="hubmodels")
add_tune_command(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
args.run(args)
"""


def _tune(argv):
    parser = argparse.ArgumentParser(prog="hubmodels")
    add_tune_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    args.run(args)


def _arguments(modules, data, out, trials):
    argv = ["tune", "--data", str(data), "--out", str(out), "--trials", str(trials)]
    for module in modules:
        argv += ["--module", str(module)]
    options = "--epochs 2 --batch-size 8 --validation-split 0.25 --augmentation none"
    return argv + options.split() + ["--learning-rate", "0.01", "0.1"]


def _trials(out) -> dict:
    """{trial id: trial.json as a dict} of the keras-tuner project in `out`."""
    files = sorted((out / "search").glob("trial_*/trial.json"))
    return {f.parent.name: json.loads(f.read_text()) for f in files}


def _validation_accuracy(model, image_folder) -> float:
    data = from_folder(image_folder, (32, 32), batch_size=8, validation_split=0.25, seed=0)
    predicted, labels = [], []
    for images, batch_labels in data.validation:
        predicted.append(np.argmax(model.predict(images, verbose=0), axis=-1))
        labels.append(batch_labels.numpy())
    return float(np.mean(np.concatenate(predicted) == np.concatenate(labels)))


def test_tune_searches_records_every_trial_and_exports_the_best(
    tiny_image_module, second_tiny_module, image_folder, tmp_path, capsys
):
    out = tmp_path / "run"
    argv = _arguments([tiny_image_module, second_tiny_module], image_folder, out, 3)
    _tune(argv + ["--unfreeze", "0", "1"])
    printed = capsys.readouterr().out
    trials = _trials(out)
    assert len(trials) == 3 and {t["status"] for t in trials.values()} == {"COMPLETED"}
    table = printed[printed.index("TRIAL  STATUS") :].splitlines()
    assert len([line for line in table if "COMPLETED" in line]) == 3
    best = max(trials.values(), key=lambda t: t["score"])
    assert f"Best model (trial {best['trial_id']}) exported to {out / 'best_model'}" in printed
    model = hubmodels.load_model(out / "best_model")
    assert model.class_names == ["dark", "red"]
    assert _validation_accuracy(model, image_folder) == pytest.approx(best["score"], abs=1e-6)


def test_interrupted_search_resumes_without_rerunning_finished_trials(
    tiny_image_module, image_folder, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "run"
    fitted = []
    fit = FeatureVectorHyperModel.fit

    def interrupted_at_the_second_trial(self, hp, model, *args, **kwargs):
        fitted.append(dict(hp.values))
        if len(fitted) == 2:
            raise KeyboardInterrupt
        return fit(self, hp, model, *args, **kwargs)

    monkeypatch.setattr(FeatureVectorHyperModel, "fit", interrupted_at_the_second_trial)
    space = {"unfreeze": 0, "augmentation": "none", "learning_rate": 0.05}
    search = dict(epochs=2, batch_size=8, validation_split=0.25, space=space, verbose=1)
    with pytest.raises(KeyboardInterrupt):
        run_search([str(tiny_image_module)], image_folder, out, 3, **search)
    finished = (out / "search" / "trial_0" / "trial.json").read_text()
    assert json.loads(finished)["status"] == "COMPLETED"

    monkeypatch.setattr(FeatureVectorHyperModel, "fit", fit)
    capsys.readouterr()
    fitted.clear()
    monkeypatch.setattr(
        FeatureVectorHyperModel,
        "fit",
        lambda self, hp, *a, **k: fitted.append(dict(hp.values)) or fit(self, hp, *a, **k),
    )
    result = run_search([str(tiny_image_module)], image_folder, out, 3, **search)
    assert "1 trial(s) finished, kept" in capsys.readouterr().out
    assert len(fitted) == 2  # the interrupted trial again, then the third
    assert (out / "search" / "trial_0" / "trial.json").read_text() == finished
    assert [row["status"] for row in result.rows] == ["COMPLETED"] * 3
    assert hubmodels.load_model(result.best_model).class_names == ["dark", "red"]

    with pytest.raises(InputError, match="holds a search with other settings \\(epochs differ\\)"):
        run_search([str(tiny_image_module)], image_folder, out, 3, **{**search, "epochs": 4})


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--learning-rate", "0.1", "0.01"], "learning_rate=Range.* has low > high"),
        (["--dropout", "0.1", "0.2", "0.3"], "--dropout takes one value or LOW HIGH"),
        (["--unfreeze", "5"], "unfreeze=5 exceeds the 2 blocks"),
    ],
)
def test_a_bad_search_space_fails_before_any_trial(
    tiny_image_module, image_folder, tmp_path, extra, message
):
    out = tmp_path / "run"
    with pytest.raises(InputError, match=message):
        _tune(_arguments([tiny_image_module], image_folder, out, 3) + extra)
    assert not (out / "search").exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_distributed_search_with_a_chief_and_two_workers(tiny_image_module, image_folder, tmp_path):
    out = tmp_path / "run"
    argv = _arguments([tiny_image_module], image_folder, out, 4) + ["--unfreeze", "0"]
    oracle = {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(_free_port())}
    processes, logs = {}, {}
    try:
        for tuner_id in ("chief", "tuner0", "tuner1"):
            logs[tuner_id] = tmp_path / f"{tuner_id}.log"
            with open(logs[tuner_id], "w") as log:
                processes[tuner_id] = subprocess.Popen(
                    [sys.executable, "-c", TUNE, *argv],
                    env={**os.environ, **oracle, "KERASTUNER_TUNER_ID": tuner_id},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        deadline = time.monotonic() + 240
        for process in processes.values():
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    for tuner_id, process in processes.items():
        assert process.returncode == 0, logs[tuner_id].read_text()[-3000:]
    trials = _trials(out)
    assert len(trials) == 4 and {t["status"] for t in trials.values()} == {"COMPLETED"}
    for worker in ("tuner0", "tuner1"):
        assert f"Worker {worker}: the chief has no more trials." in logs[worker].read_text()
    chief = logs["chief"].read_text()
    assert "Best model (trial" in chief
    assert hubmodels.load_model(out / "best_model").class_names == ["dark", "red"]
