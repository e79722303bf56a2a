"""hubmodels classify / train / predict on real photos and tiny real data."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from hubmodels import cli
from hubmodels.zoo import sources
from hubmodels.zoo.efficientnet_lite import SOURCE
from tests.cli.command import run_hubmodels


def _write_colour_folder(root, per_class=6):
    rng = np.random.default_rng(0)
    for name, channel in (("blue", 2), ("red", 0)):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 60, (20, 20, 3)).astype("uint8")
            pixels[..., channel] = 200 + i
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


def test_train_then_predict(tiny_image_module, tmp_path, capsys):
    data = _write_colour_folder(tmp_path / "colours")
    out = tmp_path / "model"
    code = cli.main(
        [
            "train",
            "--module",
            str(tiny_image_module),
            "--data",
            str(data),
            "--out",
            str(out),
            "--epochs",
            "3",
            "--batch-size",
            "4",
            "--unfreeze",
            "block2",
            "--learning-rate",
            "0.05",
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["classes"] == ["blue", "red"] and summary["train_images"] == 10
    assert (out / "saved_model.pb").is_file()
    assert not (tmp_path / ".model.training-backup").exists()
    code = cli.main(
        ["predict", "--model", str(out), str(data / "red" / "0.png"), "--top", "2", "--json"]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["label"] for r in rows[0]["top_k"]] in (["red", "blue"], ["blue", "red"])
    assert (
        cli.main(
            ["train", "--module", str(tiny_image_module), "--data", str(data), "--out", str(out)]
        )
        == 1
    )
    assert "exists; choose another --out or pass --overwrite" in capsys.readouterr().err


def _png_bytes(size=24):
    pixels = np.random.default_rng(0).integers(0, 255, (size, size, 3), dtype=np.uint8)
    encoded = io.BytesIO()
    Image.fromarray(pixels).save(encoded, "PNG")
    return encoded.getvalue()


@pytest.mark.parametrize(
    "contents, problem",
    [
        (b"not a jpeg", "not a JPEG, PNG, GIF or BMP file (it starts with b'not a jp')"),
        (None, "missing"),
        (b"", "empty"),
        (_png_bytes()[:200], "cannot be decoded: corrupt, truncated, or a variant"),
    ],
    ids=["not an image", "missing", "empty", "truncated"],
)
def test_bad_image_is_one_line_error(contents, problem, tiny_image_module, tmp_path, capsys):
    bad = tmp_path / "broken.jpg"
    if contents is not None:
        bad.write_bytes(contents)
    code = cli.main(["classify", "--module", str(tiny_image_module), str(bad)])
    assert code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    separator = " " if problem.startswith("cannot") else ": "
    assert captured.err.startswith(f"hubmodels: error: image {bad}{separator}{problem}")


def test_skipped_files_are_one_warning_line_each(tiny_image_module, tmp_path, capsys):
    data = _write_colour_folder(tmp_path / "colours", per_class=3)
    (data / "red" / "truncated.png").write_bytes(_png_bytes()[:200])
    (data / "blue" / "notes.jpg").write_bytes(b"shopping list")
    args = ["train", "--module", str(tiny_image_module), "--data", str(data), "--json"]
    options = ["--out", str(tmp_path / "m"), "--epochs", "1", "--batch-size", "4"]
    assert cli.main([*args, *options, "--skip-errors"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"hubmodels: warning: image folder {data}: skipped 1 image file(s): "
        f"{data}/blue/notes.jpg (not a JPEG, PNG, GIF or BMP file (it starts with b'shopping'))",
        f"hubmodels: warning: skipped image file {data}/red/truncated.png: cannot decode it "
        "(corrupt, truncated, or a variant that TensorFlow does not read (such as a 1-bit BMP))",
    ]


def test_tensorflow_error_in_training_is_one_line(tiny_image_module, tmp_path):
    data = _write_colour_folder(tmp_path / "colours", per_class=3)
    bad = data / "red" / "truncated.png"
    bad.write_bytes(_png_bytes()[:200])
    out = tmp_path / "model"
    options = ["--out", out, "--epochs", "1", "--batch-size", "4"]
    result = run_hubmodels(
        "train", "--module", tiny_image_module, "--data", data, *options, home=tmp_path
    )
    assert result.returncode == 1
    assert result.stderr == (
        "hubmodels: error: TensorFlow failed (InvalidArgumentError): cannot decode image file "
        f"{bad}: corrupt, truncated, or a variant that TensorFlow does not read (such as a 1-bit "
        "BMP) (hubmodels -v shows where)\n"
    )
    assert not out.exists() and not (tmp_path / ".model.training-backup").exists()


@pytest.mark.slow
def test_train_with_augmentation_then_predict_in_new_processes(tiny_image_module, tmp_path):
    """The export of a model with augmentation (input of any size) predicts from files."""
    data = _write_colour_folder(tmp_path / "colours", per_class=3)
    out = tmp_path / "model"
    options = ["--out", out, "--epochs", "1", "--batch-size", "4", "--augment", "crop_color"]
    trained = run_hubmodels(
        "train", "--module", tiny_image_module, "--data", data, *options, "--json", home=tmp_path
    )
    assert trained.returncode == 0, trained.stderr
    assert all(line.startswith("hubmodels: buil") for line in trained.stderr.splitlines())
    assert json.loads(trained.stdout)["classes"] == ["blue", "red"]
    images = [data / "red" / "0.png", data / "blue" / "1.png"]
    predicted = run_hubmodels("predict", "--model", out, *images, "--json", home=tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stderr == ""
    rows = json.loads(predicted.stdout)
    assert [row["image"] for row in rows] == [str(image) for image in images]
    for row in rows:
        assert sorted(k["label"] for k in row["top_k"]) == ["blue", "red"]
        assert sum(k["score"] for k in row["top_k"]) == pytest.approx(1, abs=1e-5)


def test_multi_label_needs_a_csv(tiny_image_module, tmp_path, capsys):
    data = _write_colour_folder(tmp_path / "colours", per_class=2)
    assert (
        cli.main(
            [
                "train",
                "--module",
                str(tiny_image_module),
                "--data",
                str(data),
                "--out",
                str(tmp_path / "m"),
                "--multi-label",
            ]
        )
        == 1
    )
    assert "--multi-label needs a CSV" in capsys.readouterr().err


@pytest.mark.slow
def test_classify_real_photo_with_efficientnet(tmp_path, capsys):
    if not sources.is_available(SOURCE):
        pytest.skip(sources.missing_message(SOURCE, "efficientnet_lite0/classification"))
    from skimage import data

    photo = tmp_path / "chelsea.png"
    Image.fromarray(data.chelsea()).save(photo)
    assert (
        cli.main(
            [
                "classify",
                "--module",
                "hubmodels://efficientnet_lite0/classification",
                str(photo),
                "--json",
            ]
        )
        == 0
    )
    top = json.loads(capsys.readouterr().out)[0]["top_k"]
    assert top[0]["label"] in ("Egyptian cat", "tabby", "tiger cat")
    assert len(top) == 5
