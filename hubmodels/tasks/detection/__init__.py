"""The detection task: object and face detectors with TF Hub's detector interfaces.

`object_detector(handle)` (detector.py) gives an ObjectDetector whose `detect(images)` takes
a batch of images of any sizes and returns one `Detections` (records.py) per image; the
module's interface is read from its signature (interface.py), inputs are checked and
converted (images.py), detections are selected in the graph (selection.py). drawing.py draws
them; serving.py exports a detector serving encoded images; cli.py has `hubmodels detect`;
quickstart.py the quickstart step. Detection has no training: no `train` hooks.
Names are imported on first use, so the command line starts without TensorFlow.
"""

from hubmodels.lazy import exports

_PUBLIC = {
    "object_detector": ".detector",
    "ObjectDetector": ".detector",
    "Detections": ".records",
    "draw_detections": ".drawing",
    "save_detector": ".serving",
    "load_detector": ".serving",
    "MAX_SIDE": ".images",
    # the task interface (see hubmodels.tasks)
    "export_metadata": ".serving",
    "restore_metadata": ".serving",
    "serving_signatures": ".serving",
    "load_export": ".serving",
    "add_commands": ".cli",
    "predict": ".cli",
    "quickstart": ".quickstart",
}

__all__ = sorted(_PUBLIC)

__getattr__, __dir__ = exports(__name__, _PUBLIC)
