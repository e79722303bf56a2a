"""Writes modules in the TF1 Hub format (a TF1 SavedModel plus `tfhub_module.pb`).

tensorflow_hub 0.16 dropped `hub.create_module_spec` and `Module.export`; this
file replaces them for the graphs our zoo builds. `module_fn` builds a TF1 graph
with tf.compat.v1 ops and declares what it exposes:

    def module_fn(is_training=False):
        images = tf.compat.v1.placeholder(tf.float32, [None, 32, 32, 3])
        features = my_network(images, is_training)
        add_signature("default", {"images": images}, {"default": features})

    write_module(path, module_fn, tags_and_args=[(set(), {}), ({"train"}, {"is_training": True})])

Each tag set is built in a fresh graph. The variables of the first one are
initialised (graph-level seed `seed`) and saved; the others must create the same
variables and share that checkpoint. Lookup tables and local variables are
initialised by the module's main op, which both TF2's `tf.saved_model.load` (and
`hub.load`) and TF1's `tf.compat.v1.saved_model.loader.load` run on load, with
the asset paths of the loaded copy fed in.
"""

import contextlib
import contextvars
import dataclasses
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from hubmodels._keras import tf
from hubmodels.errors import ModuleFormatError

v1 = tf.compat.v1

HUB_MODULE_FILE = "tfhub_module.pb"
# ModuleDef{format: FORMAT_V3}, the only format tensorflow_hub ever loaded.
MODULE_DEF_V3 = b"\x08\x03"
# Where tensorflow_hub kept `hub.attach_message` values: serialized ModuleAttachment protos.
ATTACHMENTS_COLLECTION = "hub_module_attachments"
# What the stored graph holds in place of an asset's path; loaders feed the real one.
ASSET_PLACEHOLDER_PREFIX = "SAVEDMODEL-ASSET/"


@dataclasses.dataclass
class _GraphBuild:
    """What `module_fn` declared while building one graph."""

    graph: tf.Graph
    staged_assets: dict
    main_op: object = None
    signatures: dict = dataclasses.field(default_factory=dict)
    asset_tensors: dict = dataclasses.field(default_factory=dict)
    attachments: dict = dataclasses.field(default_factory=dict)


_CURRENT: contextvars.ContextVar = contextvars.ContextVar("hubmodels_tf1_graph_build", default=None)


def _current(what: str) -> _GraphBuild:
    build = _CURRENT.get()
    if build is None or v1.get_default_graph() is not build.graph:
        raise ModuleFormatError(f"{what} must be called inside the module_fn given to write_module")
    return build


# Calls for module_fn --------------------------------------------------------


def add_signature(name="default", inputs=None, outputs=None):
    """Declares a signature of the graph being built.

    inputs, outputs: a Tensor or SparseTensor (stored under the key "default"),
      or a dict name -> Tensor/SparseTensor. Inputs are normally placeholders
      (`tf.compat.v1.sparse_placeholder` gives an input with is_sparse=True).
    """
    build = _current("add_signature()")
    if not isinstance(name, str) or not name:
        raise ModuleFormatError(f"signature name must be a non-empty string, got {name!r}")
    if name in build.signatures:
        raise ModuleFormatError(f"signature {name!r} is added twice in the same graph")
    inputs = _as_tensor_dict(inputs, f"inputs of signature {name!r}")
    outputs = _as_tensor_dict(outputs, f"outputs of signature {name!r}")
    if not outputs:
        raise ModuleFormatError(f"signature {name!r} has no outputs")
    build.signatures[name] = v1.saved_model.signature_def_utils.build_signature_def(
        inputs={key: v1.saved_model.utils.build_tensor_info(t) for key, t in inputs.items()},
        outputs={key: v1.saved_model.utils.build_tensor_info(t) for key, t in outputs.items()},
    )


