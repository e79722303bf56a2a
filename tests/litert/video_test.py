"""Video classifiers on LiteRT: export_litert of clip and frame models (temporal heads
included; frame models' files with their module and head as signatures too), the metadata
round trip, VideoStream on a predictor, and `watch` / `predict` on a .tflite file."""

import json

import numpy as np
import pytest

import hubmodels
from hubmodels import cli, save_model
from hubmodels._keras import keras, tf
from hubmodels.errors import InputError
from hubmodels.litert import (
    ConversionError,
    LiteRTPredictor,
    convert,
    export_litert,
    load_litert,
    metadata,
)
from hubmodels.tasks.task_model import TaskModel
from hubmodels.tasks.video import litert_model
from hubmodels.tasks.video.classifiers import video_classifier
from hubmodels.tasks.video.stream import VideoStream
from tests.cli.command import run_hubmodels
from tests.tasks.video.clip_modules import write_tiny_clip_module
from tests.tasks.video.conftest import CLASSES, moving_squares, write_video


@pytest.fixture(scope="module")
def clip_modules(tmp_path_factory):
    """(pooled, per_frame): clips [batch, any frames, 16, 16, 3] -> features [batch, 6], or
    per frame [batch, frames, 6]."""
    root = tmp_path_factory.mktemp("clip_modules")
    return write_tiny_clip_module(root / "pooled"), write_tiny_clip_module(
        root / "per_frame", pooled=False
    )


def _clips(size, count=3, frames=4, seed=0):
    return np.random.default_rng(seed).random((count, frames, size, size, 3), dtype=np.float32)


def _sharpened(model):
    """`model` with its output layer's kernel scaled up, so that classes are far apart."""
    kernel = model.layers[-1].weights[-2]
    kernel.assign(kernel * 8.0)
    return model


@pytest.fixture(scope="module")
def trained(tiny_image_module, tmp_path_factory):
    """(model, export folder, .tflite file): a frame model (delta_mean, 4 frames of 32x32)
    trained on moving squares, saved with frame_step 2 and step 2, then converted."""
    keras.utils.set_random_seed(0)
    clips, labels = moving_squares(24, 4, 32, seed=2)
    model = video_classifier(
        str(tiny_image_module), 2, frames=4, temporal="delta_mean", class_names=list(CLASSES)
    )
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    model.fit(clips, labels, batch_size=8, epochs=6, verbose=0)
    root = tmp_path_factory.mktemp("video_litert")
    folder = save_model(model, root / "export", frame_step=2, step=2)
    return model, folder, export_litert(folder, root / "squares.tflite")


@pytest.fixture(scope="module")
def square_video(tmp_path_factory):
    """(frames uint8 [16, 48, 48, 3], the same as an MP4 file): a square moving right."""
    clip = moving_squares(2, 16, 48, seed=5)[0][1]
    frames = np.round(clip * 255).astype(np.uint8)
    return frames, write_video(tmp_path_factory.mktemp("square_video") / "right.mp4", clip)


def test_clip_model_matches_keras_and_keeps_its_metadata(clip_modules, tmp_path):
    model = _sharpened(video_classifier(str(clip_modules[0]), 3, class_names=["a", "b", "c"]))
    path = export_litert(model, tmp_path / "clip.tflite", frames=5, step=3, frame_step=2)
    predictor = load_litert(path, threads=1)
    clips = _clips(16, frames=5)
    np.testing.assert_allclose(
        predictor.predict(clips), model.predict(clips, verbose=0), rtol=1e-4, atol=1e-6
    )
    assert predictor.task == "video" and predictor.class_names == ["a", "b", "c"]
    assert (predictor.frames, predictor.step, predictor.frame_step) == (5, 3, 2)
    assert predictor.image_size == (16, 16) and predictor.value_range == (0.0, 1.0)
    (shape,) = predictor.input_shapes  # the module takes clips of any length
    assert shape[0] is None and shape[1] in (None, 5) and shape[2:] == (16, 16, 3)
    found = metadata.read(path.read_bytes(), str(path))
    assert found["inputs"][0]["name"] == "clips" and found["inputs"][0]["dtype"] == "float32"
    assert found["outputs"] == ["head"]
    assert predictor.signatures == ["serving_default"]  # no module per frame to run alone


