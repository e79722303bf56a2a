"""VideoHyperModel: its space is checked before any trial; keras-tuner searches it."""

import pytest

from hubmodels._keras import tf
from hubmodels.errors import InputError
from hubmodels.tasks.video.hypermodel import VideoHyperModel
from hubmodels.tuning import Choice, FeatureCache, Range, import_keras_tuner
from tests.tasks.video.clip_modules import write_tiny_clip_module
from tests.tasks.video.conftest import moving_squares

kt = import_keras_tuner()


def _datasets(size, frames=4):
    clips, labels = moving_squares(12, frames, size, seed=2)
    train = tf.data.Dataset.from_tensor_slices((clips[:8], labels[:8])).batch(4)
    validation = tf.data.Dataset.from_tensor_slices((clips[8:], labels[8:])).batch(4)
    return train, validation


def test_frozen_trials_share_module_outputs_and_search_the_temporal_head(frame_module, tmp_path):
    defaults = VideoHyperModel(str(frame_module), 2, frames=4)
    assert defaults.dimensions["unfreeze"].spec == Choice(0, 1)  # 2 blocks: 0 or the last
    assert defaults.dimensions["temporal"].spec == "mean"
    cache = FeatureCache()
    hypermodel = VideoHyperModel(
        str(frame_module),
        2,
        frames=4,
        temporal=Choice("mean", "gru"),
        unfreeze=0,
        learning_rate=0.05,
        head_units=0,
        dropout=0.0,
        feature_cache=cache,
    )
    search = kt.GridSearch(
        hypermodel, objective="val_accuracy", max_trials=2, directory=str(tmp_path), seed=1
    )
    train, validation = _datasets(32)
    search.search(train, validation_data=validation, epochs=1, verbose=0)
    trials = list(search.oracle.trials.values())
    assert {t.status for t in trials} == {"COMPLETED"}
    assert {t.hyperparameters.values["temporal"] for t in trials} == {"mean", "gru"}
    assert cache.extractions == 2  # training and validation, once for both trials


def test_clip_modules_train_end_to_end_when_unfrozen(clip_module, tmp_path):
    hypermodel = VideoHyperModel(
        str(clip_module), 2, frames=4, unfreeze=1, module_learning_rate=1e-3, head_units=0
    )
    hp = kt.HyperParameters()
    model = hypermodel.build(hp)
    assert "temporal" not in hp.values  # clip modules pool over time themselves
    assert [v.name for v in model.module_variables()] == ["tiny_i3d/Mixed_5c/conv_3d/w:0"]
    train, validation = _datasets(16)
    history = hypermodel.fit(hp, model, train, validation_data=validation, epochs=1, verbose=0)
    assert "val_accuracy" in history.history


@pytest.mark.parametrize(
    "space, message",
    [
        (dict(frames=8), "takes clips of exactly 4 frames, frames=8 differs"),
        (dict(temporal=["mean", "transformer"]), "temporal='transformer' must be one of"),
        (dict(unfreeze=[0, 3]), "unfreeze=3 exceeds the 2 blocks of module"),
        (dict(dropout=Range(0.0, 1.0)), r"dropout=1.0 must be in \[0, 1\)"),
    ],
)
def test_a_bad_space_fails_before_any_trial(tmp_path, space, message):
    module = write_tiny_clip_module(tmp_path / "fixed", frames=4)
    with pytest.raises(InputError, match=message):
        VideoHyperModel(str(module), 2, **{"frames": 4, **space})
