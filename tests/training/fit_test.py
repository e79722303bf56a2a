"""hubmodels.fit: real training on tiny TF2 and TF1 modules; caching, learning-rate groups,
gradual unfreezing, resumption, clear errors."""

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


HEAD = ["head_probs/bias:0", "head_probs/kernel:0"]


def test_frozen_module_trains_on_cached_features_to_the_same_model(tiny_module, capsys):
    keras.utils.set_random_seed(1)
    cached = hubmodels.feature_vector_classifier(str(tiny_module), 2, dropout=0.0)
    keras.utils.set_random_seed(1)
    direct = hubmodels.feature_vector_classifier(str(tiny_module), 2, dropout=0.0)
    history = hubmodels.fit(
        cached, _dataset(), _dataset(seed=1), epochs=3, shuffle_cache=False, verbose=1
    )
    assert "Caching module features" in capsys.readouterr().out
    hubmodels.fit(direct, _dataset(), epochs=3, cache_features=False, verbose=0)
    assert "Caching module features" not in capsys.readouterr().out
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "val_accuracy" in history.history and cached.history is history
    for a, b in zip(cached.get_layer("head").weights, direct.get_layer("head").weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    # after the cached fit, the model runs on images again
    _, accuracy = cached.evaluate(_dataset(seed=1), verbose=0)
    assert accuracy == pytest.approx(history.history["val_accuracy"][-1])


def test_multi_label_metrics_include_f1(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 3, multi_label=True)
    history = hubmodels.fit(model, _dataset(multi_label=True), epochs=1, verbose=0)
    assert {"f1_micro", "f1_macro", "accuracy"} <= set(history.history)


class _Record(keras.callbacks.Callback):
    """Sets logs["score"] from `scores` and keeps the model's weights at each epoch end."""

    def __init__(self, scores):
        super().__init__()
        self.scores = scores
        self.models, self.weights = [], []

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.scores[epoch]
        self.models.append(self.model)
        self.weights.append(self.model.get_weights())


def test_callbacks_of_a_cached_fit_act_on_the_whole_model(tiny_image_module, tmp_path):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, dropout=0.0)
    record = _Record(scores=[3.0, 1.0, 2.0, 4.0, 5.0])
    stop = keras.callbacks.EarlyStopping("score", patience=2, restore_best_weights=True)
    last = keras.callbacks.ModelCheckpoint(str(tmp_path / "last"), save_weights_only=True)
    history = hubmodels.fit(
        model,
        _dataset(),
        _dataset(seed=1),
        epochs=5,
        learning_rate=0.05,
        callbacks=[record, last, stop],  # `last` saves before `stop` restores
        verbose=0,
    )
    assert history.epoch == [0, 1, 2, 3] and all(m is model for m in record.models)
    for restored, best in zip(model.get_weights(), record.weights[1]):  # best: epoch 1
        np.testing.assert_array_equal(restored, best)
    saved = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, dropout=0.0)
    saved.load_weights(str(tmp_path / "last"))
    for a, b in zip(saved.get_weights(), record.weights[3]):  # the whole model of epoch 3
        np.testing.assert_array_equal(a, b)


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise RuntimeError("power cut")


@pytest.mark.parametrize("unfreeze", [None, 1], ids=["cached", "fine-tuned"])
def test_interrupted_fit_resumes_where_it_stopped(tiny_image_module, tmp_path, unfreeze):
    def run(callbacks=(), checkpoint_dir=None):
        keras.utils.set_random_seed(2)
        model = hubmodels.feature_vector_classifier(
            str(tiny_image_module), 2, unfreeze=unfreeze, dropout=0.0
        )
        options = dict(epochs=4, shuffle_cache=False, checkpoint_dir=checkpoint_dir, verbose=0)
        return model, hubmodels.fit(model, _dataset(), callbacks=callbacks, **options)

    with pytest.raises(RuntimeError, match="power cut"):
        run([_Interrupt()], tmp_path / "ckpt")
    resumed, history = run(checkpoint_dir=tmp_path / "ckpt")  # a new process would do this
    assert history.epoch == [2, 3]
    uninterrupted, _ = run()
    for a, b in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_module_learning_rate_is_its_own_group(tiny_module):
    model = hubmodels.feature_vector_classifier(str(tiny_module), 2, unfreeze=True)
    before = _weights(model)
    hubmodels.fit(
        model, _dataset(), epochs=1, learning_rate=0.01, module_learning_rate=0.0, verbose=0
    )
    assert _changed(before, _weights(model)) == HEAD
    hubmodels.fit(model, _dataset(), epochs=1, module_learning_rate=0.01, verbose=0)
    assert "tiny/block1/conv/kernel:0" in _changed(before, _weights(model))


def test_gradual_unfreezing_opens_one_block_per_epoch(tiny_module):
    model = hubmodels.feature_vector_classifier(str(tiny_module), 2, unfreeze=2)
    before = _weights(model)
    hubmodels.fit(model, _dataset(), epochs=2, learning_rate=0.01, gradual_unfreeze=True, verbose=0)
    changed = _changed(before, _weights(model))
    assert "tiny/block2/conv/kernel:0" in changed
    assert "tiny/block1/conv/kernel:0" not in changed
    hubmodels.fit(model, _dataset(), epochs=3, gradual_unfreeze=True, verbose=0)
    assert "tiny/block1/conv/kernel:0" in _changed(before, _weights(model))


