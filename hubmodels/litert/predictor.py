"""`load_litert`: a .tflite file as a predictor with the surface of the Keras task models.

    predictor = hubmodels.load_litert("flowers.tflite", threads=2)
    predictor.predict(images)             # float32 [n, 224, 224, 3] in [0, 1] -> [n, classes]
    predictor.predict_top_k(images, k=5)  # per image [(label, score), ...], best first
    predictor.class_names, predictor.image_size, predictor.task
    predictor.signatures                  # ["serving_default", ...]: the file's signatures
    predictor.run("frame_features", {"frames": frames})  # {"features": array}: one signature

It runs on LiteRT (the `ai-edge-litert` package, extra `hubmodels[litert]`) with its default
XNNPACK CPU delegate on `threads` threads. The task's attributes come from the hubmodels
metadata inside the file (hubmodels.litert.metadata). A file without it still runs: one
warning says so, classes are named class_0, class_1, ..., and a model with one image input
[batch, h, w, 3] is served as an image classifier. Inputs and outputs of integer type are
(de)quantized with the tensor's scale and zero point, so callers pass and get real values.
`predict` runs the signature "serving_default" (or the file's only one); `run` any other
(a video frame model's file also has "frame_features" and "temporal_head").
"""

import logging
from pathlib import Path

import numpy as np

from hubmodels import tasks
from hubmodels.errors import HubModelsError, InputError, ModuleFormatError
from hubmodels.litert import metadata

log = logging.getLogger(__name__)
SIGNATURE = "serving_default"


class MissingRuntimeError(HubModelsError, ImportError):
    """LiteRT (ai-edge-litert) is not installed."""


