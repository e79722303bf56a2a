"""The feature cache of frozen trials, and the one cached-feature fit (training.cached) on it."""

import numpy as np
import pytest

import hubmodels
from hubmodels._keras import keras
from hubmodels.training.cached import feature_extractor, features_of, fit_on_features
from hubmodels.training.compile import compile_for_task
from hubmodels.tuning import FeatureCache
from hubmodels.tuning.features import module_key
from tests.tiny_images import datasets


def _model(handle):
    model = hubmodels.feature_vector_classifier(str(handle), 2, dropout=0.0)
    compile_for_task(model, learning_rate=0.05)
    return model


def test_named_features_are_shared_through_the_folder(tiny_image_module, tmp_path):
    model = _model(tiny_image_module)
    extractor = feature_extractor(model)
    train, _ = datasets()
    runs = []

    def extract(dataset):
        runs.append(dataset)
        return features_of(extractor, dataset, verbose=0)

    first = FeatureCache(tmp_path)
    first.name(train, "tiny/train")
    computed = first.get(module_key(model), train, extract)
    assert first.get(module_key(model), train, extract) is computed and len(runs) == 1
    second = FeatureCache(tmp_path)  # e.g. a resumed search, or another worker
    same_data, _ = datasets()  # another dataset object with the same content
    second.name(same_data, "tiny/train")
    next_trial = _model(tiny_image_module)  # each trial builds its own model
    loaded = second.get(module_key(next_trial), same_data, extract)
    assert len(runs) == 1 and second.extractions == 0 and loaded.batch_size == 8
    np.testing.assert_array_equal(loaded.features, computed.features)
    np.testing.assert_array_equal(loaded.labels, computed.labels)
    second.get(module_key(next_trial), train, extract)  # unnamed here: computed again
    assert len(runs) == 2 and second.extractions == 1


class _StopWhole(keras.callbacks.Callback):
    """Stops the model it is given after the first epoch, and remembers that model."""

    def on_epoch_end(self, epoch, logs=None):
        type(self).seen = self.model
        self.model.stop_training = True


def test_callbacks_see_and_stop_the_whole_model(tiny_image_module, tmp_path):
    model = _model(tiny_image_module)
    extractor = feature_extractor(model)
    train, validation = datasets()
    cache = FeatureCache()
    key = module_key(model)

    def extract(dataset):
        return features_of(extractor, dataset, verbose=0)

    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "whole"), save_weights_only=True)
    history = fit_on_features(
        model,
        cache.get(key, train, extract),
        cache.get(key, validation, extract),
        callbacks=[_StopWhole(), checkpoint],
        epochs=5,
        verbose=0,
    )
    assert history.epoch == [0] and _StopWhole.seen is model
    restored = _model(tiny_image_module)
    restored.load_weights(str(tmp_path / "whole")).expect_partial()
    _, accuracy = restored.evaluate(validation, verbose=0)
    assert accuracy == history.history["val_accuracy"][-1]


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise RuntimeError("power cut")


def test_backup_and_restore_resumes_a_fit_on_cached_features(tiny_image_module, tmp_path):
    extractor = feature_extractor(_model(tiny_image_module))
    train = features_of(extractor, datasets()[0], verbose=0)

    def backup():
        return keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))

    with pytest.raises(RuntimeError, match="power cut"):
        fit_on_features(
            _model(tiny_image_module),
            train,
            callbacks=[backup(), _Interrupt()],
            epochs=4,
            verbose=0,
        )
    history = fit_on_features(
        _model(tiny_image_module), train, callbacks=[backup()], epochs=4, verbose=0
    )
    assert history.epoch == [2, 3]


def test_the_head_trained_on_cached_features_is_the_head_trained_end_to_end(tiny_image_module):
    keras.utils.set_random_seed(3)
    cached = _model(tiny_image_module)
    keras.utils.set_random_seed(3)
    direct = _model(tiny_image_module)
    train, _ = datasets()
    initial = cached.get_layer("head").weights[0].numpy().copy()
    extractor = feature_extractor(cached)
    features = FeatureCache().get(
        module_key(cached), train, lambda data: features_of(extractor, data, verbose=0)
    )
    fit_on_features(cached, features, shuffle=False, epochs=3, verbose=0)
    direct.fit(train, epochs=3, verbose=0)
    for a, b in zip(cached.get_layer("head").weights, direct.get_layer("head").weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    assert not np.allclose(cached.get_layer("head").weights[0].numpy(), initial)
