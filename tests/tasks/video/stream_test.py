"""VideoStream: the sliding window, the worker thread, and stale windows dropped."""

import time

import numpy as np
import pytest

from hubmodels._keras import keras, tf
from hubmodels.data.video import clip_from_frames
from hubmodels.errors import InputError
from hubmodels.tasks.task_model import TaskModel
from hubmodels.tasks.video.classifiers import video_classifier
from hubmodels.tasks.video.stream import VideoStream


def _frames(count, seed=0):
    """uint8 frames [count, 40, 50, 3] RGB (not the model's size: the stream crops)."""
    return np.random.default_rng(seed).integers(0, 256, (count, 40, 50, 3), dtype=np.uint8)


def test_every_window_is_classified_when_stale_ones_are_kept(clip_module):
    model = video_classifier(str(clip_module), 3, frames=3, class_names=["a", "b", "c"])
    frames = _frames(13)
    stream = VideoStream(model, step=2, frame_step=2, drop_stale=False)
    for frame in frames:
        stream.step(frame)
    stats = stream.close()
    assert [p.frame for p in stream.predictions] == [4, 6, 8, 10, 12]
    assert stats["frames"] == 13 and stats["windows"] == 5 and stats["dropped"] == 0
    clips = np.stack(
        [clip_from_frames(frames[end - 4 : end + 1 : 2], (16, 16)) for end in range(4, 13, 2)]
    )
    expected = model.predict(clips, verbose=0)
    np.testing.assert_allclose(
        [p.probabilities for p in stream.predictions], expected, rtol=1e-5, atol=1e-6
    )
    assert [p.label for p in stream.predictions] == ["abc"[i] for i in expected.argmax(axis=1)]
    assert all(p.latency >= p.compute > 0 for p in stream.predictions)


class _Slow(keras.layers.Layer):
    """clips -> their mean over frames and pixels [batch, 3], 0.2 s late (a slow model)."""

    def call(self, clips):
        def wait(x):
            time.sleep(0.2)
            return x

        waited = tf.numpy_function(wait, [clips], tf.float32)
        waited.set_shape(clips.shape)
        return tf.reduce_mean(waited, axis=[1, 2, 3])


def test_stale_windows_are_dropped_and_counted():
    inputs = keras.Input((2, 8, 8, 3))
    outputs = keras.layers.Dense(2, activation="softmax", name="head")(_Slow()(inputs))
    model = TaskModel(inputs, outputs, task="video")
    with VideoStream(model, step=1) as stream:
        for frame in _frames(12):
            stream.step(frame)
    stats = stream.stats()
    assert stats["windows"] == 11  # a window at every frame from the second
    assert stats["dropped"] > 0
    assert stats["predictions"] + stats["dropped"] == stats["windows"]
    assert stats["predictions"] == len(stream.predictions) >= 1
    assert stream.predictions[-1].frame == 11
    assert stats["latency_ms"]["median"] >= 200


def test_bad_models_and_frames_get_clear_errors(clip_module, keras_savedmodel):
    image_model = keras.models.load_model(str(keras_savedmodel))
    with pytest.raises(InputError, match="VideoStream needs a video model"):
        VideoStream(image_model)
    any_length = video_classifier(str(clip_module), 2)
    with pytest.raises(InputError, match="any length: give frames"):
        VideoStream(any_length)
    with pytest.raises(InputError, match="takes clips of exactly 3 frames, frames=5 differs"):
        VideoStream(video_classifier(str(clip_module), 2, frames=3), frames=5)
    stream = VideoStream(any_length, frames=2)
    with pytest.raises(InputError, match=r"a frame is uint8 \[height, width, 3\] RGB"):
        stream.step(np.zeros((4, 4), np.uint8))
    stream.close()


class _BreaksAfterWarmUp(keras.layers.Layer):
    """clips -> mean [batch, 3]; fails on every call after the first (the stream's warm-up)."""

    calls = 0

    def call(self, clips):
        def check(x):
            _BreaksAfterWarmUp.calls += 1
            if _BreaksAfterWarmUp.calls > 1:
                raise ValueError("model broken")
            return x

        checked = tf.numpy_function(check, [clips], tf.float32)
        checked.set_shape(clips.shape)
        return tf.reduce_mean(checked, axis=[1, 2, 3])


def test_a_failing_model_fails_the_caller_instead_of_hanging():
    inputs = keras.Input((2, 8, 8, 3))
    outputs = keras.layers.Dense(2, activation="softmax", name="head")(_BreaksAfterWarmUp()(inputs))
    stream = VideoStream(TaskModel(inputs, outputs, task="video"), step=1, drop_stale=False)
    with pytest.raises(tf.errors.OpError, match="model broken"):
        for frame in _frames(20):
            stream.step(frame)
        stream.close()
    assert not stream._worker.is_alive()


def test_frame_models_compute_each_frame_once_with_the_same_predictions(frame_module, tmp_path):
    import hubmodels

    model = video_classifier(str(frame_module), 2, frames=3, temporal="delta_mean")
    reloaded = hubmodels.load_model(hubmodels.save_model(model, tmp_path / "m", frame_step=2))
    frames = _frames(11, seed=4)
    stream = VideoStream(reloaded, step=2, drop_stale=False)
    assert stream.reuses_frames and stream.frame_step == 2
    for frame in frames:
        stream.step(frame)
    stream.close()
    ends = [p.frame for p in stream.predictions]
    assert ends == [4, 6, 8, 10]
    clips = np.stack([clip_from_frames(frames[end - 4 : end + 1 : 2], (32, 32)) for end in ends])
    np.testing.assert_allclose(
        [p.probabilities for p in stream.predictions],
        model.predict(clips, verbose=0),
        rtol=1e-4,
        atol=1e-6,
    )
    assert sorted(stream._cache) == [6, 8, 10]  # the last window's frames only
