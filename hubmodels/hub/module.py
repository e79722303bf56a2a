"""`Module`: the TF1 `hub.Module` API on TF2, for TF1 Hub modules and any SavedModel.

    module = Module("hubmodels://standin/google/imagenet/inception_v3/classification/1")
    module.get_signature_names()   # ['default', 'image_classification', ...]
    module.get_input_info_dict()   # {'images': <hub.ParsedTensorInfo shape=(?, 299, 299, 3) ...>}
    logits = module(images)        # the `default` output
    layers = module(dict(images=images), signature="image_classification", as_dict=True)

Lookup tables and assets are initialised on load. With `trainable=True` the
module's trainable variables (for TF1 modules, its TRAINABLE_VARIABLES
collection) receive gradients through the signature functions.
"""

import logging

from hubmodels._keras import tf
from hubmodels.errors import InputError, ModuleFormatError, SignatureError
from hubmodels.hub import backends, card, handles, savedmodel_file

log = logging.getLogger(__name__)

DEFAULT_SIGNATURES = ("default", "serving_default")


class Module:
    """A module from a handle (see `hubmodels.resolve` for the accepted forms).

    Args:
      handle: folder, archive, URL or `hubmodels://NAME`.
      trainable: whether `trainable_variables` exposes the module's trainable
        variables (False: empty, nothing is fine-tuned).
      tags: the TF1 tag set, e.g. {"train"}; None picks the default graph.
    """

    def __init__(self, handle, trainable=False, tags=None):
        self.handle = str(handle)
        self.path = handles.resolve(handle)
        card.import_required(self.path)
        self.file = savedmodel_file.read(self.path)
        meta_graph = self.file.meta_graph(tags)
        self.tags = meta_graph.tags
        self.load_error = None
        try:
            self._model = backends.LoadedModel(self.path, self.tags, self.file, meta_graph)
        except ModuleFormatError as err:  # the module itself is inconsistent: no fallback helps
            raise ModuleFormatError(f"cannot load module {self.handle}: {err}") from err
        except Exception as err:  # TF2's loader refused: fall back to a TF1 session
            if self.file.format == "TF2 SavedModel":
                raise ModuleFormatError(f"cannot load module {self.handle}: {err}") from err
            self.load_error = err
            log.warning(
                "TF2 cannot load %s (%s); running it in a TF1 graph session instead",
                self.handle,
                backends.first_line(err),
            )
            self._model = backends.SessionModel(self.path, self.tags, meta_graph)
        missing = getattr(self._model, "missing_trainable", [])
        if trainable and missing:
            raise ModuleFormatError(
                f"module {self.handle} cannot be fine-tuned: {len(missing)} of the variables it "
                f"marks trainable (e.g. {missing[:3]}) do not load as TF2 variables (TF1 "
                "reference variables); load it with trainable=False to use it frozen"
            )
        if trainable and isinstance(self._model, backends.SessionModel):
            raise ModuleFormatError(
                f"module {self.handle} runs only in a TF1 session (TF2 could not load it: "
                f"{backends.first_line(self.load_error)}), so it cannot be fine-tuned"
            )
        self.trainable = bool(trainable)
        self._signatures = self._model.signatures
        self._log_load_warnings(meta_graph)

    def _log_load_warnings(self, meta_graph):
        """One warning line per kind of trouble TF2 or the module's files showed on load."""
        reference = meta_graph.reference_variable_names
        if reference and isinstance(self._model, backends.LoadedModel):
            log.warning(
                "module %s: TF2 loaded its %d reference variables (%s) as part of the graph, "
                "not as tf.Variables: they keep their values but cannot be fine-tuned",
                self.handle,
                len(reference),
                ", ".join(reference),
            )
        call_error = getattr(self._model, "call_error", None)
        if call_error is not None:
            log.warning(
                "module %s: its __call__ is not offered as signature 'default' (%s); "
                "use one of its signatures %s",
                self.handle,
                call_error,
                self.get_signature_names(),
            )
        notes = [
            f"{name} {kind} {key!r} ({info.note})"
            for name, runnable in sorted(self._signatures.items())
            for kind, infos in (("input", runnable.info.inputs), ("output", runnable.info.outputs))
            for key, info in infos.items()
            if info.note
        ]
        if notes:
            log.warning(
                "module %s: its graph contradicts its SignatureDefs; inputs are checked "
                "against the graph's shapes and dtypes: %s",
                self.handle,
                "; ".join(notes),
            )

    # Inspection ---------------------------------------------------------------

    def get_signature_names(self) -> list:
        return sorted(self._signatures)

    def get_input_info_dict(self, signature=None) -> dict:
        return dict(self._signature(signature).info.inputs)

    def get_output_info_dict(self, signature=None) -> dict:
        return dict(self._signature(signature).info.outputs)

    @property
    def runs_in_session(self) -> bool:
        """Whether the module runs in a TF1 graph session (TF2 could not load it)."""
        return isinstance(self._model, backends.SessionModel)

    @property
    def loaded_object(self):
        """What tf.saved_model.load gave (its variables, tables, functions); None for a
        module that runs in a session."""
        return getattr(self._model, "obj", None)

    @property
    def variables(self) -> list:
        return list(self._model.variables)

    @property
    def trainable_variables(self) -> list:
        return list(self._model.trainable) if self.trainable else []

    @property
    def fine_tunable_variables(self) -> list:
        """Variables the module marks trainable, whether or not this Module trains them."""
        return list(self._model.trainable)

    @property
    def variable_map(self) -> dict:
        """Variables by name without the ':0' suffix."""
        return {backends.variable_name(v): v for v in self._model.variables}

    def default_signature_name(self) -> str:
        for name in DEFAULT_SIGNATURES:
            if name in self._signatures:
                return name
        if len(self._signatures) == 1:
            return next(iter(self._signatures))
        raise SignatureError(
            f"module {self.handle} has no 'default' signature; choose one of "
            f"{self.get_signature_names()}"
        )

    def signature_info(self, name=None):
        """Inputs and outputs of signature `name` (None: the default one)."""
        return self._signature(name).info

    def _signature(self, name):
        name = self.default_signature_name() if name is None else name
        try:
            return self._signatures[name]
        except KeyError:
            raise SignatureError(
                f"module {self.handle} has no signature {name!r}; available: "
                f"{self.get_signature_names()}"
            ) from None

    # Calling ------------------------------------------------------------------

    def __call__(self, inputs, signature=None, as_dict=False, training=False):
        """Runs `signature` (None: the default one) on `inputs`.

        inputs: a dict keyed like get_input_info_dict(signature), or one tensor
          when the signature has a single input; a nested __call__ input (e.g. a
          list) may also be passed as that nest.
        as_dict: return every output as a dict (nested outputs flattened to keys
          like `encoder_outputs/0`); otherwise the `default` output (or the only one).
        """
        runnable = self._signature(signature)
        values = prepare_inputs(runnable.info, inputs, self.handle)
        outputs = runnable.run(values, training=training)
        if as_dict:
            return dict(outputs)
        return select_output(runnable.info, outputs, None, self.handle)

    def as_layer(self, signature=None, output_key=None, trainable=None, **kwargs):
        """This module as a tf-keras layer (see hubmodels.hub.layer.ModuleLayer)."""
        from hubmodels.hub.layer import ModuleLayer

        return ModuleLayer(
            self,
            signature=signature,
            output_key=output_key,
            trainable=self.trainable if trainable is None else trainable,
            **kwargs,
        )


