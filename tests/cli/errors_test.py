"""The whole stderr of the command, run as a user runs it (a fresh process): empty on a normal
run, one `hubmodels: error: ...` line for each error a user can cause, and TensorFlow's logs
and the traceback only with -v."""

import io
import shutil

import numpy as np
import pytest
from PIL import Image

from tests.cli.command import run_hubmodels

TRACEBACK = "Traceback (most recent call last):"


@pytest.fixture
def png(tmp_path):
    """A 40x40 PNG file, as bytes written to tmp_path/photo.png."""
    pixels = np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)
    encoded = io.BytesIO()
    Image.fromarray(pixels).save(encoded, "PNG")
    path = tmp_path / "photo.png"
    path.write_bytes(encoded.getvalue())
    return path


@pytest.fixture
def truncated_png(png, tmp_path):
    path = tmp_path / "truncated.png"
    path.write_bytes(png.read_bytes()[:300])
    return path


def test_normal_run_writes_nothing_to_stderr(tiny_image_module, png, tmp_path):
    result = run_hubmodels("classify", "--module", tiny_image_module, png, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith(f"{png}\n")


def test_verbose_shows_tensorflow_logs_and_traceback(tiny_image_module, truncated_png, tmp_path):
    result = run_hubmodels(
        "-v", "classify", "--module", tiny_image_module, truncated_png, home=tmp_path
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == f"hubmodels: error: image {truncated_png} cannot be decoded: " + (
        "corrupt, truncated, or a variant that TensorFlow does not read (such as a 1-bit BMP)"
    )
    before = "\n".join(lines[: lines.index(TRACEBACK)])
    # TensorFlow 2.21 logs while it loads on every machine (CUDA probe, CPU features, devices)
    assert before.strip(), "with -v, TensorFlow's own log lines come first"


def _bad_card_module(tiny_image_module, tmp_path):
    folder = shutil.copytree(tiny_image_module, tmp_path / "bad_card")
    (folder / "hubmodels_card.json").write_text("{not json", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "case",
    ["truncated image", "malformed card", "unknown zoo module", "not images"],
)
def test_user_errors_are_one_line(
    case, tiny_image_module, reusable_savedmodel, png, truncated_png, tmp_path
):
    module, image = tiny_image_module, png
    if case == "truncated image":
        image = truncated_png
        expected = f"image {image} cannot be decoded: corrupt, truncated"
    elif case == "malformed card":
        module = _bad_card_module(tiny_image_module, tmp_path)
        expected = f"module card {module}/hubmodels_card.json is not valid JSON: "
    elif case == "unknown zoo module":
        module = "hubmodels://no/such/module"
        expected = "no zoo module named 'no/such/module'; known modules: "
    else:
        module = reusable_savedmodel
        expected = f"module {module} does not take images: its input is "
    result = run_hubmodels("classify", "--module", module, image, home=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"hubmodels: error: {expected}")
    assert result.stdout == ""


def test_predict_on_a_folder_that_is_no_export(png, tmp_path):
    result = run_hubmodels("predict", "--model", tmp_path, png, home=tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"hubmodels: error: {tmp_path} is not a SavedModel folder " + (
        "(no saved_model.pb)\n"
    )


def test_existing_out_folder(tiny_image_module, tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run_hubmodels(
        "train", "--module", tiny_image_module, "--data", tmp_path, "--out", out, home=tmp_path
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"hubmodels: error: {out} exists; choose another --out or pass --overwrite\n"
    )
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--epochs", "0"], "argument --epochs: expected an integer >= 1, got 0"),
        (["train", "--batch-size", "x"], "argument --batch-size: expected an integer, got 'x'"),
        (
            ["train", "--validation-split", "1"],
            "argument --validation-split: expected a number in [0, 1), got 1",
        ),
        (
            ["train", "--learning-rate", "-0.1"],
            "argument --learning-rate: expected a number > 0, got -0.1",
        ),
        (["predict", "--top", "0"], "argument --top: expected an integer >= 1, got 0"),
        (["classify", "--top", "-1"], "argument --top: expected an integer >= 1, got -1"),
        (["tune", "--trials", "0"], "argument --trials: expected an integer >= 1, got 0"),
    ],
)
def test_bad_argument_values_are_usage_errors(args, message, tmp_path):
    command, *options = args
    required = {
        "train": ["--module", "m", "--data", "d", "--out", "o"],
        "predict": ["--model", "m", "x.png"],
        "classify": ["--module", "m", "x.png"],
        "tune": ["--module", "m", "--data", "d", "--out", "o"],
    }[command]
    result = run_hubmodels(command, *required, *options, home=tmp_path)
    assert result.returncode == 2
    *usage, last = result.stderr.splitlines()
    assert last == f"hubmodels {command}: error: {message}"
    assert usage[0].startswith(f"usage: hubmodels {command} ")
    assert all(line.startswith(" ") for line in usage[1:])
    assert TRACEBACK not in result.stderr
