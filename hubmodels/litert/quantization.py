"""Quantization modes of a LiteRT conversion and how each sets up tf.lite.TFLiteConverter.

  None / "float32": float32 weights and compute.
  "float16": float16 weights (half the file), computed in float32 on CPU.
  "dynamic": int8 weights, activations quantized on the fly (dynamic range).
  "int8": full integer: int8 weights and activations, ranges calibrated on
    `representative_data`; inputs and outputs stay float32 (quantized inside the model).
TensorFlow loads on first use (the command line reads MODES at start).
"""

from hubmodels.errors import InputError

MODES = ("float32", "float16", "dynamic", "int8")
CALIBRATION_SAMPLES = 100


def mode_of(quantization) -> str:
    """The mode name of `quantization` (None is "float32"); InputError for an unknown one."""
    mode = "float32" if quantization is None else quantization
    if mode not in MODES:
        raise InputError(f"quantization={quantization!r}: expected None or one of {MODES}")
    return mode


def configure(converter, mode: str, representative_data, input_specs: list) -> None:
    """Sets `converter` up for `mode` (see the module docstring).

    representative_data: for "int8", samples of the model's single input (see `samples`).
    input_specs: tf.TensorSpec per model input, shape [batch, ...].
    """
    from hubmodels._keras import tf

    if mode == "int8" and representative_data is None:
        raise InputError(
            'quantization="int8" calibrates activation ranges on samples: give '
            "representative_data (a tf.data.Dataset or array of inputs, e.g. training images)"
        )
    if mode != "int8" and representative_data is not None:
        raise InputError(f'representative_data is used by quantization="int8" only, not {mode!r}')
    if mode == "float32":
        return
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif mode == "int8":
        if len(input_specs) != 1:
            raise InputError(f'quantization="int8" needs a model with one input, not {input_specs}')
        calibration = list(samples(representative_data, input_specs[0]))  # bad data fails here
        converter.representative_dataset = lambda: ([x] for x in calibration)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]


def samples(data, spec, limit=CALIBRATION_SAMPLES):
    """Yields up to `limit` single inputs [1, ...] of `spec`'s dtype from `data`.

    data: a tf.data.Dataset of inputs or of (inputs, labels, ...) tuples, batched or not,
      or an array [n, ...] of inputs.
    """
    from hubmodels._keras import tf

    if not isinstance(data, tf.data.Dataset):
        data = tf.data.Dataset.from_tensor_slices(tf.convert_to_tensor(data, spec.dtype))
    if isinstance(data.element_spec, tuple):
        data = data.map(lambda *parts: parts[0])
    rank = data.element_spec.shape.rank
    if rank == spec.shape.rank:
        data = data.unbatch()
    elif rank != spec.shape.rank - 1:
        raise InputError(
            f"representative_data gives inputs of shape {data.element_spec.shape}, expected "
            f"{spec.shape[1:]} (one sample) or {spec.shape} (a batch)"
        )
    count = 0
    for sample in data.take(limit):
        if not spec.shape[1:].is_compatible_with(sample.shape):
            raise InputError(
                f"representative_data gives an input of shape {sample.shape}, expected "
                f"{spec.shape[1:]}"
            )
        count += 1
        yield tf.cast(sample, spec.dtype)[tf.newaxis].numpy()
    if count == 0:
        raise InputError("representative_data gave no samples to calibrate int8 ranges on")
