"""Hyperparameter search with keras-tuner over the hubmodels factories.

    from hubmodels.tuning import FeatureVectorHyperModel, import_keras_tuner

    kt = import_keras_tuner()          # the same module as a plain `import keras_tuner` now
    tuner = kt.RandomSearch(FeatureVectorHyperModel(handles, num_classes=5),
                            objective="val_accuracy", max_trials=10, directory="runs")
    tuner.search(data.train, validation_data=data.validation, epochs=5)

Importing this package (or any name from it) makes the first import of keras_tuner in
the process drive tf-keras, also a plain `import keras_tuner` in your script (see
tuning.backend); it loads neither keras_tuner nor TensorFlow. `import_keras_tuner()`
returns keras_tuner, or says why it drives Keras 3 (imported before hubmodels.tuning).

Modules: backend (the keras-tuner bridge), space (Range, Choice), features (the feature
cache of frozen trials), search (the search behind `hubmodels tune`, whose command is in
hubmodels/cli/tune.py). Each task keeps its HyperModel (FeatureVectorHyperModel,
TextHyperModel, VideoHyperModel in hubmodels/tasks/<task>/hypermodel.py). Names are
imported lazily: the first HyperModel or `import_keras_tuner()` loads TensorFlow and
keras_tuner.
"""

from hubmodels.lazy import exports
from hubmodels.tuning import backend

backend.settle()

_PUBLIC = {
    "import_keras_tuner": "hubmodels.tuning.backend",
    "Range": "hubmodels.tuning.space",
    "Choice": "hubmodels.tuning.space",
    "FeatureCache": "hubmodels.tuning.features",
    "FeatureVectorHyperModel": "hubmodels.tasks.image.hypermodel",
    "TextHyperModel": "hubmodels.tasks.text.hypermodel",
    "VideoHyperModel": "hubmodels.tasks.video.hypermodel",
    "run_search": "hubmodels.tuning.search",
}

__all__ = sorted(_PUBLIC)

__getattr__, __dir__ = exports(__name__, _PUBLIC)
