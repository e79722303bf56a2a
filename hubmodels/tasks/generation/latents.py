"""Latent vectors: seeded (truncated) normal samples and paths between two latents.

Sampling uses numpy's PCG64 generator (`np.random.default_rng(seed)`), whose stream is
fixed by the seed alone: the same seed gives the same latents in any process.
"""

import secrets

import numpy as np

from hubmodels.errors import InputError


def check_count(n, what="n") -> int:
    """`n` as an int >= 1; InputError otherwise."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"{what} must be an integer >= 1, got {n!r}")
    return int(n)


def check_truncation(truncation):
    """None or a finite float > 0; InputError otherwise."""
    if truncation is None:
        return None
    try:
        value = float(truncation)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"truncation must be a number > 0 (or None), got {truncation!r}")
    return value


def new_seed() -> int:
    """A fresh seed for seed=None, recorded so that the draw can be repeated."""
    return secrets.randbits(32)


def truncated_normal(rng, shape, threshold) -> np.ndarray:
    """Standard normal values with every |value| <= threshold: values beyond it are redrawn.

    threshold: None for the untruncated normal. float32 array of `shape`.
    """
    values = rng.standard_normal(shape)
    if threshold is not None:
        outside = np.abs(values) > threshold
        while outside.any():
            values[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(values) > threshold
    return values.astype("float32")


def interpolate(z0, z1, steps, method="slerp") -> np.ndarray:
    """`steps` latents from z0 to z1, both included: float32 [steps, dim].

    method: "slerp" (along the great circle, scaling the norm linearly, as for the
    hypersphere walks of the ProGAN colab) or "lerp" (straight line). The first and last
    rows are exactly z0 and z1.
    """
    z0, z1 = (np.asarray(z, dtype="float64") for z in (z0, z1))
    if z0.ndim != 1 or z0.shape != z1.shape:
        raise InputError(
            f"interpolate takes two latent vectors of the same size [dim], got shapes "
            f"{z0.shape} and {z1.shape}"
        )
    steps = check_count(steps, "steps")
    if steps < 2:
        raise InputError(f"steps must be >= 2 (both ends are included), got {steps}")
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if method == "lerp":
        path = (1 - t) * z0 + t * z1
    elif method == "slerp":
        path = _slerp(z0, z1, t)
    else:
        raise InputError(f"interpolation method must be 'slerp' or 'lerp', got {method!r}")
    path[0], path[-1] = z0, z1
    return path.astype("float32")


def _slerp(z0, z1, t):
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 == 0 or n1 == 0:
        return (1 - t) * z0 + t * z1
    u0, u1 = z0 / n0, z1 / n1
    omega = np.arccos(np.clip(np.dot(u0, u1), -1.0, 1.0))
    if omega < 1e-6:  # same direction: the great circle is a point
        direction = (1 - t) * u0 + t * u1
    else:
        direction = (np.sin((1 - t) * omega) * u0 + np.sin(t * omega) * u1) / np.sin(omega)
    return direction * ((1 - t) * n0 + t * n1)
