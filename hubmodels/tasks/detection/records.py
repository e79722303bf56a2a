"""`Detections`: what a detector found in one image (n detections, best score first)."""

import dataclasses

import numpy as np


@dataclasses.dataclass
class Detections:
    """The detections of one image of `image_size` (height, width).

    boxes: float32 [n, 4] normalised [ymin, xmin, ymax, xmax]; pixel_boxes: the same in
    pixels; scores: float32 [n]; classes: int64 [n] (the module's ids, 0 if it has none);
    names, entities: n strings ("" if the module has none); keypoints: float32 [n, k, 2]
    normalised (y, x), or None for modules without keypoints; pixel_keypoints: in pixels.
    """

    image_size: tuple
    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray
    names: list
    entities: list
    keypoints: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def pixel_boxes(self) -> np.ndarray:
        height, width = self.image_size
        return self.boxes * np.array([height, width, height, width], np.float32)

    @property
    def pixel_keypoints(self) -> np.ndarray | None:
        if self.keypoints is None:
            return None
        return self.keypoints * np.array(self.image_size, np.float32)

    def labels(self) -> list:
        """A display name per detection: the entity or name that is not a "/m/..." id,
        else "class N"."""
        shown = []
        for class_id, name, entity in zip(self.classes, self.names, self.entities):
            readable = [t for t in (entity, name) if t and not t.startswith("/m/")]
            shown.append(readable[0] if readable else (name or entity or f"class {class_id}"))
        return shown

    def to_json(self) -> dict:
        """A JSON-ready dict: image_size and one entry per detection (pixel and normalised)."""
        rows = []
        for i, label in enumerate(self.labels()):
            row = {
                "label": label,
                "score": round(float(self.scores[i]), 6),
                "class": int(self.classes[i]),
                "name": self.names[i],
                "entity": self.entities[i],
                "box": [round(float(v), 6) for v in self.boxes[i]],
                "pixel_box": [round(float(v), 2) for v in self.pixel_boxes[i]],
            }
            if self.keypoints is not None:
                row["keypoints"] = np.round(self.keypoints[i], 6).tolist()
                row["pixel_keypoints"] = np.round(self.pixel_keypoints[i], 2).tolist()
            rows.append(row)
        return {"image_size": list(self.image_size), "detections": rows}


def from_padded(padded: dict, image_size) -> Detections:
    """Detections of one image from its padded outputs as numpy (see selection.py)."""
    n = int(padded["num_detections"])

    def strings(key):
        return [v.decode("utf-8") for v in padded[key][:n]]

    keypoints = padded.get("detection_keypoints")
    return Detections(
        image_size=tuple(int(v) for v in image_size),
        boxes=padded["detection_boxes"][:n].astype(np.float32),
        scores=padded["detection_scores"][:n].astype(np.float32),
        classes=padded["detection_classes"][:n].astype(np.int64),
        names=strings("detection_class_names"),
        entities=strings("detection_class_entities"),
        keypoints=None if keypoints is None else keypoints[:n].astype(np.float32),
    )
