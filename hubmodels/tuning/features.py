"""Frozen trials: module outputs computed once, shared by every trial, and the head fit on them.

A trial whose module stays frozen and has no augmentation only trains its head: the
module's outputs for the training and validation data are the same in every such trial.
`FeatureCache` computes them once per (module, dataset) and keeps them in memory for the
process; with a folder and named datasets it also keeps them on disk, so resumed searches
and the workers of a distributed search share them too. training.cached.fit_on_features
trains a trial's model on them (the one cached-feature fit of hubmodels.fit as well).
"""

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from hubmodels.hub.handles import resolve
from hubmodels.hub.layers import is_module_layer
from hubmodels.training.cached import Features


class FeatureCache:
    """Module outputs per (module, dataset), computed on first use.

    directory: where to keep them on disk as well (one .npz file per module and dataset),
      for datasets given a name with `name()`; None keeps them in memory only.
    `extractions` counts the datasets this cache ran through a module.
    """

    def __init__(self, directory=None):
        self.directory = Path(directory) if directory is not None else None
        self.extractions = 0
        self._names = {}
        self._memory = {}

    def name(self, dataset, name: str) -> None:
        """Gives `dataset` a name that identifies its content beyond this process.

        Features on disk are found by module and name: name the same data the same way
        in every process (e.g. from its files), and different data differently.
        """
        self._names[id(dataset)] = (dataset, str(name))

    def get(self, module_key: str, dataset, extract) -> Features:
        """The features of `dataset` under the module `module_key` (its path, signature...).

        extract(dataset) -> Features runs the module (training.cached.features_of); it is
        called only when neither memory nor disk holds them.
        """
        named = self._names.get(id(dataset))
        name = named[1] if named and named[0] is dataset else None
        key = (module_key, name if name is not None else id(dataset))
        entry = self._memory.get(key)
        if entry is not None and entry[0] is dataset:
            return entry[1]
        file = self._file(module_key, name)
        found = _load(file, module_key, name) if file is not None else None
        if found is None:
            found = extract(dataset)
            self.extractions += 1
            if file is not None:
                _save(file, found, module_key, name)
        self._memory[key] = (dataset, found)
        return found

    def _file(self, module_key, name):
        if self.directory is None or name is None:
            return None
        digest = hashlib.sha256(f"{module_key}\0{name}".encode()).hexdigest()[:24]
        return self.directory / f"{digest}.npz"


def module_key(model) -> str:
    """What a model's module outputs depend on: the module folder, signature, output, size."""
    layer = next(layer for layer in model.layers if is_module_layer(layer))
    size = tuple(model.inputs[0].shape[1:3])
    return f"{resolve(layer.handle)}|{layer.signature}|{layer.output_key}|{size}"


def _load(file: Path, module_key, name):
    if not file.is_file():
        return None
    with np.load(file, allow_pickle=False) as stored:
        if str(stored["key"]) != f"{module_key}\0{name}":
            return None
        return Features(stored["features"], stored["labels"], int(stored["batch_size"]))


def _save(file: Path, found: Features, module_key, name) -> None:
    """Writes the .npz beside its final name, then renames it: readers never see half a file."""
    file.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{file.stem}.", suffix=".npz", dir=file.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(
                out,
                features=found.features,
                labels=found.labels,
                batch_size=np.int64(found.batch_size),
                key=np.array(f"{module_key}\0{name}"),
            )
        os.replace(temporary, file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
