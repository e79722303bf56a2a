"""The base of the tasks' HyperModels: the checked modules and classes, the value checks of
their dimensions, and `fit`, which trains frozen trials on the shared feature cache.

A task's HyperModel (tasks/<task>/hypermodel.py) subclasses TaskHyperModel, declares its
dimensions and builds its factory's models; `prepared` adapts a dataset to a trial's model
where the task needs it (images: resized to the module's size).
"""

import functools

from hubmodels._keras import tf
from hubmodels.errors import InputError
from hubmodels.training.cached import (
    cache_blocker,
    feature_extractor,
    features_of,
    fit_on_features,
)
from hubmodels.tuning.backend import import_keras_tuner
from hubmodels.tuning.features import FeatureCache, module_key
from hubmodels.tuning.space import Choice, Range

kt = import_keras_tuner()

# The defaults of the dimensions the tasks share.
MODULE_LEARNING_RATE = Range(1e-5, 1e-3, log=True)
LEARNING_RATE = Range(1e-4, 1e-2, log=True)
HEAD_UNITS = Choice(0, 256)
DROPOUT = Range(0.0, 0.5)


class TaskHyperModel(kt.HyperModel):
    """modules: a handle or a list of them; num_classes >= 1; class_names kept on the models.

    feature_cache: a FeatureCache shared by frozen trials; None for a new in-memory one, False
    to train frozen trials end to end.
    """

    examples = "examples"  # what a dataset's batches hold, for messages: ("images", labels)

    def __init__(
        self, modules, num_classes, *, class_names=None, feature_cache=None, name=None, tunable=True
    ):
        super().__init__(name=name, tunable=tunable)
        self.handles = [modules] if isinstance(modules, str) else list(modules)
        if not self.handles:
            raise InputError("search space: give at least one module handle")
        if int(num_classes) < 1:
            raise InputError(f"num_classes must be at least 1, got {num_classes}")
        self.num_classes = int(num_classes)
        self.class_names = list(class_names) if class_names else None
        self.feature_cache = FeatureCache() if feature_cache is None else feature_cache or None

    def prepared(self, model, dataset):
        """`dataset` as `model` takes it (the identity here)."""
        return dataset

    def fit(self, hp, model, *args, **kwargs):
        """Trains `model`; a frozen trial trains its head on the module outputs, computed once
        per module and dataset and shared by all frozen trials.

        Arguments as for keras.Model.fit, the data as tf.data.Datasets:
        tuner.search(train, validation_data=validation, epochs=5).
        """
        name, batches = type(self).__name__, f"({self.examples}, labels) batches"
        if len(args) > 1:
            raise InputError(
                f"{name} trains on a tf.data.Dataset of {batches}: pass "
                "tuner.search(train, validation_data=validation, ...), without y"
            )
        train = args[0] if args else kwargs.pop("x", None)
        validation = kwargs.pop("validation_data", None)
        if train is None:
            raise InputError("no training data: pass tuner.search(train, ...)")
        for role, dataset in (("training", train), ("validation", validation)):
            if dataset is not None and not isinstance(dataset, tf.data.Dataset):
                raise InputError(
                    f"{name} takes the {role} data as a tf.data.Dataset of {batches}, "
                    f"got {type(dataset).__name__}"
                )
        if self.feature_cache is None or cache_blocker(model) is not None:
            if validation is not None:
                kwargs["validation_data"] = self.prepared(model, validation)
            return model.fit(self.prepared(model, train), **kwargs)
        extractor = feature_extractor(model)
        verbose = kwargs.get("verbose", 1)

        def extract(role, dataset):
            if verbose:
                print("Computing module outputs, once for all frozen trials...")
            return features_of(extractor, self.prepared(model, dataset), role, verbose == 1)

        key = module_key(model)
        cached = self.feature_cache.get
        train_features = cached(key, train, functools.partial(extract, "training"))
        validation_features = None
        if validation is not None:
            validation_features = cached(key, validation, functools.partial(extract, "validation"))
        return fit_on_features(model, train_features, validation_features, **kwargs)


def positive(value):
    return None if value > 0 else "must be > 0"


def not_negative(value):
    return None if value >= 0 else "must be >= 0"


def dropout_rate(value):
    return None if 0 <= value < 1 else "must be in [0, 1)"


def unfreeze_check(blocks: dict):
    """The check of an `unfreeze` count against {handle: the module's block scopes}."""

    def check(count):
        if count < 0:
            return "must be >= 0 (the number of last blocks to fine-tune)"
        for handle, scopes in blocks.items():
            if count > len(scopes):
                found = ", ".join(scope.split("/")[-1] for scope in scopes) or "none found"
                return f"exceeds the {len(scopes)} blocks of module {handle} ({found})"
        return None

    return check
