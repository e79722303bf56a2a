"""The real EfficientNet-Lite0 classifier on LiteRT, on real photos (slow: one conversion per
mode, shared by the tests of this file)."""

import numpy as np
import pytest

from hubmodels.litert import export_litert, load_litert
from hubmodels.zoo import sources
from hubmodels.zoo.efficientnet_lite import SOURCE
from tests.litert import photos

HANDLE = "hubmodels://efficientnet_lite0/classification"
PER_PHOTO = 8  # crops per held-out photo, the first its centre square
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def efficientnet(tmp_path_factory):
    """(classifier, held-out photos, their Keras probabilities, {mode: predictor})."""
    if not sources.is_available(SOURCE):
        pytest.skip(sources.missing_message(SOURCE, "efficientnet_lite0/classification"))
    import hubmodels

    model = hubmodels.image_classifier(HANDLE)
    held_out = photos.crops(photos.HELD_OUT, PER_PHOTO, seed=0)
    calibration = photos.crops(photos.CALIBRATION, 8, seed=1)
    folder = tmp_path_factory.mktemp("efficientnet_litert")
    predictors = {}
    for mode in ("float32", "float16", "dynamic", "int8"):
        path = export_litert(
            model,
            folder / f"{mode}.tflite",
            quantization=mode,
            representative_data=calibration if mode == "int8" else None,
        )
        predictors[mode] = load_litert(path, threads=2)
    return model, held_out, model.predict(held_out, batch_size=8, verbose=0), predictors


def test_float32_within_1e4_relative_of_the_savedmodel(efficientnet):
    _, held_out, expected, predictors = efficientnet
    got = predictors["float32"].predict(held_out)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    assert predictors["float32"].class_names[285] == "Egyptian cat"


@pytest.mark.parametrize("mode", ["float16", "dynamic"])
def test_weight_quantized_top1_identical_on_photos(efficientnet, mode):
    """Identical on each photo (its centre square) and on every crop whose top-1 leads by
    0.1 or more; crops with a closer race may flip (reported)."""
    _, held_out, expected, predictors = efficientnet
    got = np.argmax(predictors[mode].predict(held_out), axis=1)
    top1 = np.argmax(expected, axis=1)
    print(f"{mode}: top-1 agreement {np.mean(got == top1):.3f} on {len(held_out)} photo crops")
    ranked = np.sort(expected, axis=1)
    clear = (ranked[:, -1] - ranked[:, -2] >= 0.1) | (np.arange(len(held_out)) % PER_PHOTO == 0)
    assert clear.sum() >= len(held_out) // 2
    np.testing.assert_array_equal(got[clear], top1[clear])


def test_int8_top1_agreement_on_held_out_photos(efficientnet):
    _, held_out, expected, predictors = efficientnet
    got = predictors["int8"].predict(held_out)
    agreement = np.mean(np.argmax(got, axis=1) == np.argmax(expected, axis=1))
    print(f"int8: top-1 agreement {agreement:.3f} on {len(held_out)} held-out photo crops")
    assert agreement >= 0.8
    top = predictors["int8"].predict_top_k(held_out[:1], k=3)[0]
    assert top[0][0] in ("Egyptian cat", "tabby", "tiger cat")
