"""The video task: classifiers on clip modules (I3D) and on image modules run on every frame.

Factory (classifiers.py): `video_classifier`. Real time (stream.py): `VideoStream`, a sliding
window that predicts every `step` frames in a worker thread. Export signatures (serving.py),
the `watch`/`train`/`predict` commands (cli.py), the keras-tuner HyperModel (hypermodel.py)
and the quickstart step (quickstart.py). Data: hubmodels.data.video_clips.
Names are imported on first use, so the command line starts without TensorFlow.
"""

from hubmodels.lazy import exports

# How frame modules' per-frame features become one vector (see classifiers.video_classifier).
TEMPORAL = ("mean", "gru", "lstm", "delta_mean", "delta_gru", "delta_lstm")

_PUBLIC = {
    "video_classifier": ".classifiers",
    "VideoStream": ".stream",
    "VideoHyperModel": ".hypermodel",
    # the task interface (see hubmodels.tasks)
    "export_metadata": ".serving",
    "restore_metadata": ".serving",
    "serving_signatures": ".serving",
    "litert_model": ".serving",
    "litert_signatures": ".serving",
    "add_commands": ".cli",
    "add_train_arguments": ".cli",
    "train": ".cli",
    "predict": ".cli",
    "quickstart": ".quickstart",
}

__all__ = ["TEMPORAL", *sorted(_PUBLIC)]

__getattr__, __dir__ = exports(__name__, _PUBLIC)
