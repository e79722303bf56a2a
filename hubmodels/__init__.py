"""hubmodels: TensorFlow Hub modules and SavedModels as tf-keras (Keras 2) models.

Public names are imported lazily, so `import hubmodels` does not load TensorFlow.
Importing a name that needs TensorFlow also registers the `hubmodels://` scheme
with tensorflow_hub's resolver.
"""

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "Module": "hubmodels.hub.module",
    "resolve": "hubmodels.hub.handles",
    "HubModelsError": "hubmodels.errors",
    "image_classifier": "hubmodels.tasks.image.classifiers",
    "feature_vector_classifier": "hubmodels.tasks.image.classifiers",
    "predict_top_k": "hubmodels.tasks.image.classifiers",
    "text_classifier": "hubmodels.tasks.text.classifiers",
    "video_classifier": "hubmodels.tasks.video.classifiers",
    "token_classifier": "hubmodels.tasks.text.tagging",
    "image_generator": "hubmodels.tasks.generation.generator",
    "trainable_report": "hubmodels.tasks.report",
    "TaskModel": "hubmodels.tasks.task_model",
    "HubKerasLayer": "hubmodels.hub.keras_layer",
    "fit": "hubmodels.training.fit",
    "data": "hubmodels",
    "datasets": "hubmodels",
    "save_model": "hubmodels.export.save",
    "load_model": "hubmodels.export.save",
    "export_litert": "hubmodels.litert.export",
    "load_litert": "hubmodels.litert.predictor",
}

__all__ = sorted(_PUBLIC)


def _install_zoo_scheme():
    """hubmodels:// in hubmodels.resolve, and in tensorflow_hub once it is imported."""
    from hubmodels.hub import registration
    from hubmodels.zoo import scheme

    scheme.install()
    registration.install()


_install_zoo_scheme()


def __getattr__(name):
    try:
        module_name = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'hubmodels' has no attribute {name!r}") from None
    if module_name == "hubmodels":  # a subpackage, e.g. hubmodels.data
        value = importlib.import_module(f"hubmodels.{name}")
    else:
        value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
