"""Fixtures of the text task tests."""

import pytest

from tests.tasks.text.texts import NEGATIVE, POSITIVE


@pytest.fixture
def sentiment_texts():
    """(texts, labels int [16]): 1 for praise, 0 for complaint."""
    return POSITIVE + NEGATIVE, [1] * len(POSITIVE) + [0] * len(NEGATIVE)
