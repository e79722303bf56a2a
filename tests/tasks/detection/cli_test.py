"""`hubmodels detect`: pictures and records written, a summary or JSON printed, one-line errors.

Run in this process through hubmodels.cli.main."""

import json

import numpy as np
from PIL import Image

from hubmodels.cli.main import main
from hubmodels.tasks.detection import object_detector


def _write_pngs(folder):
    rng = np.random.default_rng(0)
    paths = []
    for index, size in enumerate([(12, 16), (20, 10)]):
        subfolder = folder / f"set{index}"  # the same file name twice: numbered pictures
        subfolder.mkdir()
        path = subfolder / "photo.png"
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def test_detect_writes_pictures_and_records(tmp_path, capsys, tiny_detector):
    paths = _write_pngs(tmp_path)
    out = tmp_path / "out"
    args = ["detect", *map(str, paths), "--module", str(tiny_detector), "--out", str(out)]
    assert main([*args, "--min-score", "0.3", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert json.loads((out / "detections.json").read_text()) == printed
    assert [entry["picture"] for entry in printed] == [
        str(out / "photo.png"),
        str(out / "photo_2.png"),
    ]
    here = object_detector(tiny_detector, min_score=0.3).detect(
        [np.asarray(Image.open(path)) for path in paths]
    )
    for entry, record, path in zip(printed, here, paths):
        assert entry["image_size"] == list(record.image_size)
        assert [row["score"] for row in entry["detections"]] == [
            round(float(s), 6) for s in record.scores
        ]
        with Image.open(entry["picture"]) as picture, Image.open(path) as original:
            assert picture.size == original.size
            assert np.any(np.asarray(picture) != np.asarray(original))
    assert main(args) == 0  # the text summary
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{paths[0]}: ") and "detections ->" in lines[0]
    assert lines[-1] == f"records: {out / 'detections.json'}"


def test_detect_errors_are_one_line(tmp_path, capsys, tiny_detector, tiny_image_module):
    (png,) = _write_pngs(tmp_path)[:1]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    cases = [
        (["--module", str(tiny_detector), "--min-score", "2"], png, "min_score must be"),
        (["--module", str(tiny_image_module)], png, "is no detector: it returns"),
        (["--module", str(tiny_detector)], broken, "not a JPEG, PNG, GIF or BMP file"),
    ]
    for options, image, message in cases:
        code = main(["detect", str(image), *options, "--out", str(tmp_path / "out")])
        error = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and len(error) == 1 and message in error[0], error
        assert error[0].startswith("hubmodels: error: ")


def test_predict_serves_a_detector_export(tmp_path, capsys, tiny_detector):
    from hubmodels.tasks.detection import save_detector

    paths = _write_pngs(tmp_path)
    export = save_detector(object_detector(tiny_detector, min_score=0.3), tmp_path / "export")
    out = tmp_path / "out"
    detect = ["detect", *map(str, paths), "--module", str(tiny_detector), "--out", str(out)]
    assert main([*detect, "--min-score", "0.3", "--json"]) == 0
    drawn = json.loads(capsys.readouterr().out)
    assert main(["predict", "--model", str(export), *map(str, paths), "--json"]) == 0
    served = json.loads(capsys.readouterr().out)
    assert [entry["image"] for entry in served] == list(map(str, paths))
    for entry, expected in zip(served, drawn):
        assert entry["image_size"] == expected["image_size"]
        assert [row["label"] for row in entry["detections"]] == [
            row["label"] for row in expected["detections"]
        ]
        np.testing.assert_allclose(
            [row["score"] for row in entry["detections"]],
            [row["score"] for row in expected["detections"]],
            atol=1e-5,
        )
    assert main(["predict", "--model", str(export), str(paths[0])]) == 0
    assert capsys.readouterr().out.startswith(f"{paths[0]}: ")
