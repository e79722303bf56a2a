"""Two ways to run a module's signatures; `Module` picks one.

`LoadedModel` uses TF2's `tf.saved_model.load`: signatures are ConcreteFunctions,
variables are tf.Variables, gradients flow (TF1 modules can be fine-tuned).
`SessionModel` keeps a TF1 graph session for old SavedModels that TF2's loader
refuses (reference variables, signatures whose shapes contradict the graph);
state persists between calls, and it runs inside graphs via tf.numpy_function.
"""

import dataclasses
from collections.abc import Callable

from hubmodels._keras import tf
from hubmodels.errors import SignatureError
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
        self.obj = tf.saved_model.load(str(path), tags=load_tags)
        self.variables = list(getattr(self.obj, "variables", None) or captured_variables(self.obj))
        trainable_names = set(meta_graph.trainable_variable_names)
        if trainable_names:
            self.trainable = [v for v in self.variables if variable_name(v) in trainable_names]
        else:
            self.trainable = list(getattr(self.obj, "trainable_variables", []) or [])
            if not self.trainable:
                self.trainable = [v for v in self.variables if v.trainable]
        self.signatures = {
            name: RunnableSignature(meta_graph.signatures[name], _signature_runner(fn))
            for name, fn in self.obj.signatures.items()
            if name in meta_graph.signatures
        }
        if CALL_SIGNATURE not in self.signatures and _callable(self.obj):
            self.signatures[CALL_SIGNATURE] = _call_signature(self.obj)


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
    """Exposes a reusable SavedModel's __call__ as a signature, its specs read from traces."""
    functions = obj.__call__.concrete_functions
    chosen = functions[0]
    has_training = False
    for function in functions:
        args, kwargs = function.structured_input_signature
        training = kwargs.get("training", args[1] if len(args) > 1 else None)
        has_training = has_training or training is not None
        if training in (False, None):
            chosen = function
    spec = chosen.structured_input_signature[0][0]
    if isinstance(spec, dict):
        inputs = {key: ParsedTensorInfo.from_spec(s) for key, s in sorted(spec.items())}
        single_key = None
    else:
        single_key = spec.name or "inputs"
        inputs = {single_key: ParsedTensorInfo.from_spec(spec)}
    outputs = chosen.structured_outputs
    if isinstance(outputs, dict):
        output_infos = {k: ParsedTensorInfo.from_spec(t) for k, t in sorted(outputs.items())}
    else:
        output_infos = {"default": ParsedTensorInfo.from_spec(outputs)}
    info = SignatureInfo(CALL_SIGNATURE, inputs, output_infos, {}, {})

    def run(values, training=False):
        arg = values[single_key] if single_key else values
        result = obj(arg, training=training) if has_training else obj(arg)
        return result if isinstance(result, dict) else {"default": result}

    return RunnableSignature(info, run)


class SessionModel:
    """A TF1 SavedModel run in its own graph session (no tf.Variables, no gradients)."""

    def __init__(self, path, tags, meta_graph):
        self.graph = tf.Graph()
        self.session = tf.compat.v1.Session(graph=self.graph)
        with self.graph.as_default():
            tf.compat.v1.saved_model.loader.load(self.session, list(tags), str(path))
        self.variables = []
        self.trainable = []
        self.signatures = {
            name: RunnableSignature(info, self._runner(info))
            for name, info in meta_graph.signatures.items()
        }

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


def first_line(err) -> str:
    """The first line of an exception's message (TF errors carry long traces)."""
    text = getattr(err, "message", None) or str(err)
    return text.strip().splitlines()[0] if text.strip() else type(err).__name__


def _unsupported(name, reason):
    def run(inputs, training=False):
        raise SignatureError(f"signature {name!r} cannot run: {reason}")

    return run
