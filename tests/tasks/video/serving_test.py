"""Video exports: saved, reloaded in a fresh process, served from float clips and encoded frames."""

import numpy as np
import pytest

import hubmodels
from hubmodels._keras import tf
from hubmodels.data.video import clip_from_frames
from hubmodels.errors import InputError
from hubmodels.tasks.video.classifiers import video_classifier
from tests.processes import run_at_once
from tests.tasks.video.conftest import moving_squares


def _predict_in_fresh_process(path, clips):
    """Loads the export in this (new) process: (predictions, metadata attributes)."""
    import hubmodels.tasks

    hubmodels.tasks.TASKS["video"] = "hubmodels.tasks.video"
    model = hubmodels.load_model(path)
    facts = (model.task, model.frames, model.image_size, model.step, model.frame_step)
    return model.predict(clips, verbose=0), facts, model.class_names, model.value_range


@pytest.fixture(scope="module")
def exported(frame_module, tmp_path_factory):
    """A GRU frame model on 3 frames of 32x32, exported with step 2 and frame_step 2."""
    model = video_classifier(str(frame_module), 2, frames=3, temporal="gru", class_names=["a", "b"])
    path = hubmodels.save_model(
        model, tmp_path_factory.mktemp("export") / "model", step=2, frame_step=2
    )
    return model, path


@pytest.mark.slow  # a fresh process imports TensorFlow and loads the export: ~20 s
def test_export_reloads_in_a_fresh_process_with_the_same_predictions(exported):
    model, path = exported
    clips, _ = moving_squares(3, 3, 32)
    [(predicted, facts, class_names, value_range)] = run_at_once(
        _predict_in_fresh_process, (str(path), clips), count=1
    )
    assert facts == ("video", 3, (32, 32), 2, 2)
    assert class_names == ["a", "b"] and value_range == (0.0, 1.0)
    np.testing.assert_allclose(predicted, model.predict(clips, verbose=0), rtol=1e-5, atol=1e-6)


def test_encoded_frames_are_served_like_training_clips(exported):
    model, path = exported
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 256, size=(2, 3, 48, 64, 3), dtype=np.uint8)  # not square
    clips = np.stack([clip_from_frames(video, (32, 32)) for video in frames])
    served = tf.saved_model.load(str(path))
    encoded = [[tf.io.encode_png(frame).numpy() for frame in video] for video in frames]
    from_frames = served.signatures["serving_default"](frames=tf.constant(encoded))
    from_clips = served.signatures["serve_clips"](clips=tf.constant(clips))
    expected = model.predict(clips, verbose=0)
    np.testing.assert_allclose(from_clips["probabilities"].numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(from_frames["probabilities"].numpy(), expected, atol=2e-3)
    assert [label.decode() for label in from_frames["labels"].numpy()] == [
        "ab"[i] for i in expected.argmax(axis=1)
    ]


def test_models_of_any_length_or_size_need_them_given(clip_module, tmp_path):
    model = video_classifier(str(clip_module), 2)  # clips of any length
    with pytest.raises(InputError, match="takes clips of any frames: give frames="):
        hubmodels.save_model(model, tmp_path / "a")
    path = hubmodels.save_model(model, tmp_path / "b", frames=5)
    assert hubmodels.load_model(path).frames == 5
    fixed = video_classifier(str(clip_module), 2, frames=4)
    with pytest.raises(InputError, match="frames=5 differs from the 4 of model"):
        hubmodels.save_model(fixed, tmp_path / "c", frames=5)
    with pytest.raises(InputError, match="step must be a positive integer, got 0"):
        hubmodels.save_model(fixed, tmp_path / "d", step=0)
