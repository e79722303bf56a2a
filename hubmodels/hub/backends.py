"""Two ways to run a module's signatures; `Module` picks one.

`LoadedModel` uses TF2's `tf.saved_model.load`: signatures are ConcreteFunctions,
variables are tf.Variables, gradients flow (TF1 modules can be fine-tuned).
`SessionModel` keeps a TF1 graph session for old SavedModels that TF2's loader
refuses (reference variables, signatures whose shapes contradict the graph);
state persists between calls, and it runs inside graphs via tf.numpy_function.
Its infos are those of the graph's tensors (each contradiction noted, see
ParsedTensorInfo.note), since the graph, not the SignatureDef, decides what runs.
"""

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Mapping

from hubmodels._keras import tf
from hubmodels.errors import ModuleFormatError, SignatureError
from hubmodels.hub.savedmodel_file import SignatureInfo
from hubmodels.hub.tensor_info import ParsedTensorInfo

CALL_SIGNATURE = "default"


@dataclasses.dataclass
class RunnableSignature:
    """A signature's infos and `run(inputs: dict, training: bool) -> dict of tensors`."""

    info: SignatureInfo
    run: Callable


class LoadedModel:
    """A module loaded with tf.saved_model.load (TF1 and TF2 formats)."""

    def __init__(self, path, tags, file_info, meta_graph):
        load_tags = None if file_info.format == "TF2 SavedModel" else list(tags)
        with _without_reference_variable_warnings():
            self.obj = tf.saved_model.load(str(path), tags=load_tags)
        self.variables = list(getattr(self.obj, "variables", None) or captured_variables(self.obj))
        trainable_names = set(meta_graph.trainable_variable_names)
        self.missing_trainable = []
        if trainable_names:
            self.trainable = [v for v in self.variables if variable_name(v) in trainable_names]
            # e.g. TF1 reference variables, which TF2 loads as graph state, not tf.Variables
            self.missing_trainable = sorted(
                trainable_names - set(map(variable_name, self.trainable))
            )
        else:
            self.trainable = list(getattr(self.obj, "trainable_variables", []) or [])
            if not self.trainable:
                self.trainable = [v for v in self.variables if v.trainable]
        self.signatures = {
            name: RunnableSignature(
                _graph_checked(
                    meta_graph.signatures[name],
                    fn.structured_input_signature[1],
                    fn.structured_outputs,
                ),
                _signature_runner(fn),
            )
            for name, fn in self.obj.signatures.items()
            if name in meta_graph.signatures
        }
        self.call_error = None
        if CALL_SIGNATURE not in self.signatures and _callable(self.obj):
            try:
                self.signatures[CALL_SIGNATURE] = _call_signature(self.obj)
            except ModuleFormatError as err:
                if not self.signatures:
                    raise
                self.call_error = err  # the module's signatures still work


@contextlib.contextmanager
def _without_reference_variable_warnings():
    """Drops TF's warning for each reference variable (one per variable and signature)
    while a TF1 model loads; Module logs one line of its own instead."""

    def keep(record):
        return "Unable to create a python object for variable" not in record.getMessage()

    logger = logging.getLogger("tensorflow")
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def captured_variables(obj) -> list:
    """Variables captured by the object's functions, for TF2 objects without `.variables`."""
    functions = list(obj.signatures.values())
    if _callable(obj):
        functions += list(obj.__call__.concrete_functions)
    seen = {}
    for function in functions:
        for variable in function.variables:
            seen.setdefault(id(variable), variable)
    return list(seen.values())


def variable_name(variable) -> str:
    """A variable's name without the ':0' suffix, as checkpoints and scopes write it."""
    return variable.name.split(":")[0]


def _signature_runner(function):
    """Calls a loaded signature; a sparse input `k` is passed as k_indices, k_values,
    k_dense_shape, as TF2's loader flattens TF1 sparse placeholders."""

    def run(inputs, training=False):
        flat = {}
        for key, value in inputs.items():
            if isinstance(value, tf.SparseTensor):
                flat[f"{key}_indices"] = value.indices
                flat[f"{key}_values"] = value.values
                flat[f"{key}_dense_shape"] = value.dense_shape
            else:
                flat[key] = value
        return function(**flat)

    return run