def asset_path(filename) -> tf.Tensor:
    """A scalar string tensor holding the path of asset `filename` in the loaded module.

    `filename` is the name of one of the `assets` given to write_module. Use it
    to initialise lookup tables (e.g. `tf.compat.v1.lookup.TextFileInitializer`):
    the loaders feed the path of the module's own `assets/` copy when they run
    the module's initialisers, so the module can be moved or copied.
    """
    build = _current("asset_path()")
    filename = str(filename)
    if filename not in build.staged_assets:
        raise ModuleFormatError(
            f"asset {filename!r} is not among the module's assets "
            f"{sorted(build.staged_assets) or '(none)'}"
        )
    if filename not in build.asset_tensors:
        with v1.name_scope(None):
            tensor = tf.constant(str(build.staged_assets[filename]), name="asset_path")
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, tensor)
        build.asset_tensors[filename] = tensor
    return build.asset_tensors[filename]


def attach_message(key, text_or_bytes):
    """Stores a message under `key` in the graph being built (hub's attached messages).

    Read it back with `read_attached_message(module_dir, key)`.
    """
    build = _current("attach_message()")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", str(key)):
        raise ModuleFormatError(
            f"attached message key {key!r} must start with a letter and hold only "
            "letters, digits and underscores"
        )
    value = text_or_bytes.encode() if isinstance(text_or_bytes, str) else bytes(text_or_bytes)
    build.attachments[key] = value


# Writing ---------------------------------------------------------------------


def write_module(
    export_dir, module_fn, tags_and_args=((set(), {}),), assets=(), overwrite=False, seed=0
):
    """Writes a TF1 Hub format module built by `module_fn` into `export_dir`.

    export_dir: created, or an existing empty directory (any other existing
      directory needs overwrite=True). The module is written beside it and
      renamed into place, so readers never see a half-written module.
    module_fn: called as `module_fn(**args)` in a fresh graph for each
      (tags, args) of `tags_and_args`; it calls `add_signature` at least once.
    assets: file paths, or a mapping filename -> file contents (bytes), copied
      to the module's `assets/`; `asset_path(filename)` refers to them.
    seed: graph-level random seed, so the saved weights are deterministic.
    """
    _write(export_dir, module_fn, tags_and_args, assets, overwrite, seed, hub_format=True)


def write_saved_model(
    export_dir, module_fn, tags_and_args=(({"serve"}, {}),), assets=(), overwrite=False, seed=0
):
    """Like `write_module`, for a plain TF1 SavedModel (no tfhub_module.pb, tag "serve")."""
    _write(export_dir, module_fn, tags_and_args, assets, overwrite, seed, hub_format=False)


