"""Training steps per second under tf.distribute strategies on this machine's CPU.

    python scripts/bench_strategy.py [--steps 40] [--repeats 3] [--batch 8 128]

The model: feature_vector_classifier on the tiny test module (tests/saved_models.py: two
conv blocks on 32x32 images), both blocks fine-tuned, compiled as hubmodels.fit compiles it,
trained with model.fit on in-memory random images; each number is the best rate of --repeats
epochs of --steps steps, after a warm-up epoch (tracing included there), at the same global
batch (best of, since the machine is shared):
- devices (one process, 2 logical CPU devices): no strategy; MirroredStrategy on 1 device
  (what the strategy itself costs per step); MirroredStrategy on 2 devices;
- workers: MultiWorkerMirroredStrategy in a cluster of 1 process, then of 2 processes on
  127.0.0.1 (free ports), each worker taking half of the global batch.
Logical devices share the same cores: on a 2-core machine expect no speed-up.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import hubmodels
from hubmodels._keras import keras, tf
from hubmodels.training.compile import compile_for_task
from hubmodels.training.strategy import resolve

ROOT = Path(__file__).resolve().parents[1]


def _rate(strategy, module, batch, steps, repeats) -> float:
    """Steps per second of model.fit under `strategy` (None: none) at global batch `batch`."""
    keras.utils.set_random_seed(0)
    model = hubmodels.feature_vector_classifier(module, 2, unfreeze=2, strategy=strategy)
    with strategy.scope() if strategy is not None else tf.init_scope():
        compile_for_task(model, 1e-3)
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (batch * 4, 32, 32, 3)).astype("float32")
    labels = rng.integers(0, 2, batch * 4)
    data = tf.data.Dataset.from_tensor_slices((images, labels)).repeat().batch(batch)
    clock = _Clock()
    model.fit(data, epochs=1 + repeats, steps_per_epoch=steps, callbacks=[clock], verbose=0)
    return max((steps - 1) / (times[-1] - times[0]) for times in clock.epochs[1:])


class _Clock(keras.callbacks.Callback):
    """The times of the batch ends, a list per epoch."""

    def on_train_begin(self, logs=None):
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append([])

    def on_train_batch_end(self, batch, logs=None):
        self.epochs[-1].append(time.perf_counter())


def devices_child(module, batches, steps, repeats) -> dict:
    """{configuration: {batch: steps/s}}; must run before TensorFlow sets up its devices."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    configs = {
        "no strategy": lambda: None,
        "mirrored, 1 device": lambda: tf.distribute.MirroredStrategy(["/cpu:0"]),
        "mirrored, 2 devices": lambda: tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]),
    }
    return {
        name: {str(batch): _rate(make(), module, batch, steps, repeats) for batch in batches}
        for name, make in configs.items()
    }


def worker_child(module, batches, steps, repeats) -> dict:
    """{batch: steps/s} of this worker of the TF_CONFIG cluster."""
    strategy = resolve("multiworker")
    return {str(batch): _rate(strategy, module, batch, steps, repeats) for batch in batches}


def _child(kind, module, args, tf_config=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    argv = [sys.executable, __file__, "--child", kind, "--module", str(module)]
    argv += ["--steps", str(args.steps), "--repeats", str(args.repeats)]
    argv += ["--batch", *map(str, args.batch)]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _result(process) -> dict:
    out, _ = process.communicate(timeout=900)
    if process.returncode:
        raise SystemExit(f"a benchmark process failed ({process.returncode})")
    return json.loads(out.decode().strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, nargs="+", default=[8, 128])
    parser.add_argument("--child", choices=("devices", "worker"), help=argparse.SUPPRESS)
    parser.add_argument("--module", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child = devices_child if args.child == "devices" else worker_child
        print(json.dumps(child(args.module, args.batch, args.steps, args.repeats)))
        return
    with tempfile.TemporaryDirectory() as folder:
        sys.path.insert(0, str(ROOT))
        from tests.saved_models import write_tiny_image_module
        from tests.training.cluster import free_ports

        module = write_tiny_image_module(Path(folder) / "module")
        rates = _result(_child("devices", module, args))
        for count in (1, 2):
            cluster = {"worker": [f"127.0.0.1:{p}" for p in free_ports(count)]}
            tasks = [
                {"cluster": cluster, "task": {"type": "worker", "index": i}} for i in range(count)
            ]
            workers = [_child("worker", module, args, task) for task in tasks]
            results = [_result(w) for w in workers]
            rates[f"multiworker, {count} process{'es' if count > 1 else ''}"] = results[0]
    base = rates["no strategy"]
    print(f"steps/s at global batch {', '.join(map(str, args.batch))} ({os.cpu_count()} cores)")
    for name, by_batch in rates.items():
        cells = []
        for batch in map(str, args.batch):
            rate = by_batch[batch]
            overhead = 1000 / rate - 1000 / base[batch]
            cells.append(f"{rate:7.1f} steps/s ({1000 / rate:6.1f} ms, {overhead:+6.1f} ms)")
        print(f"  {name:24s}" + "  ".join(cells))
    print("(ms: per step; +ms: against no strategy)")


if __name__ == "__main__":
    main()
