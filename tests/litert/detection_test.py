"""Detectors on LiteRT: export_litert of an ObjectDetector, `detect` on its predictor, and
`hubmodels detect` on a .tflite file or with --runtime litert; records equal TensorFlow's."""

import json

import numpy as np
import pytest
from PIL import Image
from skimage import data

from hubmodels import paths
from hubmodels._keras import tf
from hubmodels.cli.main import main
from hubmodels.errors import InputError
from hubmodels.litert import ConversionError, convert, export_litert, load_litert, metadata
from hubmodels.tasks.detection import object_detector
from hubmodels.zoo import sources
from hubmodels.zoo.mtcnn import SOURCE as MTCNN_SOURCE
from tests.cli.command import run_hubmodels
from tests.photos import grace_hopper, grace_hopper_path
from tests.tasks.detection.conftest import STANDIN, TinyDetector

FACES = "hubmodels://mtcnn/face_detection"


class QuadrantDetector(TinyDetector):
    """A TF2 detection-zoo style module (uint8 images in; boxes [b, 5, 4], scores, float
    classes, num_detections out) seeing each image as four quadrants: score = the quadrant's
    mean brightness, class = 1 + its brightest channel; a fifth box, quadrant 0 shrunk by 10%
    with 0.9 of its score, overlaps it (IoU 0.81). With keypoints: the boxes' centres.
    Batch ops only: tests/tasks/detection's tiny detector maps over images with tf.map_fn,
    whose TensorList lowering LiteRT fails to run (SLICE in the WHILE body)."""

    def __init__(self, batch=False, keypoints=False, size=None):
        super().__init__(batch, keypoints, size)  # its signature, with this _detect

    def _detect(self, input_tensor):
        pixels = tf.cast(input_tensor, tf.float32) / 255.0
        half_h, half_w = tf.shape(pixels)[1] // 2, tf.shape(pixels)[2] // 2
        quadrants = [
            pixels[:, :half_h, :half_w],
            pixels[:, :half_h, half_w:],
            pixels[:, half_h:, :half_w],
            pixels[:, half_h:, half_w:],
        ]
        means = tf.stack([tf.reduce_mean(q, axis=[1, 2]) for q in quadrants], axis=1)
        scores = tf.reduce_mean(means, axis=2)  # [b, 4]
        classes = tf.cast(tf.argmax(means, axis=2) + 1, tf.float32)
        scores = tf.concat([scores, 0.9 * scores[:, :1]], axis=1)
        classes = tf.concat([classes, classes[:, :1]], axis=1)
        boxes = tf.constant(
            [[0, 0, 0.5, 0.5], [0, 0.5, 0.5, 1], [0.5, 0, 1, 0.5], [0.5, 0.5, 1, 1]]
            + [[0.025, 0.025, 0.475, 0.475]]
        )
        batch = tf.shape(pixels)[0]
        outputs = {
            "detection_boxes": tf.tile(boxes[None], [batch, 1, 1]),
            "detection_scores": scores,
            "detection_classes": classes,
            "num_detections": tf.fill([batch], 5.0),
        }
        if self.keypoints:
            centres = (boxes[:, :2] + boxes[:, 2:]) / 2
            outputs["detection_keypoints"] = tf.tile(centres[None, :, None], [batch, 1, 1, 1])
        return outputs


def write_quadrant_detector(path, **options):
    module = QuadrantDetector(**options)
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.detect})
    return path


@pytest.fixture(scope="module")
def photos():
    """Real photos of four sizes, uint8 [h, w, 3]."""
    return [grace_hopper(), data.astronaut(), data.coffee(), data.chelsea()]


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    """(detector, its .tflite file): the Faster R-CNN stand-in, scores >= 0.1, at most 20."""
    detector = object_detector(STANDIN, min_score=0.1, max_detections=20)
    path = tmp_path_factory.mktemp("standin_litert") / "standin.tflite"
    return detector, export_litert(detector, path)


def assert_same_records(got, expected):
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected):
        assert mine.image_size == theirs.image_size
        assert len(mine) == len(theirs)
        assert mine.labels() == theirs.labels()
        assert (mine.names, mine.entities) == (theirs.names, theirs.entities)
        np.testing.assert_array_equal(mine.classes, theirs.classes)
        np.testing.assert_allclose(mine.boxes, theirs.boxes, atol=1e-4)
        np.testing.assert_allclose(mine.scores, theirs.scores, atol=1e-4)
        np.testing.assert_allclose(mine.pixel_boxes, theirs.pixel_boxes, atol=0.1)
        if theirs.keypoints is None:
            assert mine.keypoints is None
        else:
            np.testing.assert_allclose(mine.keypoints, theirs.keypoints, atol=1e-4)


