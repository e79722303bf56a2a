"""classify and predict on LiteRT (a .tflite path or --runtime litert), and export-litert."""

import importlib
import json

import numpy as np
import pytest
from PIL import Image

from hubmodels import cli, save_model
from hubmodels.litert import cli as litert_cli
from hubmodels.litert import load_litert


@pytest.fixture
def with_export_command(monkeypatch):
    """`export-litert` registered, as hubmodels.cli.main will register it."""
    main_module = importlib.import_module("hubmodels.cli.main")
    if litert_cli not in main_module.COMMAND_GROUPS:
        groups = (*main_module.COMMAND_GROUPS, litert_cli)
        monkeypatch.setattr(main_module, "COMMAND_GROUPS", groups)


@pytest.fixture(scope="module")
def digit_files(digits, tmp_path_factory):
    """Eight held-out digits as 16x16 PNG files, and their pixels float32 in [0, 1]."""
    folder = tmp_path_factory.mktemp("digit_files")
    pixels = np.round(digits[2][:8] * 255).astype(np.uint8)
    paths = []
    for i, image in enumerate(pixels):
        paths.append(folder / f"{i}.png")
        Image.fromarray(image).save(paths[-1])
    return paths, pixels.astype(np.float32) / 255


@pytest.fixture(scope="module")
def digits_export(digits_model, tmp_path_factory):
    return save_model(digits_model, tmp_path_factory.mktemp("digits_export") / "export")


def _top_labels(capsys) -> list:
    return [row["top_k"][0]["label"] for row in json.loads(capsys.readouterr().out)]


def test_classify_a_tflite_file(digits_model, digits_tflite, digit_files, capsys):
    paths, pixels = digit_files
    expected = np.argmax(digits_model.predict(pixels, verbose=0), axis=1)
    assert cli.main(["classify", "--module", str(digits_tflite), *map(str, paths), "--json"]) == 0
    assert _top_labels(capsys) == [f"digit_{i}" for i in expected]


def test_classify_refuses_tensorflow_runtime_for_a_tflite_file(digits_tflite, digit_files, capsys):
    args = ["classify", "--module", str(digits_tflite), str(digit_files[0][0])]
    assert cli.main([*args, "--runtime", "tensorflow"]) == 1
    assert "is a LiteRT model: run it with --runtime litert" in capsys.readouterr().err


def test_predict_on_litert_equals_tensorflow(digits_export, digits_tflite, digit_files, capsys):
    paths = list(map(str, digit_files[0]))
    assert cli.main(["predict", "--model", str(digits_export), *paths, "--json"]) == 0
    expected = _top_labels(capsys)
    assert cli.main(["predict", "--model", str(digits_tflite), *paths, "--json"]) == 0
    assert _top_labels(capsys) == expected
    command = ["predict", "--model", str(digits_export), *paths, "--runtime", "litert"]
    assert cli.main([*command, "--threads", "1", "--json"]) == 0
    assert _top_labels(capsys) == expected


def test_export_litert_int8_with_calibration_images(
    digits_export, digit_files, tmp_path, capsys, with_export_command
):
    out = tmp_path / "digits_int8.tflite"
    folder = digit_files[0][0].parent
    command = ["export-litert", "--model", str(digits_export), str(out)]
    assert cli.main([*command, "--quantization", "int8"]) == 1
    assert "needs --calibration-images" in capsys.readouterr().err
    assert cli.main([*command, "--quantization", "int8", "--calibration-images", str(folder)]) == 0
    assert "int8" in capsys.readouterr().out
    predictor = load_litert(out)
    assert predictor.quantization == "int8" and predictor.class_names[0] == "digit_0"
    assert cli.main(command) == 1
    assert "already exists" in capsys.readouterr().err


def test_classify_a_module_with_runtime_litert(tiny_image_module, tmp_path, capsys):
    photo = tmp_path / "photo.png"
    pixels = np.random.default_rng(0).integers(0, 256, (40, 32, 3)).astype(np.uint8)
    Image.fromarray(pixels).save(photo)
    command = ["classify", "--module", str(tiny_image_module), str(photo), "--json"]
    assert cli.main(command) == 0
    expected = json.loads(capsys.readouterr().out)[0]["top_k"]
    assert cli.main([*command, "--runtime", "litert"]) == 0
    got = json.loads(capsys.readouterr().out)[0]["top_k"]
    assert [row["label"] for row in got] == [row["label"] for row in expected]
    np.testing.assert_allclose(
        [row["score"] for row in got], [row["score"] for row in expected], rtol=1e-4, atol=2e-6
    )
