"""hubmodels classify / train / predict on real photos and tiny real data."""

import json

import numpy as np
import pytest
from PIL import Image

from hubmodels import cli
from hubmodels.zoo import sources
from hubmodels.zoo.efficientnet_lite import SOURCE


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


def test_bad_image_is_one_line_error(tiny_image_module, tmp_path, capsys):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    code = cli.main(["classify", "--module", str(tiny_image_module), str(bad)])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "image " + str(bad) in err[0] and "not a JPEG" in err[0]


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