def test_standin_records_equal_tensorflow_on_real_photos(standin, photos):
    detector, path = standin
    expected = detector.detect(photos)
    assert sum(len(record) for record in expected) >= 20  # something to compare
    assert_same_records(load_litert(path, threads=2).detect(photos), expected)


def test_labels_and_selection_come_from_the_file(standin):
    _, path = standin
    found = metadata.read(path.read_bytes(), str(path))
    assert found["task"] == "detection" and found["quantization"] == "float32"
    assert found["inputs"] == [{"name": "images", "shape": [1, -1, -1, 3], "dtype": "uint8"}]
    assert found["outputs"] == [
        "detection_boxes",
        "detection_scores",
        "detection_classes",
        "num_detections",
    ]
    assert (found["min_score"], found["max_detections"], found["nms_iou"]) == (0.1, 20, None)
    assert len(found["labels"]) == 600
    assert found["labels"][:2] == [[1, "Person", "/m/standin_001"], [2, "Car", "/m/standin_002"]]
    predictor = load_litert(path)
    assert predictor.task == "detection" and predictor.export_metadata == found


def test_classes_by_name_and_nms_are_kept(photos, tmp_path):
    """Classes chosen by name are chosen by id in the file (strings are no LiteRT tensors)."""
    everything = object_detector(STANDIN, max_detections=40).detect(photos[:1])[0]
    wanted = [everything.names[0], everything.entities[3], 999]  # 999: no such class
    detector = object_detector(STANDIN, classes=wanted, nms_iou=0.3)
    found = metadata.read(convert(detector), "memory")
    assert found["class_texts"] == wanted[:2] and found["nms_iou"] == 0.3
    path = export_litert(detector, tmp_path / "chosen.tflite")
    expected = detector.detect(photos[:2])
    assert {e for record in expected for e in record.entities} <= {
        everything.entities[0],
        wanted[1],
    }
    assert_same_records(load_litert(path).detect(photos[:2]), expected)


@pytest.mark.parametrize(
    "variant",
    [{}, {"batch": True, "keypoints": True}, {"size": (24, 32)}],
    ids=["one_image", "batch_keypoints", "fixed_size"],
)
def test_tiny_detectors_equal_tensorflow(variant, tmp_path):
    """uint8 modules of the TF2 detection zoo's interface, on images of several sizes, uint8
    and float ones; the selection's NMS keeps what TensorFlow's keeps."""
    module = write_quadrant_detector(tmp_path / "module", **variant)
    detector = object_detector(str(module), min_score=0.2, nms_iou=0.8)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, size, dtype=np.uint8) for size in [(12, 16, 3), (31, 9, 3)]]
    images.append(images[0].astype(np.float32) / 255)
    predictor = load_litert(export_litert(detector, tmp_path / "tiny.tflite"))
    got = predictor.detect(images)
    assert [len(record) for record in got] == [4, 4, 4]  # NMS removed the fifth
    assert_same_records(got, detector.detect(images))
    assert (got[0].keypoints is not None) == bool(variant.get("keypoints"))


def test_quantized_detector_keeps_its_detections(standin, photos, tmp_path):
    detector, _ = standin
    expected = detector.detect(photos[:1])[0]
    for mode in ("float16", "dynamic"):
        path = export_litert(detector, tmp_path / f"{mode}.tflite", quantization=mode)
        got = load_litert(path).detect(photos[:1])[0]
        assert load_litert(path).quantization == mode
        assert 0 < len(got) and abs(len(got) - len(expected)) <= 3
        np.testing.assert_allclose(got.scores[:3], expected.scores[:3], atol=0.02)


def test_int8_detector_calibrates_on_images(standin, photos, tmp_path):
    """Full integer converts (float in and out); its detections depend on the calibration
    images (two crops here: a check that it runs, not of its quality)."""
    detector, path = standin
    with pytest.raises(InputError, match="give representative_data"):
        convert(detector, quantization="int8")
    calibration = np.stack([data.rocket()[:128, :128], data.chelsea()[:128, :128]])
    int8 = export_litert(
        detector, tmp_path / "int8.tflite", quantization="int8", representative_data=calibration
    )
    assert int8.stat().st_size < path.stat().st_size / 2
    (record,) = load_litert(int8).detect(photos[:1])
    assert len(record) == 20 and np.all((record.scores >= 0.1) & (record.scores <= 1))
    assert np.all(np.diff(record.scores) <= 0) and record.labels()[0] == "Bird 8"