def select_output(info, outputs: dict, output_key, handle):
    """outputs[output_key]; with no key, `default` or the only output."""
    if output_key is None:
        if "default" in outputs:
            return outputs["default"]
        if len(outputs) == 1:
            return next(iter(outputs.values()))
        raise SignatureError(
            f"signature {info.name!r} of module {handle} has no 'default' output; pass "
            f"as_dict=True or choose an output_key among {sorted(outputs)}"
        )
    if output_key not in outputs:
        raise SignatureError(
            f"signature {info.name!r} of module {handle} has no output {output_key!r}; "
            f"available: {sorted(outputs)}"
        )
    return outputs[output_key]


def prepare_inputs(info, inputs, handle) -> dict:
    """Checks keys, dtypes and shapes against the signature; returns a dict of tensors."""
    expected = info.inputs
    if info.input_structure is not None and not (
        isinstance(inputs, dict) and set(inputs) <= set(expected)
    ):
        inputs = _flattened(info, inputs, handle)
    if not isinstance(inputs, dict):
        if len(expected) != 1:
            raise InputError(
                f"signature {info.name!r} of module {handle} takes {len(expected)} inputs "
                f"{sorted(expected)}: pass them as a dict"
            )
        inputs = {next(iter(expected)): inputs}
    missing = sorted(set(expected) - set(inputs))
    extra = sorted(set(inputs) - set(expected))
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"missing {missing}")
        if extra:
            problems.append(f"unexpected {extra}")
        wanted = ", ".join(f"{k}: {v}" for k, v in expected.items())
        raise InputError(
            f"signature {info.name!r} of module {handle}: {' and '.join(problems)} input "
            f"keys; expected {{{wanted}}}"
        )
    return {key: _checked(key, inputs[key], expected[key], info.name, handle) for key in expected}


def _flattened(info, inputs, handle) -> dict:
    """Nested `inputs` shaped like the signature's input structure, as a flat dict."""
    try:
        return backends.flat_inputs(info.input_structure, inputs)
    except ValueError as err:
        raise InputError(
            f"signature {info.name!r} of module {handle} takes inputs nested like "
            f"{info.input_structure} (or a flat dict with those keys): {err}"
        ) from None


def _checked(key, value, expected, signature, handle):
    where = f"input {key!r} of signature {signature!r} of module {handle}"
    if expected.is_sparse:
        if not isinstance(value, tf.SparseTensor):
            raise InputError(f"{where} must be a tf.SparseTensor, expected {expected}")
        tensor = value
    elif tf.is_tensor(value) and not isinstance(value, tf.SparseTensor):
        tensor = tf.convert_to_tensor(value)
        if tensor.dtype != expected.dtype:
            raise InputError(f"{where} has dtype {tensor.dtype.name}, expected {expected}")
    else:
        try:
            tensor = tf.convert_to_tensor(value, dtype=expected.dtype)
        except (TypeError, ValueError) as err:
            raise InputError(f"{where} cannot be converted to {expected}: {err}") from None
    if not expected.shape.is_compatible_with(tensor.shape):
        got = tensor.shape
        if (
            expected.shape.rank is not None
            and got.rank is not None
            and got.rank != expected.shape.rank
        ):
            detail = f"rank {got.rank} (shape {got})"
        else:
            detail = f"shape {got}"
        raise InputError(f"{where} has {detail}, expected {expected}")
    return tensor
