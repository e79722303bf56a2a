"""FeatureVectorHyperModel: its space is checked before any trial; keras-tuner's tuners run it."""

import numpy as np
import pytest

from hubmodels._keras import keras
from hubmodels.errors import HandleError, InputError
from hubmodels.tasks.image.augmentation import AugmentationLayer
from hubmodels.tuning import (
    Choice,
    FeatureCache,
    FeatureVectorHyperModel,
    Range,
    import_keras_tuner,
)
from tests.tiny_images import datasets

kt = import_keras_tuner()

FROZEN = dict(unfreeze=0, augmentation="none", learning_rate=Range(0.01, 0.1, log=True))


@pytest.mark.parametrize(
    "space, error, message",
    [
        (dict(learning_rate=Range(0.1, 0.01)), InputError, "learning_rate=.* has low > high"),
        (dict(dropout=Range(0.0, 1.0)), InputError, "dropout=1.0 must be in \\[0, 1\\)"),
        (dict(unfreeze=[0, 3]), InputError, "unfreeze=3 exceeds the 2 blocks of module .*block2"),
        (dict(head_units=[-1]), InputError, "head_units=-1 must be >= 0"),
        (dict(augmentation=["none", "/no/such/augmenter"]), HandleError, "/no/such/augmenter"),
    ],
)
def test_a_bad_space_fails_before_any_trial(tiny_image_module, space, error, message):
    with pytest.raises(error, match=message):
        FeatureVectorHyperModel(str(tiny_image_module), 2, **space)


def test_an_unknown_handle_fails_before_any_trial(tiny_image_module, tmp_path):
    with pytest.raises(HandleError, match="no_such_module"):
        FeatureVectorHyperModel([str(tiny_image_module), str(tmp_path / "no_such_module")], 2)


def test_defaults_search_modules_blocks_head_and_rates(tiny_image_module, second_tiny_module):
    hypermodel = FeatureVectorHyperModel(
        [str(tiny_image_module), str(second_tiny_module)], 2, augmentation="none"
    )
    specs = {name: d.spec for name, d in hypermodel.dimensions.items()}
    assert specs["module"] == Choice(str(tiny_image_module), str(second_tiny_module))
    assert specs["unfreeze"] == Choice(0, 1, 2)
    assert specs["learning_rate"] == Range(1e-4, 1e-2, log=True)
    hp = kt.HyperParameters()
    hp.values.update(unfreeze=0)
    model = hypermodel.build(hp)
    searched = "module unfreeze learning_rate head_units dropout augmentation"
    assert set(hp.values) == set(searched.split())  # module_learning_rate: only when unfrozen
    assert isinstance(model, keras.Model) and model.optimizer is not None


@pytest.mark.parametrize("tuner", ["random", "bayesian", "hyperband"])
def test_keras_tuner_tuners_search_tf_keras_models(tiny_image_module, tmp_path, tuner, cache):
    hypermodel = FeatureVectorHyperModel(str(tiny_image_module), 2, feature_cache=cache, **FROZEN)
    common = dict(objective="val_accuracy", directory=str(tmp_path), seed=1)
    if tuner == "random":
        search = kt.RandomSearch(hypermodel, max_trials=2, **common)
    elif tuner == "bayesian":
        search = kt.BayesianOptimization(hypermodel, max_trials=2, num_initial_points=1, **common)
    else:
        search = kt.Hyperband(hypermodel, max_epochs=2, factor=2, **common)
        search.oracle.max_trials = 3  # a full Hyperband round here would take 5 trials
    train, validation = datasets()
    search.search(train, validation_data=validation, epochs=2, verbose=0)
    statuses = [t.status for t in search.oracle.trials.values()]
    assert len(statuses) >= 2 and set(statuses) == {"COMPLETED"}
    best = search.oracle.get_best_trials(1)[0]
    model = search.load_model(best)
    _, accuracy = model.evaluate(validation, verbose=0)
    assert accuracy == pytest.approx(best.score, abs=1e-6)


@pytest.fixture(scope="module")
def cache():
    """One feature cache for the tuner tests: the module runs once for all of them."""
    return FeatureCache()


def test_frozen_trials_share_features_and_checkpoint_the_whole_model(tiny_image_module, tmp_path):
    hypermodel = FeatureVectorHyperModel(str(tiny_image_module), 2, **FROZEN)
    search = kt.RandomSearch(
        hypermodel, objective="val_accuracy", max_trials=3, directory=str(tmp_path), seed=0
    )
    train, validation = datasets()
    search.search(train, validation_data=validation, epochs=3, verbose=0)
    assert hypermodel.feature_cache.extractions == 2  # training and validation data, once
    scores = []
    for trial in search.oracle.trials.values():
        _, accuracy = search.load_model(trial).evaluate(validation, verbose=0)
        assert accuracy == pytest.approx(trial.score, abs=1e-6)
        scores.append(trial.score)
    assert max(scores) == 1.0


def test_unfrozen_and_augmented_trials_train_end_to_end(tiny_image_module, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBMODELS_HOME", str(tmp_path / "home"))
    hypermodel = FeatureVectorHyperModel(
        str(tiny_image_module), 2, unfreeze=1, augmentation="crop_color", dropout=0.0
    )
    hp = kt.HyperParameters()
    model = hypermodel.build(hp)
    assert hp.values["unfreeze"] == 1 and "module_learning_rate" in hp.values
    assert any(isinstance(layer, AugmentationLayer) for layer in model.layers)
    before = {w.name: w.numpy().copy() for w in model.weights}
    train, validation = datasets()
    history = hypermodel.fit(hp, model, train, validation_data=validation, epochs=1, verbose=0)
    assert "val_accuracy" in history.history
    assert hypermodel.feature_cache.extractions == 0
    changed = {w.name for w in model.weights if not np.allclose(before[w.name], w.numpy())}
    assert "tiny/block2/conv/kernel:0" in changed and "tiny/block1/conv/kernel:0" not in changed
