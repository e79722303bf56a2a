"""Reads a SavedModel's protos for inspection, without loading (or running) the model.

Works for TF1 Hub modules, TF1 and TF2 SavedModels, including old TF1 models
that TF2's loader refuses: only saved_model.pb and the checkpoint index are read.
"""

import dataclasses
from pathlib import Path

from hubmodels._keras import tf
from hubmodels.errors import ModuleFormatError, SignatureError
from hubmodels.hub.tensor_info import ParsedTensorInfo

HUB_MODULE_FILE = "tfhub_module.pb"


@dataclasses.dataclass
class SignatureInfo:
    """One SignatureDef: inputs and outputs by key, with their graph tensor names."""

    name: str
    inputs: dict
    outputs: dict
    input_tensors: dict
    output_tensors: dict


@dataclasses.dataclass
class MetaGraphInfo:
    """One tag set of the SavedModel."""

    tags: frozenset
    signatures: dict
    trainable_variable_names: list
    has_object_graph: bool
    proto: object = dataclasses.field(repr=False)


@dataclasses.dataclass
class VariableInfo:
    name: str
    shape: tuple
    dtype: str

    @property
    def num_bytes(self) -> int:
        dtype = tf.as_dtype(self.dtype)
        count = 1
        for dim in self.shape:
            count *= dim
        return count * (dtype.size if dtype != tf.string else 0)


@dataclasses.dataclass
class SavedModelFile:
    """What a SavedModel folder holds, read from its files."""

    path: Path
    format: str
    meta_graphs: list
    variables: list

    def tag_sets(self) -> list:
        return [set(graph.tags) for graph in self.meta_graphs]

    def meta_graph(self, tags=None) -> MetaGraphInfo:
        """The meta graph of `tags`; None picks the module's natural default."""
        if tags is None:
            tags = self.default_tags()
        wanted = frozenset(tags)
        for graph in self.meta_graphs:
            if graph.tags == wanted:
                return graph
        available = ", ".join(_tags_text(g.tags) for g in self.meta_graphs)
        raise SignatureError(
            f"module {self.path} has no tag set {_tags_text(wanted)}; available: {available}"
        )

    def default_tags(self) -> frozenset:
        tag_sets = [graph.tags for graph in self.meta_graphs]
        for preferred in (frozenset(), frozenset({"serve"})):
            if preferred in tag_sets:
                return preferred
        if len(tag_sets) == 1:
            return tag_sets[0]
        available = ", ".join(_tags_text(t) for t in tag_sets)
        raise SignatureError(f"module {self.path} has several tag sets; choose one of {available}")


def _tags_text(tags) -> str:
    return "{" + ", ".join(repr(t) for t in sorted(tags)) + "}"


def _read_proto(folder: Path):
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    binary = folder / "saved_model.pb"
    text = folder / "saved_model.pbtxt"
    try:
        if binary.is_file():
            proto.ParseFromString(binary.read_bytes())
        elif text.is_file():
            from google.protobuf import text_format

            text_format.Parse(text.read_text(), proto)
        else:
            raise ModuleFormatError(f"{folder} has no saved_model.pb: it is not a module")
    except ModuleFormatError:
        raise
    except Exception as err:
        raise ModuleFormatError(
            f"{folder}/saved_model.pb is not a readable SavedModel: {err}"
        ) from None
    return proto


def _signature(name, proto) -> SignatureInfo:
    return SignatureInfo(
        name=name,
        inputs={k: ParsedTensorInfo.from_proto(v) for k, v in sorted(proto.inputs.items())},
        outputs={k: ParsedTensorInfo.from_proto(v) for k, v in sorted(proto.outputs.items())},
        input_tensors={k: _tensor_name(v) for k, v in proto.inputs.items()},
        output_tensors={k: _tensor_name(v) for k, v in proto.outputs.items()},
    )


def _tensor_name(info) -> object:
    if info.WhichOneof("encoding") == "coo_sparse":
        sparse = info.coo_sparse
        return (
            sparse.indices_tensor_name,
            sparse.values_tensor_name,
            sparse.dense_shape_tensor_name,
        )
    return info.name


def _trainable_names(graph_proto) -> list:
    from tensorflow.core.framework import variable_pb2

    collection = graph_proto.collection_def.get("trainable_variables")
    if collection is None:
        return []
    names = []
    for raw in collection.bytes_list.value:
        var = variable_pb2.VariableDef()
        var.ParseFromString(raw)
        names.append(var.variable_name.split(":")[0])
    return names


def _variables(folder: Path) -> list:
    index = folder / "variables" / "variables.index"
    if not index.is_file():
        return []
    reader = tf.train.load_checkpoint(str(folder / "variables" / "variables"))
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    return [
        VariableInfo(name, tuple(shapes[name]), dtypes[name].name)
        for name in sorted(shapes)
        if name != "_CHECKPOINTABLE_OBJECT_GRAPH"
    ]


def read(folder) -> SavedModelFile:
    """Reads the SavedModel in `folder` (saved_model.pb and the checkpoint index)."""
    folder = Path(folder)
    proto = _read_proto(folder)
    graphs = []
    for graph in proto.meta_graphs:
        graphs.append(
            MetaGraphInfo(
                tags=frozenset(graph.meta_info_def.tags),
                signatures={
                    name: _signature(name, sig)
                    for name, sig in sorted(graph.signature_def.items())
                    if not name.startswith("__")
                },
                trainable_variable_names=_trainable_names(graph),
                has_object_graph=len(graph.object_graph_def.nodes) > 0,
                proto=graph,
            )
        )
    if not graphs:
        raise ModuleFormatError(f"{folder}/saved_model.pb holds no meta graph")
    if (folder / HUB_MODULE_FILE).is_file():
        kind = "TF1 Hub module"
    elif any(g.has_object_graph for g in graphs):
        kind = "TF2 SavedModel"
    else:
        kind = "TF1 SavedModel"
    return SavedModelFile(folder, kind, graphs, _variables(folder))
