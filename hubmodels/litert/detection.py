"""LiteRT for detectors: an ObjectDetector as a .tflite file, and `detect` on its predictor.

    hubmodels.export_litert(object_detector(handle, min_score=0.3), "detector.tflite")
    hubmodels.load_litert("detector.tflite").detect([photo, other])   # one Detections each

The file's signature "serving_default" runs the detector's own one-image function (module
call and its selection: min_score, classes, nms_iou, max_detections, padding):
  images uint8 [1, height, width, 3] (any size; a module of a fixed size resizes inside)
  -> detection_boxes float32 [1, K, 4], detection_scores float32 [1, K],
     detection_classes int64 [1, K], num_detections int32 [1],
     detection_keypoints float32 [1, K, P, 2] (modules with keypoints).
Strings are no LiteRT tensors: class names and entities stay out of the graph, and the
hubmodels metadata holds the detection task's export metadata plus `labels`, the module's
label map [[class id, name, entity], ...] read from the string constants of its graph, so
that the file alone gives the records ObjectDetector.detect gives. Classes selected by name
are selected by their ids in the file. Ops without a LiteRT builtin kernel (MTCNN's area
resizes and crops, float64 arithmetic) raise ConversionError naming each op and where it is.
"""

import dataclasses

import numpy as np

from hubmodels import tasks
from hubmodels._keras import tf
from hubmodels.litert import metadata
from hubmodels.litert.quantization import configure, mode_of
from hubmodels.tasks.detection import images as image_checks
from hubmodels.tasks.detection import interface
from hubmodels.tasks.detection.records import from_padded

TASK = "detection"
INPUT = "images"
LABEL_PROBE_SIZE = (64, 64)  # pixels of the noise image the label map is checked on
LABEL_PROBE_DETECTIONS = 1000


def convert(detector, quantization=None, representative_data=None, **options) -> bytes:
    """The .tflite flatbuffer of `detector` (an ObjectDetector), with hubmodels metadata.

    quantization: None (float32), "float16", "dynamic" or "int8" (hubmodels.litert.quantization;
      int8 needs representative_data: uint8 images [n, h, w, 3] of one size).
    options: none are taken (as the detection export).
    """
    from hubmodels.litert.export import ConversionError, run_converter

    mode = mode_of(quantization)
    task_metadata = tasks.get(TASK).export_metadata(detector, **options)
    loaded = detector.module.loaded_object
    if detector.module.runs_in_session or loaded is None:
        raise ConversionError(
            f"cannot convert a detector of module {detector.handle} to LiteRT: it runs in a TF1 "
            "graph session (TF2 could not load it)"
        )
    # Classes chosen by name need the label map first; else the ops are checked first.
    labels = label_map(detector) if detector.selection.class_texts else None
    function = _serving_function(_by_ids(detector, labels))
    root = tf.Module()
    root.module = loaded  # the converter saves it with the function: its variables go along
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], root)
    configure(converter, mode, representative_data, list(function.structured_input_signature[0]))
    content = run_converter(converter, lambda err: _refused(err, detector.handle, mode))
    labels = labels or label_map(detector)
    outputs = list(function.structured_outputs)
    inputs = [(INPUT, [1, None, None, 3], "uint8")]
    described = metadata.describe(TASK, mode, inputs, outputs, {**task_metadata, "labels": labels})
    return metadata.write(content, described)


def detect(predictor, images) -> list:
    """images (a list of images of any sizes or a batch, as ObjectDetector.detect takes)
    -> one Detections per image, run one at a time on the LiteRT `predictor`."""
    from hubmodels.errors import InputError

    if predictor.task != TASK or not predictor.metadata:
        raise InputError(
            f"{predictor.origin} is a LiteRT model of task {predictor.task!r}, not a detector "
            "(export one with export_litert(object_detector(...), path))"
        )
    names, entities = {}, {}
    for class_id, name, entity in predictor.metadata["labels"] or []:
        names[class_id], entities[class_id] = name, entity
    records = []
    for array in image_checks.as_rgb_list(images):
        if array.dtype != np.uint8:  # float in [0, 1]: the file takes 0-255
            array = np.round(array * 255.0).astype(np.uint8)
        found = predictor.predict(array[None])
        padded = {key: value[0] for key, value in zip(predictor.metadata["outputs"], found)}
        classes = padded["detection_classes"].tolist()
        padded[interface.NAMES] = np.array([names.get(c, "").encode() for c in classes])
        padded[interface.ENTITIES] = np.array([entities.get(c, "").encode() for c in classes])
        records.append(from_padded(padded, array.shape[:2]))
    return records


