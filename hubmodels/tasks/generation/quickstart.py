"""The generation step of `hubmodels quickstart`: the digits GAN trained here, judged.

Samples each digit from `hubmodels://digits_gan/generator` (built, i.e. trained, on first
use: about a minute), prints how often a digits classifier trained on real digits reads
the requested digit and how sure it is, and the Fréchet distance of the samples' features
to real digits (next to noise's), then saves a grid (ten of each digit) as a PNG and says where.
"""

import time
from pathlib import Path

from hubmodels import paths

GENERATOR = "hubmodels://digits_gan/generator"
GRID_COLS = 10


def run(per_class=50, out=None) -> dict:
    """Returns the quality figures (see quality.measure) and the grid's path."""
    from hubmodels.tasks.generation import quality
    from hubmodels.tasks.generation.generator import image_generator
    from hubmodels.tasks.generation.grids import save_grid

    start = time.perf_counter()
    print(f"Generation: sampling each digit from {GENERATOR} (a conditional GAN trained here)")
    generator = image_generator(GENERATOR)
    figures = quality.measure(generator, quality.digits_judge(), per_class=per_class, seed=0)
    samples = figures.pop("samples")
    print(
        f"  a digits classifier (held-out accuracy on real digits "
        f"{figures['real_held_out_accuracy']:.1%}) reads the requested digit in "
        f"{figures['accuracy']:.1%} of {len(samples.images)} samples, "
        f"mean confidence {figures['confidence']:.1%}"
    )
    print(
        f"  Fréchet distance to real digits on its features: {figures['frechet_generated']:.2f} "
        f"(noise: {figures['frechet_noise']:.2f})"
    )
    out = Path(out or paths.home() / "quickstart" / "digits_grid.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    shown = samples.images.reshape(10, per_class, *samples.images.shape[1:])[:, :GRID_COLS]
    figures["grid"] = save_grid(
        shown.reshape(-1, *shown.shape[2:]), out, cols=min(per_class, GRID_COLS)
    )
    figures["seconds"] = time.perf_counter() - start
    print(f"  grid (one row per digit 0-9) saved to {out}")
    return figures


def quickstart(args) -> dict:
    """The generation step (args.examples: samples per digit, default 50; epochs unused)."""
    return run(args.examples or 50)
