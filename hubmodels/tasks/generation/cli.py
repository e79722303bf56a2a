"""`hubmodels generate`: a grid of seeded samples, or a walk between two seeds.

    hubmodels generate --module H --n 16 --seed 0 [--truncation 1.5] [--class 3] --out grid.png
    hubmodels generate --module H --interpolate 1 2 --steps 8 --out walk.gif

--out ending in .png writes a grid, .gif an animation (one frame per image).
"""

from pathlib import Path

from hubmodels.cli.arguments import positive_float, positive_int
from hubmodels.errors import InputError

_WRITERS = {".png": "save_grid", ".gif": "save_animation"}


def _out_path(text) -> Path:
    path = Path(text)
    if path.suffix.lower() not in _WRITERS:
        raise InputError(f"--out {text}: expected a file ending in .png (grid) or .gif (animation)")
    if not path.parent.is_dir():
        raise InputError(f"--out {text}: folder {path.parent} does not exist")
    return path


def generate(args) -> None:
    from hubmodels.tasks.generation.generator import image_generator

    out = _out_path(args.out)
    if args.interpolate and args.n is not None:
        raise InputError("--n and --interpolate exclude each other: a walk has --steps images")
    generator = image_generator(args.module, args.signature, args.output_range)
    if args.interpolate:
        first, second = (
            generator.sample(1, seed, args.truncation, args.class_id) for seed in args.interpolate
        )
        classes = None if first.classes is None else int(first.classes[0])
        samples = generator.interpolate(
            first.latents[0], second.latents[0], args.steps, args.method, classes, args.truncation
        )
        what = f"walk of {args.steps} images from seed {first.seed} to {second.seed}"
    else:
        samples = generator.sample(args.n or 16, args.seed, args.truncation, args.class_id)
        what = f"{len(samples.images)} images from seed {samples.seed}"
    if out.suffix.lower() == ".png":
        samples.save_grid(out, cols=args.cols)
    else:
        samples.save_animation(out)
    print(f"{what} -> {out}")


def add_commands(commands) -> None:
    parser = commands.add_parser(
        "generate", help="sample images from a generator module (grid PNG or GIF walk)"
    )
    parser.add_argument("--module", required=True, help="a latent-to-image module")
    parser.add_argument("--out", required=True, help="grid.png or walk.gif")
    parser.add_argument("--n", type=positive_int, help="number of images (default 16)")
    parser.add_argument("--seed", type=int, help="seed of the latents (default: a fresh one)")
    parser.add_argument("--truncation", type=positive_float, help="redraw latents beyond +-T")
    parser.add_argument(
        "--class", dest="class_id", type=int, help="class of conditional modules (default: drawn)"
    )
    parser.add_argument(
        "--interpolate", type=int, nargs=2, metavar=("SEED1", "SEED2"), help="walk between seeds"
    )
    parser.add_argument("--steps", type=positive_int, default=8, help="images of the walk")
    parser.add_argument("--method", choices=("slerp", "lerp"), default="slerp")
    parser.add_argument("--cols", type=positive_int, help="grid columns (default: square)")
    parser.add_argument("--signature", help="the module's signature (default: its default)")
    parser.add_argument(
        "--output-range",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="range of the module's images, if it does not declare it",
    )
    parser.set_defaults(run=generate)