def label_map(detector) -> list | None:
    """[[class id, name, entity], ...] of a module that returns class names or entities
    (None for one that returns neither), from a 1-D string constant of its graph per output.

    Which constant, and its first class id, is found from the module's raw detections of a
    noise image: every (class, name) pair seen there must agree with it.
    ConversionError when no constant agrees (names computed otherwise, or none detected).
    """
    from hubmodels.litert.export import ConversionError
    from hubmodels.tasks.detection.detector import object_detector

    spec = detector.spec
    if not (spec.names or spec.entities):
        return None
    probe = np.random.default_rng(0).integers(0, 256, (*LABEL_PROBE_SIZE, 3), dtype=np.uint8)
    every = object_detector(
        detector.module, detector.signature, max_detections=LABEL_PROBE_DETECTIONS
    )
    seen = every.detect([probe])[0]
    constants = _string_constants(detector)
    columns = {}
    for key, texts in (("names", seen.names), ("entities", seen.entities)):
        if not getattr(spec, key):
            columns[key] = {}
            continue
        columns[key] = _aligned(constants, seen.classes.tolist(), texts)
        if columns[key] is None:
            raise ConversionError(
                f"cannot convert a detector of module {detector.handle} to LiteRT: its class "
                f"{key} are strings (no LiteRT tensors) and no list of them by class id was "
                f"found in its graph ({len(seen)} detections of a noise image checked)"
            )
    ids = sorted(set(columns["names"]) | set(columns["entities"]))
    return [[i, columns["names"].get(i, ""), columns["entities"].get(i, "")] for i in ids]


def _nodes(function) -> list:
    """The NodeDefs of a concrete function's graph and of every function it calls."""
    definition = function.graph.as_graph_def()
    return [*definition.node, *(n for f in definition.library.function for n in f.node_def)]


def _string_constants(detector) -> list:
    """Every 1-D string constant (a list of str) in the graph of the module's call."""
    image = tf.TensorSpec([1, None, None, 3], detector.spec.image_dtype)
    found = []
    for node in _nodes(tf.function(detector._call, autograph=False).get_concrete_function(image)):
        if node.op == "Const" and node.attr["dtype"].type == tf.string.as_datatype_enum:
            value = tf.make_ndarray(node.attr["value"].tensor)
            if value.ndim == 1 and len(value):
                found.append([v.decode("utf-8") for v in value])
    return found


def _aligned(constants: list, classes: list, texts: list) -> dict | None:
    """{class id: text} of the first constant in which text of class c is at c - offset for
    one offset and every seen pair; None if none is (or nothing was seen)."""
    if not classes:
        return None
    for values in constants:
        for offset in {classes[0] - i for i, v in enumerate(values) if v == texts[0]}:
            if all(
                0 <= c - offset < len(values) and values[c - offset] == t
                for c, t in zip(classes, texts)
            ):
                return {offset + i: v for i, v in enumerate(values)}
    return None


def _by_ids(detector, labels):
    """`detector` with classes chosen by name chosen by their ids (no strings in the graph)."""
    from hubmodels.tasks.detection.detector import ObjectDetector

    selection = detector.selection
    if not selection.class_texts:
        return detector
    texts = set(selection.class_texts)
    ids = {i for i, name, entity in labels if name in texts or entity in texts}
    chosen = dataclasses.replace(
        selection, class_ids=tuple(sorted(ids | set(selection.class_ids))), class_texts=()
    )
    if not chosen.class_ids:  # no class has those names: nothing may be detected
        chosen = dataclasses.replace(chosen, min_score=float("inf"))
    return ObjectDetector(detector.module, detector.signature, chosen)


def _serving_function(detector):
    """The concrete function images uint8 [1, h, w, 3] -> the numeric padded detections."""
    numeric = {k: v for k, v in detector.output_signature().items() if v.dtype != tf.string}

    @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.uint8, name=INPUT)])
    def serve(images):
        # detect_one(images[0]) without slicing the image and adding its batch dimension
        # back: LiteRT's STRIDED_SLICE takes ~7 ms per 600x512 image each (measured).
        padded = detector.selection.select(detector._call(images))
        return {key: padded[key][None] for key in numeric}

    return serve.get_concrete_function()


def _refused(err, handle: str, mode: str) -> str:
    """What the converter refused: each op with where it lies (the module's function and
    the node's scope), e.g. "tf.ResizeArea (in 'detect', at 'while/resize')"."""
    from hubmodels.litert.export import refused_ops

    found = refused_ops(err, _where)
    named = [f"{op} ({found[op]})" if found[op] else op for op in sorted(found)]
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    reason = "; ".join(named) or (lines[0] if lines else "the converter gave no reason")
    if mode == "int8":
        return (
            f"cannot convert the detector of module {handle} to LiteRT int8: no int8 kernel "
            f'for {reason}; quantization="dynamic" or "float16" keeps those ops in float'
        )
    return (
        f"cannot convert the detector of module {handle} to LiteRT: no LiteRT builtin kernel "
        f"for {reason}; serve it with TensorFlow (object_detector, save_detector)"
    )


def _where(location) -> str | None:
    """Where the converter located an op, as "in 'FUNCTION', at 'SCOPE'": the innermost
    function of the module that is no while-loop body, and the scope of the op's node."""
    calls = [call.name.split("@") for call in getattr(location, "call", []) if "@" in call.name]
    if not calls:
        return None
    scope = calls[0][0].rpartition("/")[0]
    functions = [f for _, f in calls if not f.startswith("__inference_while_")] or [calls[0][1]]
    function = functions[0].removeprefix("__inference_").rstrip("0123456789").rstrip("_")
    return f"in {function!r}" + (f", at {scope!r}" if scope else "")
