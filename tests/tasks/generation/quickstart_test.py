import pytest

from hubmodels import tasks


def test_generation_provides_commands_and_quickstart_but_no_training():
    generation = tasks.get("generation")  # what tasks.providing(hook) looks at
    assert hasattr(generation, "add_commands") and hasattr(generation, "quickstart")
    assert not hasattr(generation, "train") and not hasattr(generation, "add_train_arguments")


@pytest.mark.slow  # builds (trains) hubmodels://digits_gan/generator once per session, ~1 min
def test_quickstart_step_judges_the_digits_and_saves_a_grid(tmp_path, capsys):
    from PIL import Image

    from hubmodels.tasks.generation.quickstart import run

    figures = run(per_class=5, out=tmp_path / "grid.png")
    assert figures["accuracy"] > 0.7 and 0 < figures["confidence"] <= 1
    with Image.open(figures["grid"]) as grid:
        assert grid.size == (5 * 34 + 2, 10 * 34 + 2)  # five of each digit, one row per digit
    assert f"saved to {tmp_path / 'grid.png'}" in capsys.readouterr().out
