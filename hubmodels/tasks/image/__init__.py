"""The image task: classifiers on classification and feature-vector modules.

Factories (classifiers.py): `image_classifier`, `feature_vector_classifier`, `predict_top_k`.
Augmentation modules as a layer (augmentation.py), export signatures (serving.py), the
`classify`/`train`/`predict` commands (cli.py), the keras-tuner HyperModel (hypermodel.py)
and the quickstart step (quickstart.py). Data: hubmodels.data.from_folder / from_csv.
Names are imported on first use, so the command line starts without TensorFlow.
"""

from hubmodels.lazy import exports

_PUBLIC = {
    "image_classifier": ".classifiers",
    "feature_vector_classifier": ".classifiers",
    "predict_top_k": ".classifiers",
    "AugmentationLayer": ".augmentation",
    "FeatureVectorHyperModel": ".hypermodel",
    # the task interface (see hubmodels.tasks)
    "export_metadata": ".serving",
    "restore_metadata": ".serving",
    "serving_signatures": ".serving",
    "add_commands": ".cli",
    "add_train_arguments": ".cli",
    "train": ".cli",
    "predict": ".cli",
    "quickstart": ".quickstart",
}

__all__ = sorted(_PUBLIC)

__getattr__, __dir__ = exports(__name__, _PUBLIC)
