"""A tiny TF2 detection-zoo style detector written here (uint8 images in, padded detections
and num_detections out), in a one-image and a batch variant, and the Faster R-CNN stand-in.

The tiny detector sees an image as four quadrants. Each quadrant is a detection: its box,
score = the quadrant's mean brightness in [0, 1], class = 1 + its brightest channel (1-3).
A fifth box, quadrant 0 shrunk by 10% with 0.9 of its score and its class, overlaps it
(IoU 0.81): NMS at IoU <= 0.8 removes it. Outputs are padded to 6 rows, num_detections = 5.
With keypoints: detection_keypoints [1, 6, 1, 2], the centre of each box. With a size: it
takes only images of that size.
"""

import pytest

from hubmodels._keras import tf

STANDIN = "hubmodels://standin/google/faster_rcnn/openimages_v4/inception_resnet_v2/1"
PADDED = 6


def _detections(image, keypoints):
    """image uint8 [h, w, 3] -> (boxes [6, 4], scores [6], classes [6], keypoints [6, 1, 2])."""
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    half_h, half_w = tf.maximum(height // 2, 1), tf.maximum(width // 2, 1)
    pixels = tf.cast(image, tf.float32) / 255.0
    quadrants = [
        pixels[:half_h, :half_w],
        pixels[:half_h, half_w:],
        pixels[half_h:, :half_w],
        pixels[half_h:, half_w:],
    ]
    means = tf.stack([tf.reduce_mean(tf.reshape(q, [-1, 3]), axis=0) for q in quadrants])
    means = tf.where(tf.math.is_nan(means), tf.zeros_like(means), means)
    scores = tf.reduce_mean(means, axis=1)
    classes = tf.cast(tf.argmax(means, axis=1) + 1, tf.float32)
    boxes = tf.constant([[0, 0, 0.5, 0.5], [0, 0.5, 0.5, 1], [0.5, 0, 1, 0.5], [0.5, 0.5, 1, 1]])
    shrunk = tf.constant([[0.025, 0.025, 0.475, 0.475]])
    boxes = tf.concat([boxes, shrunk, tf.zeros([1, 4])], axis=0)
    scores = tf.concat([scores, 0.9 * scores[:1], [0.0]], axis=0)
    classes = tf.concat([classes, classes[:1], [0.0]], axis=0)
    centres = tf.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], 1)
    return boxes, scores, classes, centres[:, None, :]


class TinyDetector(tf.Module):
    def __init__(self, batch, keypoints, size):
        super().__init__()
        self.keypoints = keypoints
        shape = [None if batch else 1, *(size or (None, None)), 3]
        spec = tf.TensorSpec(shape, tf.uint8, name="input_tensor")
        self.detect = tf.function(self._detect, input_signature=[spec])

    def _detect(self, input_tensor):
        boxes, scores, classes, centres = tf.map_fn(
            lambda image: _detections(image, self.keypoints),
            input_tensor,
            fn_output_signature=(tf.float32,) * 4,
        )
        count = tf.fill([tf.shape(input_tensor)[0]], 5.0)
        outputs = {
            "detection_boxes": boxes,
            "detection_scores": scores,
            "detection_classes": classes,
            "num_detections": count,
        }
        if self.keypoints:
            outputs["detection_keypoints"] = centres
        return outputs


def write_tiny_detector(path, batch=False, keypoints=False, size=None):
    """size: (height, width) the module takes, None for any."""
    module = TinyDetector(batch, keypoints, size)
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.detect})
    return path


@pytest.fixture(scope="session")
def tiny_detector(tmp_path_factory):
    """One image per call, as the TF2 detection zoo's models."""
    return write_tiny_detector(tmp_path_factory.mktemp("tiny_detector") / "module")


@pytest.fixture(scope="session")
def tiny_batch_detector(tmp_path_factory):
    """Takes batches [batch, h, w, 3]; returns keypoints."""
    path = tmp_path_factory.mktemp("tiny_batch_detector") / "module"
    return write_tiny_detector(path, batch=True, keypoints=True)