def read_attached_message(module_dir, key, tags=()) -> bytes | None:
    """The message attached under `key` to the graph of `tags`, or None."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((Path(module_dir) / "saved_model.pb").read_bytes())
    for meta_graph in proto.meta_graphs:
        if set(meta_graph.meta_info_def.tags) != set(tags):
            continue
        collection = meta_graph.collection_def.get(ATTACHMENTS_COLLECTION)
        for raw in collection.bytes_list.value if collection else ():
            attachment = _module_attachment_class()()
            attachment.ParseFromString(raw)
            if attachment.key == key:
                return attachment.value
        return None
    raise ModuleFormatError(f"module {module_dir} has no tag set {sorted(tags)}")


def _write(export_dir, module_fn, tags_and_args, assets, overwrite, seed, hub_format):
    export_dir = Path(export_dir)
    _check_target(export_dir, overwrite)
    tags_and_args = [(frozenset(tags), dict(args)) for tags, args in tags_and_args]
    if not tags_and_args:
        raise ModuleFormatError("tags_and_args is empty: a module needs at least one graph")
    if len({tags for tags, _ in tags_and_args}) != len(tags_and_args):
        listed = [sorted(tags) for tags, _ in tags_and_args]
        raise ModuleFormatError(f"tags_and_args repeats a tag set: {listed}")
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{export_dir.name}.tmp", dir=export_dir.parent))
    try:
        staged = _stage_assets(assets, work / "staging")
        module = work / "module"
        builder = v1.saved_model.Builder(str(module))
        reference_variables = None
        for tags, args in tags_and_args:
            graph, build = _build_graph(module_fn, args, tags, staged, seed)
            variables = _variable_specs(graph)
            if reference_variables is None:
                reference_variables = (tags, variables)
                _add_first_graph(builder, graph, build, tags)
            else:
                _check_same_variables(reference_variables, tags, variables)
                _add_graph(builder, graph, build, tags)
        builder.save()
        _replace_asset_paths(module / "saved_model.pb")
        _copy_unused_assets(staged, module / "assets")
        if hub_format:
            (module / HUB_MODULE_FILE).write_bytes(MODULE_DEF_V3)
        _move_into_place(module, export_dir, overwrite, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_target(export_dir: Path, overwrite: bool):
    if export_dir.exists() and not export_dir.is_dir():
        raise FileExistsError(f"cannot write a module to {export_dir}: it is a file")
    if export_dir.is_dir() and any(export_dir.iterdir()) and not overwrite:
        raise FileExistsError(
            f"cannot write a module to {export_dir}: the directory is not empty "
            "(pass overwrite=True to replace it)"
        )


def _stage_assets(assets, staging: Path) -> dict:
    """Copies the assets into `staging`; returns filename -> staged path."""
    staging.mkdir(parents=True)
    if isinstance(assets, Mapping):
        items = list(assets.items())
        for name, contents in items:
            if not isinstance(contents, (bytes, bytearray)):
                raise ModuleFormatError(
                    f"asset {name!r}: a mapping of assets must give file contents as bytes"
                )
    else:
        items = [(Path(source).name, Path(source)) for source in assets]
    staged = {}
    for name, value in items:
        if name in staged or not re.fullmatch(r"[\w.-]+", name):
            raise ModuleFormatError(
                f"asset name {name!r} must be unique and a plain file name (letters, digits, ._-)"
            )
        target = staging / name
        if isinstance(value, Path):
            if not value.is_file():
                raise ModuleFormatError(f"asset {value} is not a file")
            shutil.copyfile(value, target)
        else:
            target.write_bytes(bytes(value))
        staged[name] = target
    return staged


@contextlib.contextmanager
def _building(build: _GraphBuild):
    token = _CURRENT.set(build)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def _build_graph(module_fn, args, tags, staged, seed):
    graph = tf.Graph()
    build = _GraphBuild(graph=graph, staged_assets=staged)
    with graph.as_default(), _building(build):
        v1.set_random_seed(seed)
        with v1.variable_scope("", use_resource=True):
            module_fn(**args)
        if not build.signatures:
            raise ModuleFormatError(
                f"module_fn added no signature for tags {sorted(tags)}: call "
                "add_signature(...) at least once"
            )
        for key, value in build.attachments.items():
            attachment = _module_attachment_class()(key=key, value=value)
            v1.add_to_collection(ATTACHMENTS_COLLECTION, attachment.SerializeToString())
        build.main_op = tf.group(
            v1.tables_initializer(), v1.local_variables_initializer(), name="module_init_op"
        )
    return graph, build


def _variable_specs(graph) -> dict:
    return {
        v.op.name: (tuple(v.shape.as_list()), v.dtype.base_dtype.name)
        for v in graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
    }


def _check_same_variables(reference, tags, variables):
    first_tags, first = reference
    if variables == first:
        return
    only_first = sorted(set(first) - set(variables))
    only_here = sorted(set(variables) - set(first))
    changed = sorted(k for k in set(first) & set(variables) if first[k] != variables[k])
    details = []
    if only_first:
        details.append(f"missing {only_first}")
    if only_here:
        details.append(f"extra {only_here}")
    if changed:
        details.append(
            "different shape/dtype "
            + ", ".join(f"{k} {first[k]} vs {variables[k]}" for k in changed)
        )
    raise ModuleFormatError(
        f"the graph for tags {sorted(tags)} must create the same variables as the one for "
        f"tags {sorted(first_tags)} (they share one checkpoint): {'; '.join(details)}"
    )


def _meta_graph_options(graph, build) -> dict:
    """What Builder.add_meta_graph(_and_variables) needs besides the tags."""
    return dict(
        signature_def_map=build.signatures,
        assets_collection=graph.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
        main_op=build.main_op,
        clear_devices=True,
        strip_default_attrs=True,
    )


def _add_first_graph(builder, graph, build, tags):
    with graph.as_default(), v1.Session(graph=graph) as session:
        session.run(v1.global_variables_initializer())
        builder.add_meta_graph_and_variables(
            session, sorted(tags), **_meta_graph_options(graph, build)
        )


def _add_graph(builder, graph, build, tags):
    with graph.as_default():
        builder.add_meta_graph(sorted(tags), **_meta_graph_options(graph, build))


def _replace_asset_paths(saved_model_pb: Path):
    """Replaces the build machine's asset paths in the graphs by placeholders.

    Loaders feed the path of the loaded copy's `assets/<name>` into these
    constants; the placeholder keeps the build directory out of the module (and
    the file reproducible).
    """
    from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString(saved_model_pb.read_bytes())
    for meta_graph in proto.meta_graphs:
        collection = meta_graph.collection_def.get(v1.saved_model.ASSETS_KEY)
        placeholders = {}
        for packed in collection.any_list.value if collection else ():
            asset = meta_graph_pb2.AssetFileDef()
            packed.Unpack(asset)
            node_name = asset.tensor_info.name.split(":")[0]
            placeholders[node_name] = (ASSET_PLACEHOLDER_PREFIX + asset.filename).encode()
        for node in meta_graph.graph_def.node:
            if node.name in placeholders:
                node.attr["value"].tensor.string_val[0] = placeholders[node.name]
    saved_model_pb.write_bytes(proto.SerializeToString(deterministic=True))


def _copy_unused_assets(staged: dict, assets_dir: Path):
    """Assets that no graph refers to are still part of the module (e.g. a notice)."""
    for name, path in staged.items():
        target = assets_dir / name
        if not target.exists():
            assets_dir.mkdir(exist_ok=True)
            shutil.copyfile(path, target)


def _move_into_place(module: Path, export_dir: Path, overwrite: bool, work: Path):
    if export_dir.is_dir() and any(export_dir.iterdir()):
        if not overwrite:  # appeared while we were writing
            raise FileExistsError(f"cannot write a module to {export_dir}: it is not empty")
        os.replace(export_dir, work / "replaced")
    elif export_dir.is_dir():
        export_dir.rmdir()
    os.replace(module, export_dir)


def _as_tensor_dict(value, what) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        value = {"default": value}
    for key, tensor in value.items():
        if not isinstance(key, str) or not isinstance(tensor, (tf.Tensor, tf.SparseTensor)):
            raise ModuleFormatError(
                f"{what}: expected a dict of name -> Tensor or SparseTensor, got "
                f"{key!r}: {type(tensor).__name__}"
            )
    return dict(value)


_ATTACHMENT_CLASS = []


def _module_attachment_class():
    """tensorflow_hub's ModuleAttachment proto {string key = 1; bytes value = 2;}.

    hub 0.16 no longer ships its generated class, so it is declared here.
    """
    if not _ATTACHMENT_CLASS:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

        field = descriptor_pb2.FieldDescriptorProto
        file = descriptor_pb2.FileDescriptorProto(
            name="hubmodels/module_attachment.proto", package="tensorflow_hub", syntax="proto3"
        )
        message = file.message_type.add(name="ModuleAttachment")
        message.field.add(name="key", number=1, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL)
        message.field.add(name="value", number=2, type=field.TYPE_BYTES, label=field.LABEL_OPTIONAL)
        pool = descriptor_pool.DescriptorPool()
        pool.Add(file)
        descriptor = pool.FindMessageTypeByName("tensorflow_hub.ModuleAttachment")
        _ATTACHMENT_CLASS.append(message_factory.GetMessageClass(descriptor))
    return _ATTACHMENT_CLASS[0]
