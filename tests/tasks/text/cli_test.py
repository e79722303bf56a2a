"""hubmodels train --task text / predict on tiny texts, and the text lines predict reads."""

import io
import json

import pytest

from hubmodels import cli
from hubmodels.errors import InputError
from hubmodels.tasks.text.cli import read_lines
from tests.tasks.text.texts import ELMO, NEGATIVE, POSITIVE


@pytest.mark.slow
def test_train_then_predict_from_a_file_and_stdin(tmp_path, capsys, monkeypatch):
    rows = [("pos", t) for t in POSITIVE] + [("neg", t) for t in NEGATIVE]
    data = tmp_path / "texts.csv"
    data.write_text("mood,text\n" + "".join(f'{m},"{t}"\n' for m, t in rows), encoding="utf-8")
    out = tmp_path / "model"
    code = cli.main(
        [
            "train",
            "--task",
            "text",
            "--module",
            ELMO,
            "--data",
            str(data),
            "--out",
            str(out),
            "--label-column",
            "mood",
            "--level",
            "word",
            "--head",
            "dense",
            "--epochs",
            "2",
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["classes"] == ["neg", "pos"] and summary["train_texts"] == 13
    lines = tmp_path / "lines.txt"
    lines.write_text("what a lovely day\nawful\n", encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO("third text\n"))
    assert cli.main(["predict", "--model", str(out), str(lines), "-", "--json", "--top", "1"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [row["text"] for row in found] == ["what a lovely day", "awful", "third text"]
    assert all(row["top_k"][0]["label"] in ("neg", "pos") for row in found)


def test_read_lines_names_a_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nothing.txt does not exist.*one text per line"):
        read_lines([str(tmp_path / "nothing.txt")])
