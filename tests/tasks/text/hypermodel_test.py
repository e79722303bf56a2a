"""TextHyperModel: its space is checked before any trial; a real keras-tuner search on MiniLM,
frozen sentence-level trials sharing the module's cached text vectors."""

import pytest

from hubmodels._keras import tf
from hubmodels.errors import InputError
from hubmodels.tasks.text import TextHyperModel
from hubmodels.tuning import Choice, Range, import_keras_tuner
from tests.tasks.text.texts import ELMO, MINILM

kt = import_keras_tuner()


def _datasets(sentiment_texts):
    texts, labels = sentiment_texts
    train = tf.data.Dataset.from_tensor_slices((texts, labels)).shuffle(16, seed=0).batch(8)
    return train, tf.data.Dataset.from_tensor_slices((texts, labels)).batch(16)


@pytest.mark.parametrize(
    "space, message",
    [
        (dict(level=["sentence", "token"]), "level=.token. must be one of"),
        (dict(unfreeze=[0, 7]), "unfreeze=7 exceeds the 6 blocks"),
        (dict(lstm_units=0), "lstm_units=0 must be > 0"),
        (dict(learning_rate=Range(0.1, 0.01)), "learning_rate=.* has low > high"),
    ],
)
def test_a_bad_space_fails_before_any_trial(space, message):
    with pytest.raises(InputError, match=message):
        TextHyperModel(MINILM, 2, **space)


def test_levels_declare_their_own_head_and_elmo_unfreezes_its_aggregation():
    hypermodel = TextHyperModel(ELMO, 2, level="word", unfreeze=1, lstm_units=8)
    assert hypermodel.dimensions["unfreeze"].spec == 1
    hp = kt.HyperParameters()
    model = hypermodel.build(hp)
    searched = "module level lstm_units unfreeze module_learning_rate learning_rate dropout"
    assert set(hp.values) == set(searched.split())  # no head_units at word level
    assert model.get_layer("bilstm").forward_layer.units == 8
    trained = {w.name.split("/")[-2] for w in model.module_variables()}
    assert trained == {"aggregation"} and model.module_optimizer is not None


def test_a_tiny_search_trains_frozen_sentence_trials_on_shared_vectors(sentiment_texts, tmp_path):
    hypermodel = TextHyperModel(
        MINILM, 2, level="sentence", unfreeze=0, head_units=Choice(0, 16), dropout=0.0
    )
    search = kt.RandomSearch(
        hypermodel, objective="val_accuracy", max_trials=2, directory=str(tmp_path), seed=0
    )
    train, validation = _datasets(sentiment_texts)
    search.search(train, validation_data=validation, epochs=1, verbose=0)
    trials = list(search.oracle.trials.values())
    assert [t.status for t in trials] == ["COMPLETED"] * 2
    assert hypermodel.feature_cache.extractions == 2  # training and validation data, once
    best = search.oracle.get_best_trials(1)[0]
    _, accuracy = search.load_model(best).evaluate(validation, verbose=0)
    assert accuracy == pytest.approx(best.score, abs=1e-6)
