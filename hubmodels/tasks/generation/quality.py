"""How good are generated digits: a digits classifier's verdict and a Fréchet distance.

The judge is scikit-learn's MLP (one hidden layer of 64 ReLU units, L-BFGS, 300 steps)
trained on one half of scikit-learn's handwritten digits (seeded split); the other half is
the real reference.
Generated images are brought back to the digits' format: grey, 8 x 8 by 4 x 4 block means,
in [0, 1] (the digits' 0-16 divided by 16). The Fréchet distance is computed on the MLP's
hidden features, as FID is on Inception's. Needs the `examples` extra (scikit-learn).
"""

import dataclasses
import warnings

import numpy as np

from hubmodels.errors import InputError

HIDDEN = 64


def _sklearn():
    try:
        from sklearn import datasets, neural_network
    except ImportError:
        raise InputError(
            "measuring digits needs scikit-learn: pip install 'hubmodels[examples]'"
        ) from None
    return datasets, neural_network


def digit_pixels(images) -> np.ndarray:
    """images [n, 8k, 8k, 3] in [0, 1] -> grey digits [n, 64] in [0, 1] (k x k block means)."""
    images = np.asarray(images, dtype="float32")
    n, height, width, _ = images.shape
    if height != width or height % 8:
        raise InputError(f"digit images must be square with a side multiple of 8, got {height}")
    k = height // 8
    grey = images.mean(axis=-1).reshape(n, 8, k, 8, k).mean(axis=(2, 4))
    return grey.reshape(n, 64)


@dataclasses.dataclass
class DigitsJudge:
    """The classifier and the held-out real digits (pixels [n, 64] in [0, 1], labels [n])."""

    classifier: object
    real_pixels: np.ndarray
    real_labels: np.ndarray

    def accuracy(self, pixels, labels) -> float:
        return float(np.mean(self.classifier.predict(pixels) == np.asarray(labels)))

    def confidence(self, pixels) -> float:
        """The mean probability of the predicted class."""
        return float(np.mean(self.classifier.predict_proba(pixels).max(axis=1)))

    def features(self, pixels) -> np.ndarray:
        """pixels [n, 64] -> the MLP's hidden ReLU activations [n, 64]."""
        hidden = pixels @ self.classifier.coefs_[0] + self.classifier.intercepts_[0]
        return np.maximum(hidden, 0.0)

    def frechet_distance(self, pixels_a, pixels_b) -> float:
        """Fréchet distance between Gaussians fitted to the features of two sets."""
        return frechet_distance(self.features(pixels_a), self.features(pixels_b))


def digits_judge(seed=0) -> DigitsJudge:
    """Trains the MLP on a seeded half of the digits (seconds)."""
    datasets, neural_network = _sklearn()
    digits = datasets.load_digits()
    pixels = digits.data / 16.0
    order = np.random.default_rng(seed).permutation(len(pixels))
    train, held = order[: len(order) // 2], order[len(order) // 2 :]
    classifier = neural_network.MLPClassifier(
        hidden_layer_sizes=(HIDDEN,), solver="lbfgs", max_iter=300, random_state=seed
    )
    with warnings.catch_warnings():  # lbfgs stops at max_iter before its tolerance: fine
        warnings.simplefilter("ignore")
        classifier.fit(pixels[train], digits.target[train])
    return DigitsJudge(classifier, pixels[held], digits.target[held])


def frechet_distance(a, b) -> float:
    """||mu_a - mu_b||^2 + tr(C_a + C_b - 2 (C_a C_b)^1/2) for features a [n, d], b [m, d]."""
    from scipy import linalg

    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():  # near-singular products: the real part is what counts
        warnings.simplefilter("ignore")
        root = linalg.sqrtm(cov_a @ cov_b).real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2.0 * root))


def measure(generator, judge: DigitsJudge, per_class=100, seed=0) -> dict:
    """Quality figures of a digits generator (conditional on the digit, 10 classes).

    Returns accuracy and confidence of the judge on `per_class` samples of each requested
    digit (overall and per class), and Fréchet distances to the held-out real digits of:
    the samples and uniform noise, and between the two halves of the held-out digits
    (the distance real digits have to each other at that sample size: a floor).
    """
    classes = np.repeat(np.arange(10), per_class)
    samples = generator.sample(len(classes), seed=seed, classes=classes)
    pixels = digit_pixels(samples.images)
    predicted = judge.classifier.predict(pixels)
    real, half = judge.real_pixels, len(judge.real_pixels) // 2
    noise = np.random.default_rng(seed).uniform(size=pixels.shape)
    return {
        "accuracy": float(np.mean(predicted == classes)),
        "confidence": judge.confidence(pixels),
        "per_class_accuracy": [float(np.mean(predicted[classes == c] == c)) for c in range(10)],
        "real_held_out_accuracy": judge.accuracy(judge.real_pixels, judge.real_labels),
        "frechet_generated": judge.frechet_distance(pixels, judge.real_pixels),
        "frechet_noise": judge.frechet_distance(noise, judge.real_pixels),
        "frechet_real_halves": judge.frechet_distance(real[:half], real[half:]),
        "samples": samples,
    }
