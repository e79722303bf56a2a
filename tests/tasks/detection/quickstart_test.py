import pytest

from hubmodels import tasks


def test_detection_provides_commands_and_quickstart_but_no_training():
    detection = tasks.get("detection")
    assert hasattr(detection, "add_commands") and hasattr(detection, "quickstart")
    assert not hasattr(detection, "train") and not hasattr(detection, "add_train_arguments")
    assert "detection" in tasks.providing("serving_signatures")


@pytest.mark.slow  # builds the MTCNN cascade (~15 s), traces it over six photos (~15 s)
def test_quickstart_step_finds_the_two_faces_and_saves_the_astronaut(tmp_path, capsys):
    from PIL import Image

    from hubmodels.tasks.detection.quickstart import run

    result = run(out=tmp_path / "faces.png")
    found = {name: len(record) for name, record in result["records"].items()}
    assert found == {
        "astronaut": 1,
        "camera": 1,
        "coffee": 0,
        "chelsea": 0,
        "rocket": 0,
        "stereo_motorcycle": 0,
    }
    with Image.open(result["picture"]) as picture:
        assert picture.size == (512, 512)
    assert f"saved to {tmp_path / 'faces.png'}" in capsys.readouterr().out
