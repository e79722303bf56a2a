"""video_classifier on real SavedModels: tiny clip and frame modules written here, the I3D
stand-in and the real EfficientNet-Lite0 of the zoo."""

import numpy as np
import pytest

import hubmodels
from hubmodels._keras import tf
from hubmodels.errors import InputError
from hubmodels.hub.module import Module
from hubmodels.tasks.video.classifiers import video_classifier
from hubmodels.training.cached import cache_blocker, feature_extractor, features_of
from tests.tasks.video.clip_modules import write_tiny_clip_module
from tests.tasks.video.conftest import moving_squares

I3D = "hubmodels://standin/deepmind/i3d-kinetics-400/1"
EFFICIENTNET = "hubmodels://efficientnet_lite0/feature_vector"


def _dataset(clips, labels, batch_size=4):
    return tf.data.Dataset.from_tensor_slices((clips, labels)).batch(batch_size)


def test_clip_module_gets_a_dense_head_and_trains_on_cached_features(clip_module, capsys):
    model = video_classifier(str(clip_module), 2, class_names=["left", "right"])
    assert tuple(model.inputs[0].shape) == (None, None, 16, 16, 3)
    assert model.task == "video" and model.class_names == ["left", "right"]
    assert cache_blocker(model) is None
    clips, labels = moving_squares(8, 3, 16)
    history = hubmodels.fit(model, _dataset(clips, labels), epochs=2, learning_rate=0.05)
    assert "Caching module features" in capsys.readouterr().out
    assert len(history.history["loss"]) == 2
    probabilities = model.predict(clips, verbose=0)
    assert probabilities.shape == (8, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_fixed_frame_count_is_kept_and_another_is_refused(tmp_path):
    module = write_tiny_clip_module(tmp_path / "fixed", frames=4)
    assert video_classifier(str(module), 2).inputs[0].shape[1] == 4
    assert video_classifier(str(module), 2, frames=4).inputs[0].shape[1] == 4
    with pytest.raises(InputError, match="exactly 4 frames, frames=8 differs"):
        video_classifier(str(module), 2, frames=8)


def test_unfreezing_by_scope_trains_only_that_block_at_its_own_rate(clip_module):
    model = video_classifier(str(clip_module), 2, unfreeze="Mixed_5c", dropout=0.0)
    assert [v.name for v in model.module_variables()] == ["tiny_i3d/Mixed_5c/conv_3d/w:0"]
    assert cache_blocker(model) is not None  # its module trains: no cached features
    weights = {v.name: v.numpy() for v in model.layers[1].weights}
    clips, labels = moving_squares(8, 3, 16)
    hubmodels.fit(
        model, _dataset(clips, labels), epochs=1, learning_rate=1e-3, module_learning_rate=0.1
    )
    changed = {
        name for name, value in weights.items() if not np.allclose(value, _by_name(model, name))
    }
    assert changed == {"tiny_i3d/Mixed_5c/conv_3d/w:0"}
    assert model.module_optimizer is not None
    assert float(model.module_optimizer.learning_rate) == pytest.approx(0.1)


def _by_name(model, name):
    return next(v for v in model.layers[1].weights if v.name == name).numpy()


def test_frame_module_runs_on_every_frame_then_the_mean(frame_module):
    model = video_classifier(str(frame_module), 3, frames=4, dropout=0.0)
    assert tuple(model.inputs[0].shape) == (None, 4, 32, 32, 3)
    clips, _ = moving_squares(2, 4, 32)
    module = Module(str(frame_module))
    per_frame = module(tf.constant(clips.reshape(-1, 32, 32, 3))).numpy().reshape(2, 4, -1)
    dense = model.get_layer("head").get_layer("dense")
    expected = dense(tf.constant(per_frame.mean(axis=1))).numpy()
    np.testing.assert_allclose(model.predict(clips, verbose=0), expected, rtol=1e-4, atol=1e-6)
    reversed_in_time = clips[:, ::-1]
    np.testing.assert_allclose(
        model.predict(reversed_in_time, verbose=0), expected, rtol=1e-4, atol=1e-6
    )


def test_recurrent_temporal_head_sees_the_order_of_frames(frame_module):
    model = video_classifier(str(frame_module), 3, frames=4, temporal="gru")
    clips, _ = moving_squares(2, 4, 32)
    forward = model.predict(clips, verbose=0)
    backward = model.predict(clips[:, ::-1], verbose=0)
    assert not np.allclose(forward, backward, atol=1e-5)
    assert model.get_layer("head").get_layer("temporal_gru").units == 128


def test_frame_features_are_cached_per_clip_and_the_head_takes_them(frame_module):
    model = video_classifier(str(frame_module), 2, frames=4, temporal="lstm", dropout=0.0)
    assert cache_blocker(model) is None
    clips, labels = moving_squares(6, 4, 32)
    features = features_of(feature_extractor(model), _dataset(clips, labels), verbose=0)
    assert features.features.shape == (6, 4, 8) and features.labels.shape == (6,)
    head = model.get_layer("head")
    np.testing.assert_allclose(
        head(tf.constant(features.features)).numpy(),
        model.predict(clips, verbose=0),
        rtol=1e-4,
        atol=1e-6,
    )
    history = hubmodels.fit(model, _dataset(clips, labels), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_clip_module_with_per_frame_outputs_gets_the_temporal_head(tmp_path):
    module = write_tiny_clip_module(tmp_path / "per_frame", pooled=False)
    model = video_classifier(str(module), 2, temporal="gru", frames=3)
    clips, _ = moving_squares(2, 3, 16)
    assert model.predict(clips, verbose=0).shape == (2, 2)


def test_bad_arguments_get_clear_errors(clip_module, frame_module, keras_savedmodel):
    with pytest.raises(InputError, match="temporal='attention': expected one of mean, gru"):
        video_classifier(str(frame_module), 2, temporal="attention")
    with pytest.raises(InputError, match="pooled over time; temporal must then be 'mean'"):
        video_classifier(str(clip_module), 2, temporal="gru")
    with pytest.raises(InputError, match="frames must be a positive integer, got 0"):
        video_classifier(str(frame_module), 2, frames=0)
    with pytest.raises(InputError, match=r"expected clips \[batch, frames, height, width, 3\]"):
        video_classifier(str(keras_savedmodel), 2)
    with pytest.raises(InputError, match="unfreeze pattern 'Mixed_9z' matches no variable"):
        video_classifier(str(clip_module), 2, unfreeze="Mixed_9z")


def test_i3d_standin_fine_tunes_mixed_5b_and_5c():
    model = video_classifier(I3D, 3, unfreeze=["Mixed_5b", "Mixed_5c"], frames=2)
    assert tuple(model.inputs[0].shape) == (None, 2, 224, 224, 3)
    scopes = {v.name.split("/")[2] for v in model.module_variables()}
    assert scopes == {"Mixed_5b", "Mixed_5c"}
    clips = np.random.default_rng(0).uniform(size=(2, 2, 224, 224, 3)).astype(np.float32)
    history = hubmodels.fit(
        model,
        _dataset(clips, np.array([0, 2]), batch_size=2),
        epochs=1,
        module_learning_rate=1e-4,
        verbose=0,
    )
    assert np.isfinite(history.history["loss"][0])


def test_efficientnet_lite0_on_each_frame():
    model = video_classifier(EFFICIENTNET, 2, frames=2, dropout=0.0)
    clips, _ = moving_squares(1, 2, 224)
    module = Module(EFFICIENTNET)
    features = module(tf.constant(clips[0])).numpy()  # [2 frames, 1280]
    dense = model.get_layer("head").get_layer("dense")
    expected = dense(tf.constant(features.mean(axis=0, keepdims=True))).numpy()
    np.testing.assert_allclose(model.predict(clips, verbose=0), expected, rtol=1e-4, atol=1e-6)


def test_delta_temporal_heads_work_on_differences_between_frames(frame_module):
    model = video_classifier(str(frame_module), 3, frames=4, temporal="delta_mean", dropout=0.0)
    clips, _ = moving_squares(2, 4, 32)
    features = Module(str(frame_module))(tf.constant(clips.reshape(-1, 32, 32, 3)))
    features = features.numpy().reshape(2, 4, -1)
    dense = model.get_layer("head").get_layer("dense")
    expected = dense(tf.constant((features[:, -1] - features[:, 0]) / 3)).numpy()  # telescoped
    np.testing.assert_allclose(model.predict(clips, verbose=0), expected, rtol=1e-4, atol=1e-6)
    still = np.repeat(clips[:, :1], 4, axis=1)  # nothing moves: every difference is zero
    bias_only = dense(tf.zeros((2, features.shape[-1]))).numpy()
    np.testing.assert_allclose(model.predict(still, verbose=0), bias_only, rtol=1e-4, atol=1e-6)
    gru = video_classifier(str(frame_module), 3, frames=4, temporal="delta_gru")
    assert gru.get_layer("head").get_layer("frame_differences") is not None
    with pytest.raises(InputError, match="compares frames: it needs frames >= 2"):
        video_classifier(str(frame_module), 3, frames=1, temporal="delta_gru")
