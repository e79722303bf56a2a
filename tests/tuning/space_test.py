"""Search-space dimensions: ranges, choices and fixed values, checked with clear errors."""

import pytest

from hubmodels.errors import InputError
from hubmodels.tuning.space import Choice, Range, dimension


def _any(value):
    return None


def _positive(value):
    return None if value > 0 else "must be > 0"


def test_lists_are_choices_and_single_values_are_fixed():
    assert dimension("unfreeze", [0, 1], int, _any).spec == Choice(0, 1)
    assert dimension("unfreeze", Choice(2), int, _any).spec == 2
    assert dimension("dropout", Range(0.3, 0.3), float, _any).spec == 0.3
    assert dimension("learning_rate", 1e-3, float, _any).spec == 1e-3
    assert dimension("unfreeze", Range(0, 2), int, _any).values == (0, 1, 2)


@pytest.mark.parametrize(
    "name, spec, kind, message",
    [
        ("learning_rate", Range(1e-2, 1e-4, log=True), float, "low > high"),
        ("learning_rate", Range(0.0, 1e-2, log=True), float, "log scale: low must be > 0"),
        ("learning_rate", Range(-1.0, 1.0), float, "=-1.0 must be > 0"),
        ("head_units", Choice(), int, "has no values"),
        ("head_units", [64, 64], int, "repeats a value"),
        ("head_units", Choice(64, 1.5), int, "takes an integer, got 1.5"),
        ("augmentation", Range(0, 1), str, "takes names"),
        ("dropout", True, float, "takes a number, got True"),
    ],
)
def test_bad_dimensions_name_the_hyperparameter(name, spec, kind, message):
    with pytest.raises(InputError, match=f"search space: {name}.*{message}"):
        dimension(name, spec, kind, _positive)