@pytest.mark.parametrize("temporal", ["mean", "gru", "delta_lstm"])
def test_frame_models_match_keras_with_recurrent_heads_unrolled(tiny_image_module, temporal):
    keras.utils.set_random_seed(1)
    model = _sharpened(video_classifier(str(tiny_image_module), 2, frames=4, temporal=temporal))
    converted = litert_model(model)
    recurrent = [layer for layer in model.get_layer("head").layers if "temporal_" in layer.name]
    if temporal == "mean":
        assert converted is model
    else:  # the recurrent layer is unrolled in a copy; the model itself keeps its loop
        copy = converted.get_layer("head").get_layer(recurrent[-1].name)
        assert copy is not recurrent[-1] and copy.unroll and not recurrent[-1].unroll
        assert converted.get_layer("module") is model.get_layer("module")
        for mine, original in zip(copy.get_weights(), recurrent[-1].get_weights()):
            np.testing.assert_array_equal(mine, original)
    predictor = LiteRTPredictor(convert(converted), threads=1)
    assert predictor.input_shapes == [(None, 4, 32, 32, 3)] and predictor.frames == 4
    clips = _clips(32, count=4, seed=2)
    expected = model.predict(clips, verbose=0)
    assert np.ptp(expected[:, 0]) > 0.01, expected  # clips are told apart
    np.testing.assert_allclose(predictor.predict(clips), expected, rtol=1e-4, atol=1e-6)
    assert predictor.signatures == ["frame_features", "serving_default", "temporal_head"]
    frames = clips.reshape(-1, 32, 32, 3)
    features = predictor.run("frame_features", {"frames": frames})["features"]
    np.testing.assert_allclose(
        features, model.get_layer("module")(frames).numpy(), rtol=1e-4, atol=1e-5
    )
    head = predictor.run("temporal_head", {"features": features.reshape(4, 4, -1)})
    np.testing.assert_allclose(head["probabilities"], expected, rtol=1e-4, atol=1e-6)


class Igamma(keras.layers.Layer):
    """An op without a LiteRT kernel: the regularized incomplete gamma function."""

    def call(self, x):
        return tf.math.igamma(x + 1.0, x + 2.0)


def test_an_op_litert_lacks_names_the_op_and_the_layer(tmp_path):
    inputs = keras.Input((2, 8, 8, 3), name="clips")
    x = keras.layers.GlobalAveragePooling3D(name="pool")(inputs)
    x = Igamma(name="odd_layer")(x)
    outputs = keras.layers.Dense(2, activation="softmax", name="head")(x)
    model = TaskModel(inputs, outputs, task="video", name="odd_video")
    with pytest.raises(ConversionError, match=r"tf\.Igamma \(layer 'odd_layer'\)"):
        export_litert(model, tmp_path / "odd.tflite")
    assert not list(tmp_path.iterdir())


def test_export_folder_metadata_round_trip(trained):
    model, folder, path = trained
    predictor, reloaded = load_litert(path), hubmodels.load_model(folder)
    for name in ("class_names", "frames", "frame_step", "step", "image_size", "value_range"):
        assert getattr(predictor, name) == getattr(reloaded, name), name
    assert (predictor.frames, predictor.frame_step, predictor.step) == (4, 2, 2)
    clips = moving_squares(6, 4, 32, seed=3)[0]
    np.testing.assert_allclose(
        predictor.predict(clips), model.predict(clips, verbose=0), rtol=1e-4, atol=1e-6
    )


def test_int8_calibrated_on_clips_keeps_the_labels(trained):
    model = trained[0]
    calibration, _ = moving_squares(16, 4, 32, seed=4)
    content = convert(model, quantization="int8", representative_data=calibration)
    predictor = LiteRTPredictor(content, threads=1)
    clips, labels = moving_squares(16, 4, 32, seed=6)
    expected = model.predict(clips, verbose=0).argmax(axis=1)
    assert (expected == labels).mean() >= 0.75  # the model tells the squares apart
    assert predictor.quantization == "int8"
    np.testing.assert_array_equal(predictor.predict(clips).argmax(axis=1), expected)
    assert predictor.signatures == ["serving_default"]  # calibrated on clips only
    assert not VideoStream(predictor, step=2, frame_step=2).reuses_frames


def _counting(predictor) -> dict:
    """{signature: [sizes of the batches it ran]}, filled by every `predictor.run`."""
    batches = {}
    run = predictor.run

    def counted(signature, inputs):
        batches.setdefault(signature, []).append(len(next(iter(inputs.values()))))
        return run(signature, inputs)

    predictor.run = counted
    return batches


