"""hubmodels.fit: real training on a tiny module; caching, learning-rate groups, resumption."""

import numpy as np
import pytest

import hubmodels
from hubmodels._keras import keras, tf
from hubmodels.errors import InputError


def _dataset(n=24, batch=8, multi_label=False, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.uniform(0, 0.3, (n, 32, 32, 3)).astype("float32")
    images[labels == 1, :, :, 0] += 0.6
    if multi_label:
        labels = np.stack([labels, 1 - labels, labels], axis=1).astype("float32")
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch)


def _weights(model):
    return {w.name: w.numpy().copy() for w in model.weights}


def _changed(before, after):
    return sorted(n for n in before if not np.allclose(before[n], after[n]))


def test_frozen_module_trains_on_cached_features_to_the_same_model(tiny_image_module, capsys):
    keras.utils.set_random_seed(1)
    cached = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, dropout=0.0)
    keras.utils.set_random_seed(1)
    direct = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, dropout=0.0)
    history = hubmodels.fit(
        cached, _dataset(), _dataset(seed=1), epochs=3, shuffle_cache=False, verbose=1
    )
    assert "Caching module features" in capsys.readouterr().out
    hubmodels.fit(direct, _dataset(), epochs=3, cache_features=False, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "val_accuracy" in history.history
    for a, b in zip(cached.get_layer("head").weights, direct.get_layer("head").weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


def test_multi_label_metrics_include_f1(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 3, multi_label=True)
    history = hubmodels.fit(model, _dataset(multi_label=True), epochs=1, verbose=0)
    assert {"f1_micro", "f1_macro", "accuracy"} <= set(history.history)


def test_module_learning_rate_is_its_own_group(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, unfreeze=True)
    before = _weights(model)
    hubmodels.fit(
        model, _dataset(), epochs=1, learning_rate=0.01, module_learning_rate=0.0, verbose=0
    )
    changed = _changed(before, _weights(model))
    assert changed == ["head_probs/bias:0", "head_probs/kernel:0"]


def test_gradual_unfreezing_opens_one_block_per_epoch(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, unfreeze=2)
    before = _weights(model)
    hubmodels.fit(model, _dataset(), epochs=2, learning_rate=0.01, gradual_unfreeze=True, verbose=0)
    changed = _changed(before, _weights(model))
    assert "tiny/block2/conv/kernel:0" in changed
    assert "tiny/block1/conv/kernel:0" not in changed
    hubmodels.fit(model, _dataset(), epochs=3, gradual_unfreeze=True, verbose=0)
    assert "tiny/block1/conv/kernel:0" in _changed(before, _weights(model))


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise RuntimeError("power cut")


def test_interrupted_fit_resumes_where_it_stopped(tiny_image_module, tmp_path):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, unfreeze=1)
    with pytest.raises(RuntimeError, match="power cut"):
        hubmodels.fit(
            model,
            _dataset(),
            epochs=4,
            checkpoint_dir=tmp_path / "ckpt",
            callbacks=[_Interrupt()],
            verbose=0,
        )
    history = hubmodels.fit(
        model, _dataset(), epochs=4, checkpoint_dir=tmp_path / "ckpt", verbose=0
    )
    assert history.epoch == [2, 3]


def test_empty_dataset_and_wrong_input(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2)
    empty = _dataset().take(0)
    with pytest.raises(InputError, match="dataset is empty"):
        hubmodels.fit(model, empty, epochs=1, verbose=0)
    with pytest.raises(InputError, match="tf.data.Dataset"):
        hubmodels.fit(model, np.zeros((2, 32, 32, 3)), epochs=1, verbose=0)
