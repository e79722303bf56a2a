"""Quality figures of hubmodels://digits_gan/generator, measured honestly (not a test).

    python scripts/measure_digits_gan.py [--per-class 100] [--out digits_grid.png] [--retrain]

Prints: the build (training) time from the module's card; a digits classifier's held-out
accuracy on real digits, then its accuracy and confidence on generated digits per requested
class; Fréchet distances on its hidden features (generated vs real, noise vs real, and real
vs real between two halves as the floor); and the latent recovery error of find_latent.
--retrain trains twice more from the seed and checks that the weights are identical.
"""

import argparse
import time

import numpy as np

from hubmodels.hub import card
from hubmodels.tasks.generation import find_latent, image_generator, quality, save_grid
from hubmodels.zoo import digits_gan

HANDLE = "hubmodels://digits_gan/generator"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--out", default="digits_grid.png")
    parser.add_argument("--retrain", action="store_true")
    args = parser.parse_args()

    generator = image_generator(HANDLE)
    print(f"build (training + export) time: {card.read(generator.module.path)['build_seconds']} s")
    judge = quality.digits_judge()
    figures = quality.measure(generator, judge, per_class=args.per_class, seed=0)
    samples = figures.pop("samples")
    print(f"classifier on held-out real digits: {figures['real_held_out_accuracy']:.1%}")
    print(
        f"on {len(samples.images)} generated digits: accuracy {figures['accuracy']:.1%}, "
        f"mean confidence {figures['confidence']:.1%}"
    )
    print(
        "per requested digit: "
        + ", ".join(f"{c}: {a:.0%}" for c, a in enumerate(figures["per_class_accuracy"]))
    )
    print(
        f"Fréchet distance to held-out real digits: generated {figures['frechet_generated']:.2f}, "
        f"noise {figures['frechet_noise']:.2f}; real half vs real half "
        f"{figures['frechet_real_halves']:.2f}"
    )
    shown = samples.images.reshape(10, args.per_class, 32, 32, 3)[:, :10].reshape(-1, 32, 32, 3)
    print(f"grid (ten of each digit): {save_grid(shown, args.out, cols=10)}")

    errors = []
    for seed in range(5):
        target = generator.sample(1, seed=100 + seed, classes=seed)
        found = find_latent(generator, target.images[0], classes=seed, seed=seed)
        errors.append(np.abs(found.images - target.images).mean())
    print(
        f"find_latent (300 steps), mean absolute pixel error over 5 digits: {np.mean(errors):.4f}"
    )

    if args.retrain:
        weights = []
        for _ in range(2):
            start = time.perf_counter()
            weights.append(digits_gan.train())
            print(f"training alone: {time.perf_counter() - start:.1f} s")
        same = all(np.array_equal(weights[0][k], weights[1][k]) for k in weights[0])
        print(f"two trainings from the seed give identical weights: {same}")


if __name__ == "__main__":
    main()