def _callable(obj) -> bool:
    """Whether a restored object has a traced __call__ (a reusable SavedModel)."""
    call = getattr(obj, "__call__", None)  # noqa: B004  (the attribute, not callability)
    return bool(getattr(call, "concrete_functions", None))


def _call_signature(obj) -> RunnableSignature:
    """Exposes a reusable SavedModel's __call__ as a signature, its specs read from traces.

    Nested inputs and outputs (lists, tuples, dicts) are flattened into keys joined
    with "/": {"pooled": t, "encoder_outputs": [t1, t2]} gives the outputs
    `encoder_outputs/0`, `encoder_outputs/1`, `pooled`; a list argument `inputs`
    gives the inputs `inputs/0`, `inputs/1` (and the call takes that list too).
    """
    functions = obj.__call__.concrete_functions
    chosen = functions[0]
    has_training = False
    for function in functions:
        args, kwargs = function.structured_input_signature
        training = kwargs.get("training", args[1] if len(args) > 1 else None)
        has_training = has_training or training is not None
        if training in (False, None):
            chosen = function
    args = chosen.structured_input_signature[0]
    if not args:
        raise ModuleFormatError("its __call__ takes no positional input")
    spec = args[0]
    if tf.nest.is_nested(spec):
        in_root = next(iter(chosen.function_type.parameters), "inputs")
    else:
        in_root = spec.name or "inputs"
    in_keys = _flat_keys(spec, in_root)
    inputs = dict(zip(in_keys, map(ParsedTensorInfo.from_spec, tf.nest.flatten(spec))))
    outputs = chosen.structured_outputs
    out_keys = _flat_keys(outputs, "default")
    output_infos = dict(zip(out_keys, map(ParsedTensorInfo.from_spec, tf.nest.flatten(outputs))))
    structure = None
    flat_dict = isinstance(spec, Mapping) and not any(map(tf.nest.is_nested, spec.values()))
    if tf.nest.is_nested(spec) and not flat_dict:
        structure = tf.nest.pack_sequence_as(spec, in_keys)  # not a flat dict: callers may nest
    info = SignatureInfo(CALL_SIGNATURE, inputs, output_infos, {}, {}, structure)

    def run(values, training=False):
        arg = tf.nest.pack_sequence_as(spec, [values[key] for key in in_keys])
        result = obj(arg, training=training) if has_training else obj(arg)
        return dict(zip(out_keys, tf.nest.flatten(result)))

    return RunnableSignature(info, run)


def _flat_keys(nest, root: str) -> list:
    """Keys of the leaves of `nest` in tf.nest.flatten order, path parts joined by "/":
    a dict's keys name themselves, a list under `root` gives root/0, root/1; a leaf is root."""
    parts = [] if isinstance(nest, Mapping) else [root]
    keys = ["/".join(parts + path) for path in _leaf_paths(nest)]
    clashes = sorted({key for key in keys if keys.count(key) > 1})
    if clashes:
        raise ModuleFormatError(f"its __call__ has several tensors named {clashes}")
    return keys


def _leaf_paths(nest) -> list:
    """The path (list of str) to each leaf, in tf.nest.flatten order (dict keys sorted)."""
    if not tf.nest.is_nested(nest):
        return [[]]
    children = (
        [(k, nest[k]) for k in sorted(nest)] if isinstance(nest, Mapping) else enumerate(nest)
    )
    return [[str(key)] + path for key, child in children for path in _leaf_paths(child)]


def flat_inputs(structure, value) -> dict:
    """{key: leaf of value} for `value` nested like `structure`, whose leaves are the keys.

    Raises ValueError saying where the nests differ.
    """
    if not tf.nest.is_nested(structure):
        return {structure: value}
    if isinstance(structure, Mapping):
        if not isinstance(value, Mapping) or set(value) != set(structure):
            got = sorted(value) if isinstance(value, Mapping) else type(value).__name__
            raise ValueError(f"expected a dict with keys {sorted(structure)}, got {got}")
        pairs = [(structure[key], value[key]) for key in structure]
    else:
        if not isinstance(value, (list, tuple)) or len(value) != len(structure):
            got = f"{len(value)}" if isinstance(value, (list, tuple)) else type(value).__name__
            raise ValueError(f"expected a list or tuple of {len(structure)} items, got {got}")
        pairs = zip(structure, value)
    return {key: leaf for child, item in pairs for key, leaf in flat_inputs(child, item).items()}