def test_gradual_unfreezing_after_a_plain_fit_trains_only_open_blocks(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, unfreeze=2)
    hubmodels.fit(model, _dataset(), epochs=1, learning_rate=0.0, verbose=0)  # traces the step
    before = _weights(model)
    hubmodels.fit(model, _dataset(), epochs=1, learning_rate=0.01, gradual_unfreeze=True, verbose=0)
    assert _changed(before, _weights(model)) == HEAD  # epoch 0 trains the head only
    hubmodels.fit(model, _dataset(), epochs=1, verbose=0)  # no longer gated afterwards
    assert "tiny/block1/conv/kernel:0" in _changed(before, _weights(model))


def test_rates_given_to_a_compiled_model_apply(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, unfreeze=True)
    before = _weights(model)
    hubmodels.fit(model, _dataset(), epochs=1, learning_rate=0.0, verbose=0)
    assert _changed(before, _weights(model)) == [] and model.module_optimizer is None
    hubmodels.fit(
        model, _dataset(), epochs=1, learning_rate=0.05, module_learning_rate=0.0, verbose=0
    )
    assert _changed(before, _weights(model)) == HEAD
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)
    hubmodels.fit(model, _dataset(), epochs=1, verbose=0)  # None keeps the rates
    assert float(model.module_optimizer.learning_rate) == 0.0
    assert _changed(before, _weights(model)) == HEAD


def test_repeated_fits_reuse_the_traced_step(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, unfreeze=1)
    options = dict(epochs=1, learning_rate=0.01, module_learning_rate=0.001, verbose=0)
    hubmodels.fit(model, _dataset(), **options)
    traced = model.train_function
    hubmodels.fit(model, _dataset(), **options)
    hubmodels.fit(model, _dataset(), **dict(options, module_learning_rate=0.002))
    assert model.train_function is traced  # tracing again costs seconds on a real module
    assert float(model.module_optimizer.learning_rate) == pytest.approx(0.002)


def test_a_compiled_frozen_model_takes_a_new_learning_rate(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2)
    before = _weights(model)
    hubmodels.fit(model, _dataset(), epochs=1, learning_rate=0.0, verbose=0)
    assert _changed(before, _weights(model)) == []
    hubmodels.fit(model, _dataset(), epochs=1, learning_rate=0.05, verbose=0)
    assert _changed(before, _weights(model)) == HEAD


def test_a_learning_rate_schedule_is_not_overwritten_silently(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)
    model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy")
    hubmodels.fit(model, _dataset(), epochs=1, verbose=0)  # keeps the schedule
    with pytest.raises(InputError, match="learning_rate=0.1: .* schedule"):
        hubmodels.fit(model, _dataset(), epochs=1, learning_rate=0.1, verbose=0)


def test_cache_features_true_caches_or_says_why_not(
    tiny_image_module, tmp_path, monkeypatch, capsys
):
    frozen = hubmodels.feature_vector_classifier(str(tiny_image_module), 2)
    hubmodels.fit(frozen, _dataset(), epochs=1, cache_features=True, verbose=1)
    assert "Caching module features" in capsys.readouterr().out
    unfrozen = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, unfreeze=1)
    with pytest.raises(InputError, match="cache_features=True: .*its module trains"):
        hubmodels.fit(unfrozen, _dataset(), cache_features=True, verbose=0)
    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path))
    augmented = hubmodels.feature_vector_classifier(
        str(tiny_image_module), 2, augmentation="crop_color"
    )
    with pytest.raises(InputError, match="'augmentation' before the module acts randomly"):
        hubmodels.fit(augmented, _dataset(), cache_features=True, verbose=0)
    with pytest.raises(InputError, match='cache_features must be "auto", True or False'):
        hubmodels.fit(frozen, _dataset(), cache_features="yes", verbose=0)


@pytest.mark.parametrize("cache_features", [True, False])
def test_empty_data_is_a_clear_error(tiny_image_module, cache_features):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2)
    options = dict(epochs=1, cache_features=cache_features, verbose=0)
    empty = _dataset().filter(lambda *_: False)  # its size is unknown until it runs
    for train, validation, role in [
        (_dataset().take(0), None, "training"),
        (empty, None, "training"),
        (_dataset(), _dataset().take(0), "validation"),
        (_dataset(), empty, "validation"),
    ]:
        with pytest.raises(InputError, match=f"the {role} dataset is empty"):
            hubmodels.fit(model, train, validation, **options)


def test_wrong_arguments_are_clear_errors(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2)
    with pytest.raises(InputError, match="tf.data.Dataset"):
        hubmodels.fit(model, np.zeros((2, 32, 32, 3)), epochs=1, verbose=0)
    with pytest.raises(InputError, match="module_learning_rate=0.001: .* is frozen"):
        hubmodels.fit(model, _dataset(), module_learning_rate=1e-3, verbose=0)
    with pytest.raises(InputError, match="gradual_unfreeze=True: .* is frozen"):
        hubmodels.fit(model, _dataset(), gradual_unfreeze=True, verbose=0)
    with pytest.raises(InputError, match="learning_rate must be a number >= 0"):
        hubmodels.fit(model, _dataset(), learning_rate=-1.0, verbose=0)
    plain = keras.Model(model.inputs, model.outputs)
    with pytest.raises(InputError, match="hubmodels factories, got Functional"):
        hubmodels.fit(plain, _dataset(), verbose=0)
