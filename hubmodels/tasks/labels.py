"""Class names for a classifier: a user list or file, or the module's `assets/labels.txt`.

TF Hub's ImageNet classifiers output 1001 logits with "background" first; a
1000-name list is then shifted by one.
"""

from pathlib import Path

from hubmodels.errors import InputError

BACKGROUND = "background"


def read_labels(source) -> list:
    """Names from a list, or a text file with one name per line."""
    if isinstance(source, (list, tuple)):
        return [str(name) for name in source]
    path = Path(source)
    if not path.is_file():
        raise InputError(f"labels file {path} does not exist")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def module_labels(module_path):
    """The module's own class names (`assets/labels.txt`), or None."""
    path = Path(module_path) / "assets" / "labels.txt"
    return read_labels(path) if path.is_file() else None


def fit_to_outputs(labels, num_outputs: int, origin: str) -> list:
    """Aligns names with the model's outputs (1001 = background + 1000)."""
    if labels is None:
        return [f"class_{i}" for i in range(num_outputs)]
    if len(labels) == num_outputs:
        return list(labels)
    if len(labels) + 1 == num_outputs:
        return [BACKGROUND] + list(labels)
    raise InputError(f"{origin} has {len(labels)} labels but the model has {num_outputs} outputs")