def test_mtcnn_does_not_convert_and_names_its_ops(tmp_path):
    """The real face detector: its image pyramid resizes with area averaging and its
    cascade crops with crop_and_resize, which have no LiteRT builtin kernels."""
    if not sources.is_available(MTCNN_SOURCE):
        pytest.skip(sources.missing_message(MTCNN_SOURCE, "mtcnn/face_detection"))
    with pytest.raises(ConversionError) as raised:
        convert(object_detector(FACES, min_score=0.5))
    message = str(raised.value)
    assert message.startswith(
        f"cannot convert the detector of module {FACES} to LiteRT: no LiteRT builtin kernel for"
    )
    assert "tf.CropAndResize (in 'detect')" in message
    assert "tf.ResizeArea (in 'detect', at 'while/resize')" in message
    assert message.endswith("serve it with TensorFlow (object_detector, save_detector)")
    # The command: that one line, without the converter's diagnostics (this home's zoo).
    command = ["detect", grace_hopper_path(), "--module", FACES, "--min-score", "0.5"]
    result = run_hubmodels(
        *command,
        "--runtime",
        "litert",
        "--out",
        tmp_path / "out",
        home=tmp_path,
        env={"HUBMODELS_HOME": str(paths.home())},
    )
    assert result.returncode == 1
    assert result.stderr == f"hubmodels: error: {message}\n"


def test_predictor_of_another_task_has_no_detect(digits_tflite):
    with pytest.raises(InputError, match="is a LiteRT model of task 'image', not a detector"):
        load_litert(digits_tflite).detect([np.zeros((8, 8, 3), np.uint8)])


def _detect_json(*args, home):
    """`hubmodels detect ... --json` in a fresh process: (its records, its whole stderr)."""
    result = run_hubmodels("detect", *args, "--json", home=home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_cli_on_a_tflite_file_alone_equals_tensorflow(standin, tmp_path, capsys):
    """A fresh home: the .tflite file is all there is (no module in the cache)."""
    _, path = standin
    photo = grace_hopper_path()
    got, stderr = _detect_json(photo, "--module", path, "--out", tmp_path / "lite", home=tmp_path)
    assert stderr == ""
    command = ["detect", str(photo), "--module", STANDIN, "--out", str(tmp_path / "tf")]
    assert main([*command, "--min-score", "0.1", "--max-detections", "20", "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    assert [row["label"] for row in got[0]["detections"]] == [
        row["label"] for row in expected[0]["detections"]
    ]
    np.testing.assert_allclose(
        [row["box"] for row in got[0]["detections"]],
        [row["box"] for row in expected[0]["detections"]],
        atol=1e-4,
    )
    with Image.open(got[0]["picture"]) as picture:
        assert picture.size == (512, 600)


def test_predict_on_a_detector_tflite_prints_its_records(standin, capsys):
    detector, path = standin
    photo = grace_hopper_path()
    assert main(["predict", "--model", str(path), str(photo), "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    expected = detector.detect([np.asarray(Image.open(photo).convert("RGB"))])[0]
    assert entry["image"] == str(photo) and "picture" not in entry
    assert [row["label"] for row in entry["detections"]] == expected.labels()


def test_cli_runtime_litert_converts_the_module(tmp_path):
    module = write_quadrant_detector(tmp_path / "module")
    image = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (20, 30, 3), np.uint8)).save(image)
    common = [image, "--module", module, "--min-score", "0.2", "--nms-iou", "0.8"]
    expected, _ = _detect_json(*common, "--out", tmp_path / "tf", home=tmp_path)
    got, stderr = _detect_json(
        *common, "--out", tmp_path / "lite", "--runtime", "litert", "--threads", "1", home=tmp_path
    )
    assert stderr == ""
    assert len(got[0]["detections"]) == len(expected[0]["detections"]) == 4
    for mine, theirs in zip(got[0]["detections"], expected[0]["detections"]):
        assert mine["label"] == theirs["label"]
        np.testing.assert_allclose(mine["pixel_box"], theirs["pixel_box"], atol=0.01)


def test_cli_errors_are_one_line(standin, tmp_path):
    _, path = standin
    photo = grace_hopper_path()
    cases = [
        (
            ["--module", path, "--min-score", "0.5"],
            f"{path} was exported with its selection fixed: --min-score cannot change it "
            "(export the detector again with other options)",
        ),
        (
            ["--module", path, "--runtime", "tensorflow"],
            f"{path} is a LiteRT model: run it with --runtime litert",
        ),
    ]
    for options, message in cases:
        result = run_hubmodels("detect", photo, *options, "--out", tmp_path / "out", home=tmp_path)
        assert result.returncode == 1
        assert result.stderr == f"hubmodels: error: {message}\n"
