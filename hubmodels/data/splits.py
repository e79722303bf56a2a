"""What every dataset of the tasks shares: the held-out split and the order of class names."""

import re

import numpy as np


def split_indices(count, validation_split, seed) -> tuple:
    """(train indices, validation indices), each sorted; a random `validation_split` held out."""
    if validation_split == 0:
        return np.arange(count), np.arange(0)
    held_out = max(1, round(count * validation_split))
    order = np.random.default_rng(seed).permutation(count)
    return np.sort(order[held_out:]), np.sort(order[:held_out])


def sorted_labels(names) -> list:
    """Class names in order: numerically when all are integers ("2" before "10"), else sorted."""
    if all(re.fullmatch(r"-?\d+", n) for n in names):
        return sorted(names, key=int)
    return sorted(names)
