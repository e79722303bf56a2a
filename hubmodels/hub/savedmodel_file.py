"""Reads a SavedModel's protos for inspection, without loading (or running) the model.

Works for TF1 Hub modules, TF1 and TF2 SavedModels, including old TF1 models
that TF2's loader refuses: only saved_model.pb and the checkpoint index are read.
Paths go through tf.io.gfile, so remote folders (gs://, ram://) are read in place.
In TF1 graphs, a signature input whose placeholder contradicts the SignatureDef
is described as the placeholder takes it, with a note (see ParsedTensorInfo).
"""

import dataclasses
import os

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
    input_structure: object = None  # a nest of input keys when the call takes one


@dataclasses.dataclass
class MetaGraphInfo:
    """One tag set of the SavedModel."""

    tags: frozenset
    signatures: dict
    trainable_variable_names: list
    reference_variable_names: list  # TF1 ref variables: TF2 loads them as graph state
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

    path: str
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


def _read_proto(folder: str):
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    binary = tf.io.gfile.join(folder, "saved_model.pb")
    text = tf.io.gfile.join(folder, "saved_model.pbtxt")
    try:
        if tf.io.gfile.exists(binary):
            with tf.io.gfile.GFile(binary, "rb") as file:
                proto.ParseFromString(file.read())
        elif tf.io.gfile.exists(text):
            from google.protobuf import text_format

            with tf.io.gfile.GFile(text, "r") as file:
                text_format.Parse(file.read(), proto)
        else:
            raise ModuleFormatError(f"{folder} has no saved_model.pb: it is not a module")
    except ModuleFormatError:
        raise
    except Exception as err:
        raise ModuleFormatError(
            f"{folder}/saved_model.pb is not a readable SavedModel: {err}"
        ) from None
    return proto


def _signature(name, proto, placeholders) -> SignatureInfo:
    inputs = {}
    for key, info in sorted(proto.inputs.items()):
        inputs[key] = ParsedTensorInfo.from_proto(info)
        node = placeholders.get(info.name.split(":")[0])
        if node is not None and not inputs[key].is_sparse:
            inputs[key] = inputs[key].with_graph_tensor(
                tf.TensorShape(node.attr["shape"].shape), node.attr["dtype"].type
            )
    return SignatureInfo(
        name=name,
        inputs=inputs,
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


def _placeholders(graph_proto) -> dict:
    """Placeholder nodes by name in a TF1 graph ({} for TF2 graphs: their functions rule)."""
    if len(graph_proto.object_graph_def.nodes) > 0:
        return {}
    return {
        node.name: node
        for node in graph_proto.graph_def.node
        if node.op in ("Placeholder", "PlaceholderWithDefault") and "shape" in node.attr
    }


def _variable_names(graph_proto, collection, reference_only=False) -> list:
    """Names (no ':0') of the variables in a TF1 graph collection, e.g. 'trainable_variables'."""
    from tensorflow.core.framework import variable_pb2

    names = []
    if collection not in graph_proto.collection_def:
        return names
    for raw in graph_proto.collection_def[collection].bytes_list.value:
        var = variable_pb2.VariableDef()
        var.ParseFromString(raw)
        if not (reference_only and var.is_resource):
            names.append(var.variable_name.split(":")[0])
    return names


def _variables(folder: str) -> list:
    prefix = tf.io.gfile.join(folder, "variables", "variables")
    if not tf.io.gfile.exists(prefix + ".index"):
        return []
    # Not tf.train.load_checkpoint: it asks isdir(prefix), which ram:// answers True.
    reader = tf.compat.v1.train.NewCheckpointReader(prefix)
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    return [
        VariableInfo(name, tuple(shapes[name]), dtypes[name].name)
        for name in sorted(shapes)
        if name != "_CHECKPOINTABLE_OBJECT_GRAPH"
    ]


def read(folder) -> SavedModelFile:
    """Reads the SavedModel in `folder`, local or remote (saved_model.pb, checkpoint index)."""
    folder = os.fspath(folder)
    proto = _read_proto(folder)
    graphs = []
    for graph in proto.meta_graphs:
        placeholders = _placeholders(graph)
        graphs.append(
            MetaGraphInfo(
                tags=frozenset(graph.meta_info_def.tags),
                signatures={
                    name: _signature(name, sig, placeholders)
                    for name, sig in sorted(graph.signature_def.items())
                    if not name.startswith("__")
                },
                trainable_variable_names=_variable_names(graph, "trainable_variables"),
                reference_variable_names=sorted(
                    _variable_names(graph, "variables", reference_only=True)
                    + _variable_names(graph, "local_variables", reference_only=True)
                ),
                has_object_graph=len(graph.object_graph_def.nodes) > 0,
                proto=graph,
            )
        )
    if not graphs:
        raise ModuleFormatError(f"{folder}/saved_model.pb holds no meta graph")
    if tf.io.gfile.exists(tf.io.gfile.join(folder, HUB_MODULE_FILE)):
        kind = "TF1 Hub module"
    elif any(g.has_object_graph for g in graphs):
        kind = "TF2 SavedModel"
    else:
        kind = "TF1 SavedModel"
    return SavedModelFile(folder, kind, graphs, _variables(folder))