def test_video_stream_on_a_predictor_gives_the_keras_predictions(trained, square_video):
    model, _, path = trained
    frames = square_video[0]
    predictor = load_litert(path, threads=1)
    batches = _counting(predictor)
    predictions = {}
    for name, source in (("keras", model), ("litert", predictor)):
        stream = VideoStream(source, step=2, frame_step=2, drop_stale=False)
        assert stream.reuses_frames
        for frame in frames:
            stream.step(frame)
        stream.close()
        predictions[name] = stream.predictions
    # the warm-up's 4 frames, then each of the video's frames 0, 2, ..., 14 once: 4 for the
    # first window (frames 0 to 6), 1 new frame for each of the next 4
    assert batches["frame_features"] == [4, 4, 1, 1, 1, 1]
    assert batches["temporal_head"] == [1] * 6 and "serving_default" not in batches
    keras_run, litert_run = predictions["keras"], predictions["litert"]
    assert [p.frame for p in litert_run] == [p.frame for p in keras_run] == list(range(6, 16, 2))
    assert [p.label for p in litert_run] == [p.label for p in keras_run]
    assert {p.label for p in keras_run} == {"right"}  # what the model was trained to see
    np.testing.assert_allclose(
        [p.probabilities for p in litert_run],
        [p.probabilities for p in keras_run],
        rtol=1e-4,
        atol=1e-6,
    )


def test_video_stream_refuses_an_image_predictor(digits_tflite):
    with pytest.raises(InputError, match="VideoStream needs a video model"):
        VideoStream(load_litert(digits_tflite))


def test_run_names_the_signatures_a_file_has(trained):
    predictor = load_litert(trained[2], threads=1)
    with pytest.raises(InputError, match="has no signature 'detect'; it has frame_features, "):
        predictor.run("detect", {"images": np.zeros([1, 32, 32, 3], np.float32)})
    with pytest.raises(InputError, match=r"takes inputs \['frames'\], got \['images'\]"):
        predictor.run("frame_features", {"images": np.zeros([1, 32, 32, 3], np.float32)})
    with pytest.raises(InputError, match=r"'frames' of shape \[any, 32, 32, 3\], got \[1, 8, 8"):
        predictor.run("frame_features", {"frames": np.zeros([1, 8, 8, 3], np.float32)})


def test_watch_on_litert_in_a_fresh_process(trained, square_video, tmp_path):
    _, folder, path = trained
    video = square_video[1]
    result = run_hubmodels(
        "watch",
        video,
        "--model",
        path,
        "--runtime",
        "litert",
        "--threads",
        "1",
        "--json",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # LiteRT's XNNPACK INFO line is held like TensorFlow's logs
    *rows, summary = [json.loads(line) for line in result.stdout.splitlines()]
    assert summary["summary"]["frames"] == 16 and summary["summary"]["windows"] == 5
    assert rows and rows[-1]["frame"] == 14
    with VideoStream(hubmodels.load_model(folder), drop_stale=False) as stream:
        for frame in _decoded(video):
            stream.step(frame)
    expected = {p.frame: p.label for p in stream.predictions}
    assert {row["frame"]: row["label"] for row in rows}.items() <= expected.items()


def _decoded(video):
    from hubmodels.tasks.video.cli import read_frames

    return list(read_frames(str(video))[0])


def test_watch_runtime_options(trained, square_video, capsys):
    _, folder, path = trained
    video = str(square_video[1])
    assert cli.main(["watch", video, "--model", str(path), "--runtime", "tensorflow"]) == 1
    assert "is a LiteRT model: run it with --runtime litert" in capsys.readouterr().err
    assert cli.main(["watch", video, "--model", str(path)]) == 0  # a .tflite runs on LiteRT
    assert "16 frames in" in capsys.readouterr().out
    command = ["watch", video, "--model", str(folder), "--json"]
    assert cli.main(command) == 0
    expected = capsys.readouterr().out.splitlines()[:-1]
    assert cli.main([*command, "--runtime", "litert", "--threads", "1"]) == 0  # converted
    got = capsys.readouterr().out.splitlines()[:-1]
    labels = [
        {row["frame"]: row["label"] for row in map(json.loads, rows)} for rows in (got, expected)
    ]
    assert 14 in labels[0] and 14 in labels[1]  # the last window is never dropped
    assert all(
        labels[0][frame] == labels[1][frame] for frame in labels[0].keys() & labels[1].keys()
    )


def test_predict_a_video_with_the_tflite_file(trained, square_video, capsys):
    _, folder, path = trained
    video = str(square_video[1])
    assert cli.main(["predict", "--model", str(folder), video, "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    assert cli.main(["predict", "--model", str(path), video, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got[0]["video"] == video and got[0]["top_k"][0]["label"] == "right"
    assert [k["label"] for k in got[0]["top_k"]] == [k["label"] for k in expected[0]["top_k"]]
    np.testing.assert_allclose(
        [k["score"] for k in got[0]["top_k"]],
        [k["score"] for k in expected[0]["top_k"]],
        rtol=1e-4,
        atol=2e-6,
    )