def interpreter_class():
    """LiteRT's Interpreter class; MissingRuntimeError naming the extra when it is absent."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise MissingRuntimeError(
            "running .tflite models needs LiteRT: pip install 'hubmodels[litert]' "
            "(the ai-edge-litert package)"
        ) from None
    return Interpreter


def load_litert(path, threads=2) -> "LiteRTPredictor":
    """The predictor of the .tflite file `path`, running on `threads` CPU threads."""
    path = Path(path)
    if not path.is_file():
        raise ModuleFormatError(f"no LiteRT model at {path}: expected a .tflite file")
    return LiteRTPredictor(path.read_bytes(), str(path), threads)


class LiteRTPredictor:
    """A .tflite model (bytes `content`, named `origin` in messages) behind `predict` and
    `predict_top_k`, on a LiteRT interpreter with `threads` threads.

    Attributes: task (None when unknown), metadata (None without hubmodels metadata),
    quantization, threads, signatures, and what the task keeps (images: class_names,
    multi_label, image_size, fast_jpeg).
    """

    def __init__(self, content: bytes, origin: str = "<bytes>", threads: int = 2):
        interpreter = interpreter_class()
        if int(threads) < 1:
            raise InputError(f"threads={threads}: expected an integer >= 1")
        self.origin = origin
        self.threads = int(threads)
        self.metadata = metadata.read(content, origin)
        try:
            self._interpreter = interpreter(model_content=content, num_threads=self.threads)
        except ValueError as err:
            raise ModuleFormatError(f"LiteRT cannot load {origin}: {err}") from None
        self._runners = {}  # signature -> its runner, once it ran (the first run logs)
        self._signatures = tuple(sorted(self._interpreter.get_signature_list()))
        self._signature = self._default_signature()
        self._inputs, self._outputs = self._tensors()
        self._shapes = None
        self.quantization = (self.metadata or {}).get("quantization")
        if self.metadata is None:
            self._describe_foreign()
        else:
            self.task = self.metadata["task"]
            tasks.get(self.task).restore_metadata(self, self.metadata)

    @property
    def input_shapes(self) -> list:
        """Per input, its shape as a tuple with None for any size, e.g. (None, 224, 224, 3)."""
        return [
            tuple(None if int(d) == -1 else int(d) for d in details["shape_signature"])
            for details in self._inputs
        ]

    @property
    def signatures(self) -> list:
        """The names of the file's signatures, sorted ([] for a file converted without)."""
        return list(self._signatures)

    def run(self, signature: str, inputs: dict) -> dict:
        """Outputs {name: array} of the file's signature `signature` on `inputs`
        {name: array} in one run (any batch size the signature takes); integer tensors
        take and give real values. InputError for an unknown signature or inputs."""
        runner = self._runners.get(signature) or self._runner(signature)
        details = runner.get_input_details()
        if set(inputs) != set(details):
            raise InputError(
                f"signature {signature!r} of {self.origin} takes inputs {sorted(details)}, "
                f"got {sorted(inputs)}"
            )
        arrays = {}
        for name, array in inputs.items():
            array = np.asarray(array)
            _check_shape({**details[name], "name": name}, array.shape, self.origin)
            arrays[name] = _quantized(array, details[name])
        if signature in self._runners:
            outputs = runner(**arrays)
        else:
            from hubmodels._keras import native_stderr_held

            with native_stderr_held():  # the first one logs XNNPACK's INFO line (CLI: held)
                outputs = runner(**arrays)
            self._runners[signature] = runner
        found = runner.get_output_details()
        return {name: _real(array, found[name]) for name, array in outputs.items()}

    def predict(self, x, batch_size=32, verbose=0):
        """Outputs for inputs `x` (an array [n, ...], or a list of arrays, one per input),
        `batch_size` at a time: an array [n, ...], or a list for several outputs.
        verbose: accepted for Keras' signature; nothing is printed."""
        inputs = [np.asarray(a) for a in (x if isinstance(x, (list, tuple)) else [x])]
        if len(inputs) != len(self._inputs):
            raise InputError(
                f"{self.origin} takes {len(self._inputs)} input(s) "
                f"({', '.join(d['name'] for d in self._inputs)}), got {len(inputs)}"
            )
        count = len(inputs[0])
        chunks = [
            self._run([a[start : start + batch_size] for a in inputs])
            for start in range(0, count, int(batch_size))
        ]
        outputs = [np.concatenate(parts) for parts in zip(*chunks)] if chunks else []
        return outputs[0] if len(outputs) == 1 else outputs

    def predict_top_k(self, images, k=5, batch_size=32):
        """Per image, the k most probable (label, score) pairs, best first (as
        hubmodels.predict_top_k). images: float32 [n, h, w, 3] in [0, 1] at `image_size`."""
        from hubmodels.tasks.image.classifiers import predict_top_k

        return predict_top_k(self, images, k=k, batch_size=batch_size)

    def detect(self, images) -> list:
        """A detector file's Detections, one per image (a list of any sizes or a batch, as
        ObjectDetector.detect takes); see hubmodels.litert.detection."""
        from hubmodels.litert.detection import detect

        return detect(self, images)

    def _runner(self, signature: str):
        """LiteRT's runner of the signature `signature`; InputError naming those there are."""
        if signature not in self.signatures:
            raise InputError(
                f"{self.origin} has no signature {signature!r}; it has "
                f"{', '.join(self.signatures) or 'none'}"
            )
        return self._interpreter.get_signature_runner(signature)

    def _default_signature(self):
        """The signature `predict` runs: serving_default, else the only or first one; None
        for a file converted without signatures (TF1 converters)."""
        signatures = self.signatures
        return SIGNATURE if SIGNATURE in signatures else next(iter(signatures), None)

    def _tensors(self):
        """(input details, output details) in the model's order: the metadata's names."""
        interpreter = self._interpreter
        if self._signature is None:
            return interpreter.get_input_details(), interpreter.get_output_details()
        runner = interpreter.get_signature_runner(self._signature)
        inputs, outputs = runner.get_input_details(), runner.get_output_details()
        if self.metadata is not None:
            input_names = [x["name"] for x in self.metadata["inputs"]]
            output_names = self.metadata["outputs"]
        else:
            input_names, output_names = sorted(inputs), sorted(outputs)
        named = [
            [{**details[name], "name": name} for name in names]
            for details, names in ((inputs, input_names), (outputs, output_names))
        ]
        return named[0], named[1]

    def _describe_foreign(self) -> None:
        """Attributes of a file without hubmodels metadata; one warning says so."""
        shape = [int(d) for d in self._inputs[0]["shape_signature"]]
        image_like = len(self._inputs) == 1 and len(shape) == 4 and shape[3] == 3
        self.task = "image" if image_like else None
        self.class_names = None
        self.multi_label = False
        self.image_size = tuple(shape[1:3]) if image_like else None
        self.fast_jpeg = False
        log.warning(
            "%s has no hubmodels metadata: classes are named class_0, class_1, ... and inputs "
            "go in as given%s",
            self.origin,
            " (served as an image classifier)" if image_like else "",
        )

    def _run(self, batch: list) -> list:
        """Outputs of one batch: a list of arrays, one per output."""
        if len(self._signatures) > 1:  # the default's subgraph need not be the file's first
            outputs = self.run(self._signature, {d["name"]: a for d, a in zip(self._inputs, batch)})
            return [outputs[d["name"]] for d in self._outputs]
        # One subgraph: set and invoke it directly, allocating only when shapes change (a
        # signature runner allocates on every call: 5% slower on EfficientNet-Lite0)
        interpreter = self._interpreter
        shapes = [a.shape for a in batch]
        if shapes != self._shapes:
            for details, shape in zip(self._inputs, shapes):
                _check_shape(details, shape, self.origin)
                interpreter.resize_tensor_input(details["index"], shape, strict=True)
            from hubmodels._keras import native_stderr_held

            with native_stderr_held():  # the first one logs XNNPACK's INFO line (CLI: held)
                interpreter.allocate_tensors()
            self._shapes = shapes
        for details, array in zip(self._inputs, batch):
            interpreter.set_tensor(details["index"], _quantized(array, details))
        interpreter.invoke()
        return [_real(interpreter.get_tensor(d["index"]), d) for d in self._outputs]


def _check_shape(details, shape, origin) -> None:
    expected = [int(d) for d in details["shape_signature"]]
    if len(shape) != len(expected) or any(e not in (-1, s) for e, s in zip(expected, shape)):
        wanted = ", ".join("any" if e == -1 else str(e) for e in expected)
        raise InputError(
            f"{origin} takes {details['name']!r} of shape [{wanted}], got {list(shape)}"
        )


def _quantized(array, details):
    """`array` as the input tensor's dtype: integer tensors get real values quantized."""
    dtype = details["dtype"]
    scale, zero_point = details["quantization"]
    if np.issubdtype(dtype, np.integer) and scale:
        info = np.iinfo(dtype)
        array = np.clip(np.round(array / scale + zero_point), info.min, info.max)
    return np.ascontiguousarray(array, dtype=dtype)


def _real(array, details):
    """An output tensor as real values (integer tensors dequantized)."""
    scale, zero_point = details["quantization"]
    if np.issubdtype(array.dtype, np.integer) and scale:
        return (array.astype(np.float32) - zero_point) * scale
    return array
