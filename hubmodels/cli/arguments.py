"""Argument types of the `hubmodels` commands: a bad value is an argparse error (usage, one
line naming the option, exit 2) before anything loads."""

import argparse
import math


def positive_int(text: str) -> int:
    """An integer >= 1 (epochs, batch size, top k, trials)."""
    value = _parsed(int, text, "an integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (learning rates)."""
    value = _parsed(float, text, "a number")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def fraction(text: str) -> float:
    """A number in [0, 1) (the validation split)."""
    value = _parsed(float, text, "a number")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text}")
    return value


def _parsed(kind, text: str, expected: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
