"""load_litert: batches, shapes, files without hubmodels metadata, LiteRT missing."""

import logging
import sys

import numpy as np
import pytest

from hubmodels.errors import InputError, ModuleFormatError
from hubmodels.litert import MissingRuntimeError, load_litert
from tests.litert.conftest import plain_tflite


def test_batches_give_the_same_outputs(digits_tflite, digits):
    predictor = load_litert(digits_tflite, threads=1)
    images = digits[2][:20]
    whole = predictor.predict(images, batch_size=32)
    np.testing.assert_allclose(predictor.predict(images, batch_size=7), whole, rtol=1e-5)
    assert predictor.predict(images[:1]).shape == (1, 10)


def test_predict_top_k_names_classes_best_first(digits_model, digits_tflite, digits):
    images = digits[2][:5]
    top = load_litert(digits_tflite).predict_top_k(images, k=3)
    expected = np.argsort(-digits_model.predict(images, verbose=0), axis=1)[:, :3]
    assert [[label for label, _ in row] for row in top] == [
        [f"digit_{i}" for i in row] for row in expected
    ]
    assert all(row[0][1] >= row[1][1] >= row[2][1] for row in top)


def test_wrong_input_shape_is_named(digits_tflite):
    shapes = r"'images' of shape \[any, 16, 16, 3\], got \[2, 8, 8, 3\]"
    with pytest.raises(InputError, match=shapes):
        load_litert(digits_tflite).predict(np.zeros((2, 8, 8, 3), np.float32))


def test_file_without_metadata_runs_with_class_n_labels(digits_model, digits, tmp_path, caplog):
    path = tmp_path / "plain.tflite"
    path.write_bytes(plain_tflite(digits_model))
    with caplog.at_level(logging.WARNING, logger="hubmodels"):
        predictor = load_litert(path)
        top = predictor.predict_top_k(digits[2][:4], k=1)
        predictor.predict(digits[2][:4])
    warnings = [r for r in caplog.records if "no hubmodels metadata" in r.getMessage()]
    assert len(warnings) == 1 and str(path) in warnings[0].getMessage()
    assert predictor.task == "image" and predictor.image_size == (16, 16)
    expected = np.argmax(digits_model.predict(digits[2][:4], verbose=0), axis=1)
    assert [row[0][0] for row in top] == [f"class_{i}" for i in expected]


def test_litert_missing_names_the_extra(digits_tflite, monkeypatch):
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # import fails
    with pytest.raises(MissingRuntimeError, match=r"pip install 'hubmodels\[litert\]'"):
        load_litert(digits_tflite)


def test_not_a_tflite_file_is_refused(tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(b"\0" * 64)
    with pytest.raises(ModuleFormatError, match="is not a TFLite/LiteRT model"):
        load_litert(path)
    with pytest.raises(ModuleFormatError, match="no LiteRT model at"):
        load_litert(tmp_path / "absent.tflite")


def test_threads_below_one_are_refused(digits_tflite):
    with pytest.raises(InputError, match="threads=0"):
        load_litert(digits_tflite, threads=0)
