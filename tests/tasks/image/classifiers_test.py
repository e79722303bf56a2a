"""Image factories: real training steps, selective unfreezing, labels, top-k."""

import numpy as np
import pytest

import hubmodels
from hubmodels._keras import keras
from hubmodels.errors import InputError


def _data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.uniform(0, 0.3, (n, 32, 32, 3)).astype("float32")
    images[labels == 1, :, :, 0] += 0.6  # class 1 is red: learnable
    return images, labels


def _weights(model):
    return {w.name: w.numpy().copy() for w in model.weights}


def test_selective_unfreezing_changes_exactly_the_chosen_variables(tiny_image_module):
    model = hubmodels.feature_vector_classifier(
        str(tiny_image_module), 2, unfreeze="block2", dropout=0.0
    )
    report = hubmodels.trainable_report(model)
    assert sorted(report["module"]) == ["tiny/block2/bn/gamma", "tiny/block2/conv/kernel"]
    before = _weights(model)
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    images, labels = _data()
    losses = model.fit(images, labels, epochs=8, batch_size=8, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    after = _weights(model)
    changed = sorted(name for name in before if not np.array_equal(before[name], after[name]))
    assert changed == [
        "head_probs/bias:0",
        "head_probs/kernel:0",
        "tiny/block2/bn/gamma:0",
        "tiny/block2/conv/kernel:0",
    ]


def test_frozen_module_and_frozen_batch_norm_statistics(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 2, unfreeze=True)
    before = _weights(model)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(*_data(), epochs=1, batch_size=8, verbose=0)
    after = _weights(model)
    for name in ("tiny/block1/bn/moving_mean:0", "tiny/block2/bn/moving_mean:0"):
        np.testing.assert_array_equal(before[name], after[name])
    assert not np.array_equal(
        before["tiny/block1/conv/kernel:0"], after["tiny/block1/conv/kernel:0"]
    )


def test_last_n_blocks(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 3, unfreeze=1)
    assert all("block2" in n for n in hubmodels.trainable_report(model)["module"])
    with pytest.raises(InputError, match="the module has 2 blocks"):
        hubmodels.feature_vector_classifier(str(tiny_image_module), 3, unfreeze=5)
    with pytest.raises(InputError, match="matches no variable"):
        hubmodels.feature_vector_classifier(str(tiny_image_module), 3, unfreeze="block9")


def test_multi_label_head_is_sigmoid(tiny_image_module):
    model = hubmodels.feature_vector_classifier(str(tiny_image_module), 4, multi_label=True)
    probs = model.predict(_data(2)[0], verbose=0)
    assert probs.shape == (2, 4) and not np.allclose(probs.sum(axis=1), 1.0)


def test_tf1_module_fine_tunes_through_the_adapter(real_fixtures):
    from hubmodels.hub.layer import ModuleLayer

    layer = ModuleLayer(
        str(real_fixtures / "half_plus_two_v1.tar.gz"),
        trainable=True,
        trainable_filter=lambda name: name == "b",
    )
    inputs = keras.Input(shape=(1,))
    model = keras.Model(inputs, layer(inputs))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(np.ones((8, 1)), np.full((8, 1), 5.0), epochs=5, verbose=0)
    assert layer.module.variable_map["a"].numpy() == pytest.approx(0.5)
    assert layer.module.variable_map["b"].numpy() > 3.0


def test_image_classifier_with_user_labels_and_top_k(tiny_image_module, tmp_path):
    (tmp_path / "labels.txt").write_text("\n".join(f"name{i}" for i in range(8)))
    model = hubmodels.image_classifier(str(tiny_image_module), labels=tmp_path / "labels.txt")
    top = hubmodels.predict_top_k(model, _data(2)[0], k=3)
    assert len(top) == 2 and len(top[0]) == 3
    assert all(label.startswith("name") for label, _ in top[0])
    assert top[0][0][1] >= top[0][1][1] >= top[0][2][1]
    with pytest.raises(InputError, match="has 3 labels but the model has 8 outputs"):
        hubmodels.image_classifier(str(tiny_image_module), labels=["a", "b", "c"])


def test_1001_outputs_get_background_first():
    from hubmodels.tasks.labels import fit_to_outputs

    names = fit_to_outputs([f"c{i}" for i in range(1000)], 1001, "test")
    assert names[0] == "background" and names[1] == "c0" and len(names) == 1001


def test_augmentation_runs_only_in_training_and_resizes(tiny_image_module, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path))
    model = hubmodels.feature_vector_classifier(
        str(tiny_image_module), 2, augmentation="crop_color", dropout=0.0
    )
    big = np.random.default_rng(0).uniform(0, 1, (2, 48, 40, 3)).astype("float32")
    augmented = model.get_layer("augmentation")(big, training=True)
    plain = model.get_layer("augmentation")(big, training=False)
    assert augmented.shape == plain.shape == (2, 32, 32, 3)
    np.testing.assert_allclose(plain, keras.layers.Resizing(32, 32)(big), atol=1e-5)
    assert not np.allclose(augmented, plain)
    np.testing.assert_allclose(model(big, training=False), model(big, training=False))
    history = hubmodels.fit(model, _dataset_of(big), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def _dataset_of(images):
    from hubmodels._keras import tf

    return tf.data.Dataset.from_tensor_slices((images, np.array([0, 1]))).batch(2)
