"""LiteRT (TFLite): export task models as self-describing .tflite files and run them.

`export_litert` (export.py) converts, optionally quantized (quantization.py), and puts the
task's metadata inside the file (metadata.py); `load_litert` (predictor.py) runs a .tflite
file on LiteRT (extra `hubmodels[litert]`) behind `predict` / `predict_top_k`; cli.py adds
`hubmodels export-litert` and the `--runtime litert` of classify and predict.
Names are imported on first use.
"""

from hubmodels.lazy import exports

_PUBLIC = {
    "export_litert": ".export",
    "convert": ".export",
    "ConversionError": ".export",
    "load_litert": ".predictor",
    "LiteRTPredictor": ".predictor",
    "MissingRuntimeError": ".predictor",
}

__all__ = sorted(_PUBLIC)

__getattr__, __dir__ = exports(__name__, _PUBLIC)
