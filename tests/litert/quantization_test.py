"""float16, dynamic and int8 conversions of the digits classifier: agreement on held-out digits."""

import numpy as np
import pytest

from hubmodels._keras import tf
from hubmodels.errors import InputError
from hubmodels.litert import export_litert, load_litert
from hubmodels.litert.quantization import samples


@pytest.mark.parametrize("mode", ["float16", "dynamic", "int8"])
def test_quantized_top1_agrees_on_held_out_digits(mode, digits_model, digits, tmp_path):
    train, _, held_out, _ = digits
    data = tf.data.Dataset.from_tensor_slices(train).batch(16) if mode == "int8" else None
    path = export_litert(digits_model, tmp_path / f"{mode}.tflite", mode, representative_data=data)
    predictor = load_litert(path)
    assert predictor.quantization == mode
    expected = np.argmax(digits_model.predict(held_out, verbose=0), axis=1)
    agreement = np.mean(np.argmax(predictor.predict(held_out), axis=1) == expected)
    print(f"{mode}: top-1 agreement {agreement:.4f} on {len(held_out)} held-out digits")
    assert agreement >= (0.97 if mode == "int8" else 0.995)


def test_samples_take_single_inputs_from_any_shape_of_data():
    images = np.arange(5 * 2 * 2 * 3, dtype=np.float32).reshape(5, 2, 2, 3)
    spec = tf.TensorSpec([None, 2, 2, 3], tf.float32)
    labelled = tf.data.Dataset.from_tensor_slices((images, np.arange(5))).batch(2)
    for data in (images, labelled, tf.data.Dataset.from_tensor_slices(images)):
        got = list(samples(data, spec, limit=4))
        assert [x.shape for x in got] == [(1, 2, 2, 3)] * 4
        np.testing.assert_array_equal(np.concatenate(got), images[:4])
    with pytest.raises(InputError, match="gave no samples"):
        list(samples(images[:0], spec))
