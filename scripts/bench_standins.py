"""Build, load and forward times of the stand-in zoo modules (batch of 2, one thread).

    /work/venv/bin/python scripts/bench_standins.py [--repeats 5]

Builds every `standin/...` zoo entry into a temporary folder, loads it with
hubmodels.Module, and times each signature on a batch of two small inputs made from
the signature's input infos (unknown dimensions: 2 for the batch, 3 frames or tokens,
96 pixels for the detector). Prints the best of `--repeats` calls after one warm-up.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

import numpy as np  # noqa: E402

from hubmodels._keras import tf  # noqa: E402
from hubmodels.hub.module import Module  # noqa: E402
from hubmodels.zoo import registry  # noqa: E402


def example(info, batch=2):
    shape = info.shape.as_list()
    if shape[0] is None:
        shape[0] = batch
    shape = [d if d is not None else (96 if len(shape) == 4 else 3) for d in shape]
    if info.dtype == tf.string:
        return tf.constant(np.resize(np.array(["the cat", "sat", "on the mat"], object), shape))
    if info.dtype.is_integer:
        return tf.fill(shape, tf.constant(3, info.dtype))
    return tf.random.stateless_uniform(shape, [0, 1], dtype=info.dtype)


def best_call_seconds(module, signature, repeats):
    inputs = {k: example(v) for k, v in module.get_input_info_dict(signature).items()}
    module(inputs, signature=signature, as_dict=True)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        outputs = module(inputs, signature=signature, as_dict=True)
        [value.numpy() for value in outputs.values()]
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    entries = [entry for entry in registry.entries() if entry.is_standin]
    total_build = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for entry in entries:
            folder = Path(tmp) / entry.name.replace("/", "_")
            folder.mkdir()
            start = time.perf_counter()
            entry.builder(folder)
            build = time.perf_counter() - start
            total_build += build
            start = time.perf_counter()
            module = Module(folder)
            load = time.perf_counter() - start
            calls = ", ".join(
                f"{name} {best_call_seconds(module, name, args.repeats) * 1000:.0f} ms"
                for name in module.get_signature_names()
            )
            print(f"{entry.name}: build {build:.1f} s, load {load:.1f} s, forward x2: {calls}")
    print(f"all {len(entries)} stand-ins built in {total_build:.1f} s")


if __name__ == "__main__":
    main()
