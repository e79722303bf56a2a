"""What a detector module takes and returns, read from its signature (`DetectorSpec`).

The TF Hub detector interfaces it reads:
  - TF1 Hub detectors (Faster R-CNN / SSD on Open Images): `images` float32 [1, h, w, 3]
    in [0, 1] -> detection_boxes [N, 4] (or [1, N, 4]), detection_scores,
    detection_class_labels, detection_class_names, detection_class_entities;
  - TF2 detection zoo: `input_tensor` uint8 [1, h, w, 3] -> detection_boxes [1, N, 4],
    detection_scores [1, N], detection_classes (float, 1-based) [1, N], num_detections [1];
  - face detectors (hubmodels://mtcnn/face_detection): as TF1's, plus detection_keypoints
    [1, N, K, 2] (normalised y, x).
Boxes are normalised [ymin, xmin, ymax, xmax]. Exactly one image input: uint8 (values
0-255) or float (values in [0, 1]); a batch dimension of 1 means one image per call.
"""

import dataclasses

from hubmodels._keras import tf
from hubmodels.errors import InputError

BOXES, SCORES, COUNT, KEYPOINTS = (
    "detection_boxes",
    "detection_scores",
    "num_detections",
    "detection_keypoints",
)
CLASS_KEYS = ("detection_class_labels", "detection_classes")
NAMES, ENTITIES = "detection_class_names", "detection_class_entities"


@dataclasses.dataclass(frozen=True)
class DetectorSpec:
    """The facts of a detector signature that `ObjectDetector` needs.

    image_key / image_dtype: the image input and its dtype (uint8 or a float type);
    image_size: (height, width) when the module takes one fixed size, else None;
    takes_batches: the module maps [batch, h, w, 3] to outputs [batch, N, ...] (else one
      image per call); class_key, names, entities, count: which outputs exist;
    keypoints: the number of keypoints per detection (0: none; None: unknown).
    """

    image_key: str
    image_dtype: tf.DType
    image_size: tuple | None
    takes_batches: bool
    class_key: str | None
    names: bool
    entities: bool
    count: bool
    keypoints: int | None


def _describe(infos: dict) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(infos.items())) + "}"


def read_spec(module, signature=None) -> DetectorSpec:
    """The DetectorSpec of `signature` (None: the default); InputError naming what it found."""
    info = module.signature_info(signature)
    where = f"signature {info.name!r} of module {module.handle}"
    outputs = info.outputs
    if BOXES not in outputs or SCORES not in outputs:
        raise InputError(
            f"{where} is no detector: it returns {_describe(outputs)}; expected "
            f"{BOXES!r} [N, 4] and {SCORES!r} [N] (TF Hub's detector outputs)"
        )
    images = [(k, v) for k, v in info.inputs.items() if v.shape.rank in (4, None)]
    if len(info.inputs) != 1 or not images:
        raise InputError(
            f"{where} takes {_describe(info.inputs)}; a detector takes one image input "
            "[1 or batch, height, width, 3] (uint8 or float)"
        )
    key, image = images[0]
    if not (image.dtype == tf.uint8 or image.dtype.is_floating) or image.is_sparse:
        raise InputError(f"{where} takes images {image}; expected uint8 or float")
    if image.shape.rank == 4 and image.shape[-1] not in (3, None):
        raise InputError(f"{where} takes images {image}; expected 3 channels")
    dims = image.shape.as_list() if image.shape.rank == 4 else [None] * 4
    boxes_rank = outputs[BOXES].shape.rank
    keypoints = 0
    if KEYPOINTS in outputs:
        shape = outputs[KEYPOINTS].shape
        keypoints = shape[-2] if shape.rank else None
    class_key = next((k for k in CLASS_KEYS if k in outputs), None)
    return DetectorSpec(
        image_key=key,
        image_dtype=image.dtype,
        image_size=tuple(dims[1:3]) if None not in dims[1:3] else None,
        takes_batches=dims[0] is None and boxes_rank == 3,
        class_key=class_key,
        names=NAMES in outputs,
        entities=ENTITIES in outputs,
        count=COUNT in outputs,
        keypoints=keypoints,
    )