class SessionModel:
    """A TF1 SavedModel run in its own graph session (no tf.Variables, no gradients)."""

    def __init__(self, path, tags, meta_graph):
        self.graph = tf.Graph()
        self.session = tf.compat.v1.Session(graph=self.graph)
        with self.graph.as_default():
            tf.compat.v1.saved_model.loader.load(self.session, list(tags), str(path))
        self.variables = []
        self.trainable = []
        self.signatures = {}
        for name, declared in meta_graph.signatures.items():
            info = _graph_checked(
                declared,
                self._graph_tensors(declared.input_tensors),
                self._graph_tensors(declared.output_tensors),
            )
            self.signatures[name] = RunnableSignature(info, self._runner(info))

    def _graph_tensors(self, tensor_names: dict) -> dict:
        """The loaded graph's dense tensors by key (a missing one fails when run, naming it)."""
        tensors = {}
        for key, name in tensor_names.items():
            try:
                if isinstance(name, str):  # a sparse tensor has a tuple of three names
                    tensors[key] = self.graph.get_tensor_by_name(name)
            except (KeyError, ValueError):
                pass
        return tensors

    def _runner(self, info: SignatureInfo):
        keys = sorted(info.inputs)
        out_keys = sorted(info.outputs)
        if any(info.inputs[k].is_sparse for k in keys) or any(
            info.outputs[k].is_sparse for k in out_keys
        ):
            return _unsupported(info.name, "sparse tensors are not supported in a TF1 session")

        def run_numpy(*arrays):
            feed = {info.input_tensors[k]: a for k, a in zip(keys, arrays)}
            fetches = [info.output_tensors[k] for k in out_keys]
            try:
                results = self.session.run(fetches, feed_dict=feed)
            except (tf.errors.OpError, ValueError, KeyError, TypeError) as err:
                raise SignatureError(
                    f"signature {info.name!r} failed to run in the TF1 session: {first_line(err)}"
                ) from None
            for key, value in zip(out_keys, results):
                declared = info.outputs[key].shape
                if not declared.is_compatible_with(getattr(value, "shape", ())):
                    raise SignatureError(
                        f"signature {info.name!r} declares output {key!r} with shape "
                        f"{info.outputs[key].shape_text()}, but its graph computes shape "
                        f"{tuple(value.shape)}"
                    )
            return results

        def run(inputs, training=False):
            arrays = [inputs[k] for k in keys]
            if tf.executing_eagerly():
                results = run_numpy(*[a.numpy() for a in arrays])
                return {k: tf.convert_to_tensor(v) for k, v in zip(out_keys, results)}
            dtypes = [info.outputs[k].dtype for k in out_keys]
            results = tf.numpy_function(run_numpy, arrays, dtypes, stateful=True)
            for tensor, key in zip(results, out_keys):
                tensor.set_shape(info.outputs[key].shape)
            return dict(zip(out_keys, results))

        return run


def _graph_checked(info: SignatureInfo, inputs: dict, outputs: dict) -> SignatureInfo:
    """`info` with each dense input and output checked against what the graph has under
    the same key (tensors or TensorSpecs): the graph decides what runs, not the SignatureDef."""

    def checked(infos, graph):
        return {
            key: declared.with_graph_tensor(graph[key].shape, graph[key].dtype)
            if key in graph and not declared.is_sparse
            else declared
            for key, declared in infos.items()
        }

    return dataclasses.replace(
        info, inputs=checked(info.inputs, inputs), outputs=checked(info.outputs, outputs)
    )


def first_line(err) -> str:
    """The first line of an exception's message (TF errors carry long traces)."""
    text = getattr(err, "message", None) or str(err)
    return text.strip().splitlines()[0] if text.strip() else type(err).__name__


def _unsupported(name, reason):
    def run(inputs, training=False):
        raise SignatureError(f"signature {name!r} cannot run: {reason}")

    return run
