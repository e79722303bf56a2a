"""The generation task: latent-to-image modules (ProGAN, BigGAN, the zoo's digits GAN).

`image_generator(handle)` (generator.py) gives an ImageGenerator: images in [0, 1],
seeded `sample`, `interpolate` between latents; latents.py draws and interpolates latents;
grids.py writes grids (PNG) and animations (GIF); recovery.py has `find_latent`;
quality.py measures generated digits; cli.py the `generate` command; quickstart.py the
quickstart step. Generation has no training: no `train` hooks.
Names are imported on first use, so the command line starts without TensorFlow.
"""

from hubmodels.lazy import exports

_PUBLIC = {
    "image_generator": ".generator",
    "ImageGenerator": ".generator",
    "LatentSpec": ".generator",
    "Samples": ".generator",
    "interpolate": ".latents",
    "truncated_normal": ".latents",
    "images_to_grid": ".grids",
    "save_grid": ".grids",
    "save_animation": ".grids",
    "find_latent": ".recovery",
    # the task interface (see hubmodels.tasks)
    "add_commands": ".cli",
    "quickstart": ".quickstart",
}

__all__ = sorted(_PUBLIC)

__getattr__, __dir__ = exports(__name__, _PUBLIC)
