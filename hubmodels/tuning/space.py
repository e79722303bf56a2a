"""How a user states one dimension of a search space, checked before any trial runs.

Each hyperparameter of a hubmodels HyperModel takes one of:
  Range(low, high, log=False)   every value in [low, high] (integers for integer
                                hyperparameters; log=True samples on a log scale);
  Choice(a, b, ...) or [a, b]   one of the values;
  a single value                fixed: not searched.

    FeatureVectorHyperModel(handles, 5, learning_rate=Range(1e-4, 1e-2, log=True),
                            unfreeze=Choice(0, 1), dropout=0.2)
"""

import dataclasses
import numbers

from hubmodels.errors import InputError


@dataclasses.dataclass(frozen=True)
class Range:
    """Every value from `low` to `high`, sampled on a log scale when `log`."""

    low: float
    high: float
    log: bool = False


class Choice:
    """One of `values`: Choice(0, 1, 2)."""

    def __init__(self, *values):
        self.values = tuple(values)

    def __eq__(self, other):
        return isinstance(other, Choice) and other.values == self.values

    def __hash__(self):
        return hash(self.values)

    def __repr__(self):
        return f"Choice({', '.join(map(repr, self.values))})"


@dataclasses.dataclass(frozen=True)
class Dimension:
    """A checked dimension: `spec` is a Range, a Choice of 2+ values, or a fixed value."""

    name: str
    spec: object
    kind: type

    @property
    def values(self) -> tuple:
        """Every value the search can take (for a Range of floats: its two ends)."""
        if isinstance(self.spec, Range) and self.kind is int:
            return tuple(range(self.spec.low, self.spec.high + 1))
        if isinstance(self.spec, Range):
            return (self.spec.low, self.spec.high)
        if isinstance(self.spec, Choice):
            return self.spec.values
        return (self.spec,)

    def declare(self, hp, parent=None):
        """Registers this dimension in keras-tuner's `hp` and returns its value for this trial.

        parent: (name, values): the dimension is active only when `name` takes one of
        `values` (then None is returned otherwise).
        """
        conditions = {}
        if parent is not None:
            conditions = {"parent_name": parent[0], "parent_values": list(parent[1])}
        spec = self.spec
        if isinstance(spec, Range):
            sampling = "log" if spec.log else "linear"
            number = hp.Int if self.kind is int else hp.Float
            return number(self.name, spec.low, spec.high, sampling=sampling, **conditions)
        if isinstance(spec, Choice):
            return hp.Choice(self.name, list(spec.values), **conditions)
        return hp.Fixed(self.name, spec, **conditions)


def dimension(name, spec, kind, check) -> Dimension:
    """Checks the user's `spec` for hyperparameter `name` of type `kind` (int, float or str).

    check(value) returns None when the value is allowed, else why not ("must be in [0, 1)").
    Lists and tuples are read as Choice; a Range with low == high and a Choice of one
    value become fixed values. Raises InputError naming the hyperparameter.
    """
    if isinstance(spec, (list, tuple)):
        spec = Choice(*spec)
    if isinstance(spec, Range):
        if kind is str:
            raise InputError(f"search space: {name} takes names, not {spec}: use Choice(...)")
        spec = Range(_typed(name, spec.low, kind), _typed(name, spec.high, kind), spec.log)
        values = (spec.low, spec.high)
        if spec.low > spec.high:
            raise InputError(f"search space: {name}={spec} has low > high")
        if spec.log and spec.low <= 0:
            raise InputError(f"search space: {name}={spec} is on a log scale: low must be > 0")
    elif isinstance(spec, Choice):
        spec = Choice(*(_typed(name, value, kind) for value in spec.values))
        values = spec.values
        if not values:
            raise InputError(f"search space: {name}=Choice() has no values")
        if len(set(values)) != len(values):
            raise InputError(f"search space: {name}={spec} repeats a value")
    else:
        spec = _typed(name, spec, kind)
        values = (spec,)
    for value in values:
        problem = check(value)
        if problem:
            raise InputError(f"search space: {name}={value!r} {problem}")
    if isinstance(spec, Range) and spec.low == spec.high:
        spec = spec.low
    if isinstance(spec, Choice) and len(spec.values) == 1:
        spec = spec.values[0]
    return Dimension(name, spec, kind)


def _typed(name, value, kind):
    """`value` as a plain int, float or str (what keras-tuner stores), or InputError."""
    if kind is str and isinstance(value, str):
        return value
    if kind is int and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if kind is float and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    expected = {int: "an integer", float: "a number", str: "a string"}[kind]
    raise InputError(f"search space: {name} takes {expected}, got {value!r}")
