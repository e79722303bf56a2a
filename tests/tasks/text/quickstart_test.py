"""The text quickstart step: real tweets, real MiniLM, honest numbers beside baselines."""

import pytest

from hubmodels.tasks.text import quickstart


@pytest.mark.slow
def test_quickstart_prints_accuracy_beside_the_baselines(tmp_path, capsys):
    result = quickstart.run(count=60, epochs=2, workdir=tmp_path)
    out = capsys.readouterr().out
    assert "48 training and 12 held-out tweets" in out
    assert f"MiniLM sentence level {result['accuracy']:.1%}" in out
    assert f"majority class {result['majority']:.1%}" in out
    assert 0 <= result["accuracy"] <= 1 and result["tfidf"] is not None
    assert out.count("serving_default on") == 2 and (tmp_path / "tweets_model").is_dir()
