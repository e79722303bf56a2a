"""Time per frozen trial of a keras-tuner search, with and without the shared feature cache.

    python scripts/bench_tuning.py [--images 128] [--trials 3] [--epochs 3] [--batch 32]

Both searches run the same RandomSearch (same seed, so the same hyperparameters per trial)
over FeatureVectorHyperModel with the module frozen and no augmentation:
  without: feature_cache=False, every trial trains the whole model (the module runs on every
           image in every epoch of every trial);
  with:    the default shared FeatureCache (the module runs once per dataset; every trial
           trains the head on the cached features).
The first trial with the cache also pays for computing the features: that is what a cache
per trial (not shared) would cost every trial. Prints each trial's time, the means and the
ratio, and the validation accuracy of every trial of both searches (the same hyperparameters;
the cached fit reshuffles the training features every epoch, the end-to-end fit keeps the
data's order, so they differ by the noise of a short training).

Data: scikit-learn's handwritten digits, upsampled to 224x224 RGB. Module: the real
EfficientNet-Lite0 feature vector of the zoo (run `hubmodels zoo fetch`).
"""

import argparse
import tempfile
import time

import numpy as np
from bench_training import HANDLE, digits  # the same data as the training benchmark


def timed_search(kt, hypermodel, trials, directory):
    """A RandomSearch that records the wall time of each trial in `.times`."""

    class TimedSearch(kt.RandomSearch):
        times = []

        def on_trial_begin(self, trial):
            self._started = time.perf_counter()
            super().on_trial_begin(trial)

        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            self.times.append(time.perf_counter() - self._started)

    return TimedSearch(
        hypermodel, objective="val_accuracy", max_trials=trials, seed=0, directory=directory
    )


def run(args, feature_cache, train, validation):
    from hubmodels.tuning import FeatureVectorHyperModel, Range, import_keras_tuner

    kt = import_keras_tuner()
    hypermodel = FeatureVectorHyperModel(
        HANDLE,
        10,
        unfreeze=0,
        augmentation="none",
        learning_rate=Range(1e-3, 1e-2, log=True),
        feature_cache=feature_cache,
    )
    with tempfile.TemporaryDirectory() as directory:
        search = timed_search(kt, hypermodel, args.trials, directory)
        search.search(train, validation_data=validation, epochs=args.epochs, verbose=0)
        scores = [search.oracle.trials[i].score for i in sorted(search.oracle.trials)]
    return list(search.times), scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=128, help="training images")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    from hubmodels._keras import tf

    images, labels = digits(args.images + args.images // 4)
    split = args.images

    def dataset(part):
        return tf.data.Dataset.from_tensor_slices((images[part], labels[part])).batch(args.batch)

    train, validation = dataset(slice(None, split)), dataset(slice(split, None))
    print(
        f"{HANDLE}: {args.trials} frozen trials of {args.epochs} epochs, "
        f"{split} training + {len(images) - split} validation images, batch {args.batch}"
    )
    without, scores_without = run(args, False, train, validation)
    shared, scores_shared = run(args, None, train, validation)
    print("trial times without the cache (s):", " ".join(f"{t:.1f}" for t in without))
    print("trial times with the shared cache (s):", " ".join(f"{t:.1f}" for t in shared))
    mean_without = float(np.mean(without))
    later = float(np.mean(shared[1:])) if len(shared) > 1 else float("nan")
    print(f"per frozen trial without the cache:        {mean_without:.1f} s")
    print(f"first trial with the cache (computes them): {shared[0]:.1f} s")
    print(f"later trials with the shared cache:         {later:.1f} s")
    print(f"ratio (without / shared, later trials):     {mean_without / later:.1f}x")
    print("val_accuracy per trial without the cache:", " ".join(f"{s:.3f}" for s in scores_without))
    print("val_accuracy per trial with the cache:   ", " ".join(f"{s:.3f}" for s in scores_shared))


if __name__ == "__main__":
    main()
