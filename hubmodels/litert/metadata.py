"""The hubmodels metadata inside a .tflite file: a JSON document in the model's own
`metadata` list (TFLite flatbuffer schema: Model.metadata[i] = {name, buffer}), named
"hubmodels", beside the converter's own entries (min_runtime_version, CONVERSION_METADATA).

Keys: format, format_version, hubmodels_version, task, quantization, inputs (per input: name,
shape with -1 for any size, dtype, and for images value_range [0, 1]), outputs (the names of
the signature's outputs, in the model's order), and what the task keeps
(image models: class_names, multi_label, image_size, fast_jpeg). The file alone is enough to
serve; any TFLite runtime ignores the entry.
"""

import json

from hubmodels import __version__
from hubmodels.errors import ModuleFormatError

NAME = "hubmodels"
FORMAT = "hubmodels.litert"
FORMAT_VERSION = 1
_IDENTIFIER = b"TFL3"  # the file identifier of TFLite flatbuffers
# What the values of each task's inputs range over (hubmodels' image models take [0, 1]).
VALUE_RANGES = {"image": [0.0, 1.0], "video": [0.0, 1.0]}


def describe(task: str, quantization: str, inputs: list, outputs: list, metadata: dict) -> dict:
    """The metadata of a conversion of a model of `task`.

    inputs: (name, shape, dtype name) per model input; shape with None for any size.
    outputs: the names of the outputs of the file's signature, in the model's order.
    metadata: what the task keeps (its export_metadata).
    """
    value_range = VALUE_RANGES.get(task)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "hubmodels_version": __version__,
        "task": task,
        "quantization": quantization,
        "inputs": [
            {
                "name": name,
                "shape": [-1 if d is None else int(d) for d in shape],
                "dtype": dtype,
                **({"value_range": value_range} if value_range else {}),
            }
            for name, shape, dtype in inputs
        ],
        "outputs": list(outputs),
        **metadata,
    }


def write(content: bytes, metadata: dict) -> bytes:
    """The flatbuffer `content` with `metadata` as its "hubmodels" entry (replacing one)."""
    import flatbuffers
    import numpy as np
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
    if any(buffer.offset for buffer in model.buffers or []):
        raise ModuleFormatError(
            "the converted model keeps its weights outside the flatbuffer (over 2 GB): "
            "hubmodels cannot add its metadata to it"
        )
    data = np.frombuffer(json.dumps(metadata).encode("utf-8"), np.uint8)
    entries = [m for m in model.metadata or [] if _text(m.name) == NAME]
    if entries:  # its buffer takes the new document: buffers are referred to by index
        model.buffers[entries[0].buffer].data = data
    else:
        buffer = schema.BufferT()
        buffer.data = data
        model.buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name = NAME
        entry.buffer = len(model.buffers) - 1
        model.metadata = [*(model.metadata or []), entry]
    builder = flatbuffers.Builder(len(content) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=_IDENTIFIER)
    return bytes(builder.Output())


def read(content: bytes, origin: str) -> dict | None:
    """The "hubmodels" entry of the flatbuffer `content`, or None when it has none.

    origin: the file, named in errors. Reads with the schema that LiteRT ships.
    """
    from ai_edge_litert import schema_py_generated as schema

    if content[4:8] != _IDENTIFIER:
        raise ModuleFormatError(f"{origin} is not a TFLite/LiteRT model (no TFL3 identifier)")
    model = schema.Model.GetRootAs(content, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if _text(entry.Name()) == NAME:
            return _parsed(model.Buffers(entry.Buffer()).DataAsNumpy().tobytes(), origin)
    return None


def _parsed(data: bytes, origin: str) -> dict:
    try:
        metadata = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ModuleFormatError(f"{origin}: its hubmodels metadata is no JSON: {err}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModuleFormatError(f"{origin}: its {NAME!r} metadata is not hubmodels' own")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ModuleFormatError(
            f"{origin} holds hubmodels metadata of format version "
            f"{metadata.get('format_version')}; this hubmodels reads version {FORMAT_VERSION}"
        )
    return metadata


def _text(name) -> str:
    return name.decode("utf-8") if isinstance(name, bytes) else str(name or "")
