"""Text data from CSV files and folders: seeded split, bad rows named or skipped."""

import numpy as np
import pytest

from hubmodels.data.text import split_texts, text_from_csv, text_from_folder
from hubmodels.errors import InputError


def _csv(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "texts.csv"
    path.write_text(text, encoding=encoding)
    return path


ROWS = "label,text\n" + "".join(f"{'pos' if i % 2 else 'neg'},text number {i}\n" for i in range(20))


def test_csv_split_is_seeded_and_batches_hold_strings(tmp_path):
    path = _csv(tmp_path, ROWS)
    data = text_from_csv(path, batch_size=4, validation_split=0.25, seed=3)
    again = text_from_csv(path, batch_size=4, validation_split=0.25, seed=3)
    other = text_from_csv(path, batch_size=4, validation_split=0.25, seed=4)
    assert data.class_names == ["neg", "pos"] and not data.multi_label
    assert (data.num_train, data.num_validation) == (15, 5)
    assert data.validation_texts == again.validation_texts != other.validation_texts
    texts, labels = next(iter(data.validation))
    assert texts.dtype.name == "string" and labels.dtype.name == "int32"
    assert [t.decode() for t in texts.numpy()] == list(data.validation_texts[:4])
    for text, label in zip(data.validation_texts, data.validation_labels):
        assert int(text.split()[-1]) % 2 == label
    first = [t.numpy().tolist() for t, _ in data.train]
    second = [t.numpy().tolist() for t, _ in data.train]
    assert first != second  # reshuffled every epoch
    assert sorted(sum(first, [])) == sorted(t.encode() for t in data.train_texts)


def test_missing_column_lists_the_columns(tmp_path):
    with pytest.raises(InputError, match=r"no column 'sentiment'.*\['label', 'text'\]"):
        text_from_csv(_csv(tmp_path, ROWS), label_column="sentiment")


def test_bad_rows_are_named_or_skipped_and_counted(tmp_path):
    path = _csv(tmp_path, ROWS + "pos\n,empty label\npos,too,many\n")
    with pytest.raises(InputError, match=r"3 bad row.*line 22: 1 cells.*line 23: empty 'label'"):
        text_from_csv(path)
    with pytest.warns(UserWarning, match="skipped 3"):
        data = text_from_csv(path, skip_errors=True, validation_split=0)
    assert len(data.skipped) == 3 and data.num_train == 20
    assert data.skipped[2] == ("line 24", "3 cells, expected 2")


def test_labels_outside_class_names(tmp_path):
    path = _csv(tmp_path, ROWS + "meh,neutral text\n")
    with pytest.raises(InputError, match=r"line 22: label 'meh' is not one of \['pos', 'neg'\]"):
        text_from_csv(path, class_names=["pos", "neg"])
    data = text_from_csv(path, class_names=["pos", "neg", "meh"], validation_split=0)
    assert data.class_names == ["pos", "neg", "meh"] and data.train_labels[-1] == 2


def test_latin1_and_empty_texts_and_multi_label(tmp_path):
    path = _csv(tmp_path, "text,tags\ncaf\xe9,a b\n,b\nplain,\n", encoding="latin-1")
    with pytest.raises(InputError, match='not utf-8-sig text.*encoding="latin-1"'):
        text_from_csv(path, label_column="tags")
    data = text_from_csv(
        path, label_column="tags", label_separator=" ", encoding="latin-1", validation_split=0
    )
    assert data.train_texts == ("caf\xe9", "", "plain") and data.multi_label
    np.testing.assert_array_equal(data.train_labels, [[1, 1], [0, 1], [0, 0]])


def test_folder_of_text_files(tmp_path):
    for name, texts in (("neg", ["bad", "awful"]), ("pos", ["good", "great", "fine"])):
        (tmp_path / name / "sub").mkdir(parents=True)
        for i, text in enumerate(texts):
            (tmp_path / name / "sub" / f"{i}.txt").write_text(text + "\n")
    (tmp_path / "pos" / ".hidden").write_text("ignored")
    data = text_from_folder(tmp_path, validation_split=0)
    assert data.class_names == ["neg", "pos"]
    assert sorted(zip(data.train_texts, data.train_labels.tolist())) == [
        ("awful", 0),
        ("bad", 0),
        ("fine", 1),
        ("good", 1),
        ("great", 1),
    ]
    (tmp_path / "neg" / "broken.txt").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(InputError, match=r"broken.txt: not valid utf-8 text at byte 0"):
        text_from_folder(tmp_path)
    with pytest.warns(UserWarning, match="skipped 1"):
        assert len(text_from_folder(tmp_path, skip_errors=True).skipped) == 1
    with pytest.raises(InputError, match=r"no class subfolder \['cats'\]"):
        text_from_folder(tmp_path, class_names=["cats"])


def test_split_validation_fraction_is_checked():
    with pytest.raises(InputError, match="validation_split must be in"):
        split_texts(["a", "b"], np.array([0, 1]), ["x", "y"], validation_split=1.0)
