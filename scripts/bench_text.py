"""Text classifiers on the real tweets (hubmodels.datasets.tweet_sentiment), full set.

    python scripts/bench_text.py [--limit N] [--sentence-epochs 30] [--sentence-hidden 256]
        [--sentence-learning-rate 0.001] [--word-epochs 4]
    python scripts/bench_text.py --ratios-only [--ratio-texts 1024] [--ratio-steps 16]

Split: 80/20, stratified, random_state=0 (scikit-learn), as the issue's baseline.
Measures, on the held-out 20%:
  majority class; TF-IDF of 1-2 grams + logistic regression (the 75.5% baseline);
  text_classifier(MiniLM, level="sentence", head=(256,)) (frozen; the head trains on cached
    features, the path hubmodels.fit takes for a frozen module; --sentence-hidden 0: no
    hidden layer);
  text_classifier(MiniLM, level="word", head="bilstm") (frozen module; its BiLSTM and head
    train on token embeddings computed once).
MiniLM runs once over every text (its `tokens` signature, batches sorted by length); the
sentence vectors are the mean-pooled, L2-normalised token embeddings, which is the module's
`default` output (checked on the first batch), and the word-level layers are the model's
own, checked against the whole model on raw texts. Times: wall clock on this machine.

Ratios (one run, on the first `--ratio-texts` training tweets; accuracy on as many held out):
  sentence level: hubmodels.fit of the frozen text_classifier (MiniLM runs once, the head
    trains on its cached vectors) vs a hand-written hub.KerasLayer + Dropout + Dense fit on
    the same tf.data batches (MiniLM runs every epoch): time per epoch, examples/s, accuracy;
  word level: training steps/s of text_classifier(level="word") vs a hand-written tf-keras
    model on the same token embeddings (hub.KerasLayer of the `tokens` signature, then
    Bidirectional LSTM 128 masked, Dropout, Dense), both frozen, on the same batches, after
    one warm-up epoch (tracing) each.
"""

import argparse
import time

import numpy as np


def _split(texts, labels):
    from sklearn.model_selection import train_test_split

    return train_test_split(texts, labels, test_size=0.2, random_state=0, stratify=labels)


def tfidf_baseline(train_texts, test_texts, train_labels, test_labels) -> tuple:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2))
    classifier = LogisticRegression(max_iter=1000)
    classifier.fit(vectorizer.fit_transform(train_texts), train_labels)
    accuracy = float(np.mean(classifier.predict(vectorizer.transform(test_texts)) == test_labels))
    return accuracy, time.perf_counter() - start


def token_embeddings(texts, batch_size=64) -> tuple:
    """Per text, MiniLM's token embeddings float16 [tokens, 384] (no padding); and its
    sentence vectors float32 [n, 384]."""
    import tensorflow_hub as hub
    import tensorflow_text  # noqa: F401  (the tokeniser's ops)

    from hubmodels._keras import tf
    from hubmodels.hub.handles import resolve

    module = hub.load(str(resolve(MINILM)))
    order = np.argsort([len(t) for t in texts], kind="stable")
    tokens, sentences = [None] * len(texts), np.zeros((len(texts), 384), np.float32)
    for start in range(0, len(texts), batch_size):
        chosen = order[start : start + batch_size]
        batch = tf.constant([texts[i] for i in chosen])
        out = module.signatures["tokens"](text=batch)
        embeddings, mask = out["token_embeddings"].numpy(), out["mask"].numpy()
        weights = mask[:, :, None].astype(np.float32)
        mean = (embeddings * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
        vectors = mean / np.maximum(np.linalg.norm(mean, axis=-1, keepdims=True), 1e-12)
        if start == 0:
            reference = module.signatures["default"](text=batch)["default"].numpy()
            assert np.allclose(vectors, reference, atol=1e-4), "pooling differs from `default`"
        for row, i in enumerate(chosen):
            tokens[i] = embeddings[row, : mask[row].sum()].astype(np.float16)
            sentences[i] = vectors[row]
        if start // batch_size % 50 == 0:
            print(f"  embedded {start + len(chosen)}/{len(texts)}", flush=True)
    return tokens, sentences


def padded_batches(tokens, labels, batch_size, shuffle, seed=0):
    """tf.data of ([embeddings [b, seq, 384], mask int32 [b, seq]], labels), length buckets."""
    from hubmodels._keras import tf

    rng = np.random.default_rng(seed)

    def generate():
        order = np.argsort([len(t) for t in tokens], kind="stable")
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        if shuffle:
            rng.shuffle(batches)
        for chosen in batches:
            seq = max(len(tokens[i]) for i in chosen)
            embeddings = np.zeros((len(chosen), seq, 384), np.float32)
            mask = np.zeros((len(chosen), seq), np.int32)
            for row, i in enumerate(chosen):
                embeddings[row, : len(tokens[i])] = tokens[i]
                mask[row, : len(tokens[i])] = 1
            yield (embeddings, mask), labels[chosen]

    spec = (
        (tf.TensorSpec([None, None, 384], tf.float32), tf.TensorSpec([None, None], tf.int32)),
        tf.TensorSpec([None], tf.int32),
    )
    return tf.data.Dataset.from_generator(generate, output_signature=spec).prefetch(2)


MINILM = "hubmodels://minilm_l6_v2/text_embedding"


def sentence_level(train, test, class_names, epochs, hidden, learning_rate) -> tuple:
    from hubmodels._keras import keras
    from hubmodels.tasks.text import text_classifier
    from hubmodels.training.cached import Features, fit_on_features
    from hubmodels.training.compile import compile_for_task

    keras.utils.set_random_seed(0)
    head = (hidden,) if hidden else None
    model = text_classifier(MINILM, len(class_names), head=head, class_names=class_names)
    compile_for_task(model, learning_rate, None)
    start = time.perf_counter()
    fit_on_features(
        model,
        Features(train[0], train[1], 64),
        Features(test[0], test[1], 256),
        epochs=epochs,
        verbose=2,
    )
    seconds = time.perf_counter() - start
    predicted = np.argmax(model.get_layer("head").predict(test[0], verbose=0), axis=-1)
    return float(np.mean(predicted == test[1])), seconds


def word_level(train, test, class_names, epochs, check_texts) -> tuple:
    """Trains the word-level model's BiLSTM and head on cached token embeddings; checks that
    they give the whole model's predictions on `check_texts` (the first held-out texts)."""
    from hubmodels._keras import keras
    from hubmodels.tasks.text import text_classifier

    model = text_classifier(MINILM, len(class_names), level="word", class_names=class_names)
    embeddings = keras.Input(shape=(None, 384), dtype="float32")
    mask = keras.Input(shape=(None,), dtype="int32")
    tokens, token_mask = model.get_layer("token_sequence")([embeddings, mask])
    pooled = model.get_layer("bilstm")(tokens, mask=token_mask)
    head = keras.Model([embeddings, mask], model.get_layer("head")(pooled))
    loss, metrics = model.loss_and_metrics()
    head.compile(keras.optimizers.Adam(1e-3), loss, metrics)
    start = time.perf_counter()
    head.fit(
        padded_batches(train[0], train[1], 64, shuffle=True),
        validation_data=padded_batches(test[0], test[1], 256, shuffle=False),
        epochs=epochs,
        verbose=2,
    )
    seconds = time.perf_counter() - start
    predicted, truth = [], []
    for inputs, y in padded_batches(test[0], test[1], 256, shuffle=False):
        predicted.append(np.argmax(head(inputs), axis=-1))
        truth.append(y.numpy())
    accuracy = float(np.mean(np.concatenate(predicted) == np.concatenate(truth)))
    count = len(check_texts)
    whole = model.predict(np.asarray(check_texts, object), verbose=0)
    (inputs, _), *_ = padded_batches(test[0][:count], test[1][:count], count, shuffle=False)
    part = head(inputs).numpy()
    order = np.argsort([len(t) for t in test[0][:count]], kind="stable")
    assert np.allclose(whole[order], part, atol=1e-2), "the cached path differs from the model"
    return accuracy, seconds


def _batches(texts, labels, batch_size):
    from hubmodels._keras import tf

    return tf.data.Dataset.from_tensor_slices((list(texts), labels)).batch(batch_size)


def _hand_written_head(features, num_classes):
    from hubmodels._keras import keras

    x = keras.layers.Dropout(0.2)(features)
    return keras.layers.Dense(num_classes, activation="softmax")(x)


def _compile_by_hand(model):
    from hubmodels._keras import keras

    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", ["accuracy"])


def sentence_fit_ratio(train, test, class_names, epochs) -> dict:
    """Wall-clock seconds, examples/s and held-out accuracy of both sentence-level fits."""
    import tensorflow_hub as hub

    import hubmodels
    from hubmodels._keras import keras, tf
    from hubmodels.hub.handles import resolve
    from hubmodels.tasks.text import text_classifier

    train_data, test_data = _batches(*train, 64), _batches(*test, 256)
    results = {}
    keras.utils.set_random_seed(0)
    ours = text_classifier(MINILM, len(class_names), class_names=class_names)
    start = time.perf_counter()
    hubmodels.fit(ours, train_data, epochs=epochs, verbose=0)
    results["hubmodels.fit (cached)"] = (time.perf_counter() - start, ours, test_data)
    keras.utils.set_random_seed(0)
    text = keras.Input(shape=(), dtype=tf.string)
    features = hub.KerasLayer(str(resolve(MINILM)), trainable=False)(text)
    theirs = keras.Model(text, _hand_written_head(features, len(class_names)))
    _compile_by_hand(theirs)
    start = time.perf_counter()
    theirs.fit(train_data, epochs=epochs, verbose=0)
    results["hub.KerasLayer + Dense"] = (time.perf_counter() - start, theirs, test_data)
    return {
        name: {
            "seconds_per_epoch": seconds / epochs,
            "examples_per_s": len(train[0]) * epochs / seconds,
            "accuracy": model.evaluate(data, verbose=0)[1],
        }
        for name, (seconds, model, data) in results.items()
    }


def word_steps_ratio(train, class_names, steps) -> dict:
    """Training steps/s (batches of 32) of both word-level models, after a warm-up epoch."""
    import tensorflow_hub as hub

    from hubmodels._keras import keras, tf
    from hubmodels.hub.handles import resolve
    from hubmodels.tasks.text import text_classifier
    from hubmodels.training.compile import compile_for_task

    data = _batches(train[0][: 32 * steps], train[1][: 32 * steps], 32).cache()
    keras.utils.set_random_seed(0)
    ours = text_classifier(MINILM, len(class_names), level="word", class_names=class_names)
    compile_for_task(ours)
    keras.utils.set_random_seed(0)
    text = keras.Input(shape=(), dtype=tf.string)
    found = hub.KerasLayer(
        str(resolve(MINILM)), signature="tokens", signature_outputs_as_dict=True
    )(text)
    mask = tf.cast(found["mask"], tf.bool)
    lstm = keras.layers.Bidirectional(keras.layers.LSTM(128))
    pooled = lstm(found["token_embeddings"], mask=mask)
    theirs = keras.Model(text, _hand_written_head(pooled, len(class_names)))
    _compile_by_hand(theirs)
    rates = {}
    for name, model in (("text_classifier(word)", ours), ("hand-written BiLSTM", theirs)):
        model.fit(data, epochs=1, verbose=0)  # tracing
        start = time.perf_counter()
        model.fit(data, epochs=1, verbose=0)
        rates[name] = steps / (time.perf_counter() - start)
    return rates


def ratios(train, test, class_names, count, steps, epochs):
    """Prints both ratios on the first `count` training and held-out tweets."""
    train = (list(train[0][:count]), train[1][:count])
    test = (list(test[0][:count]), test[1][:count])
    sentence = sentence_fit_ratio(train, test, class_names, epochs)
    print(f"\nsentence level, frozen MiniLM, {count} tweets, {epochs} epochs:")
    for name, found in sentence.items():
        print(
            f"  {name:24s} {found['seconds_per_epoch']:7.1f} s/epoch "
            f"{found['examples_per_s']:8.0f} examples/s  accuracy {found['accuracy']:.1%}"
        )
    ours, theirs = (found["seconds_per_epoch"] for found in sentence.values())
    print(f"  ratio (hand-written time / ours): {theirs / ours:.1f}x")
    word = word_steps_ratio(train, class_names, steps)
    print(f"word level, frozen MiniLM, {steps} steps of 32 tweets:")
    for name, rate in word.items():
        print(f"  {name:24s} {rate:6.2f} steps/s")
    ours, theirs = word.values()
    print(f"  ratio (ours / hand-written steps/s): {ours / theirs:.2f}x (goal >= 1.0x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="N random tweets only (a quick run)")
    parser.add_argument("--sentence-epochs", type=int, default=30)
    parser.add_argument("--sentence-hidden", type=int, default=256, help="0: no hidden layer")
    parser.add_argument("--sentence-learning-rate", type=float, default=1e-3)
    parser.add_argument("--word-epochs", type=int, default=4)
    parser.add_argument("--ratios-only", action="store_true", help="only the two ratios")
    parser.add_argument("--ratio-texts", type=int, default=1024)
    parser.add_argument("--ratio-steps", type=int, default=16)
    parser.add_argument("--ratio-epochs", type=int, default=3)
    args = parser.parse_args()
    from hubmodels.datasets import tweet_sentiment

    data = tweet_sentiment(validation_split=0)
    texts, labels = list(data.train_texts), data.train_labels
    if args.limit:  # a random subset (the file is sorted by class)
        chosen = np.sort(np.random.default_rng(0).permutation(len(texts))[: args.limit])
        texts, labels = [texts[i] for i in chosen], labels[chosen]
    train_texts, test_texts, train_labels, test_labels = _split(texts, labels)
    print(f"{len(texts)} tweets: {len(train_texts)} training, {len(test_texts)} held out")
    ratios(
        (train_texts, train_labels),
        (test_texts, test_labels),
        data.class_names,
        args.ratio_texts,
        args.ratio_steps,
        args.ratio_epochs,
    )
    if args.ratios_only:
        return
    majority = float(np.mean(test_labels == np.bincount(train_labels).argmax()))
    tfidf, tfidf_seconds = tfidf_baseline(train_texts, test_texts, train_labels, test_labels)
    print(
        f"majority {majority:.1%}; TF-IDF + logistic regression {tfidf:.1%} ({tfidf_seconds:.0f} s)"
    )
    start = time.perf_counter()
    train_tokens, train_sentences = token_embeddings(train_texts)
    test_tokens, test_sentences = token_embeddings(test_texts)
    embed_seconds = time.perf_counter() - start
    print(f"MiniLM over all texts once: {embed_seconds:.0f} s")
    sentence, sentence_seconds = sentence_level(
        (train_sentences, train_labels),
        (test_sentences, test_labels),
        data.class_names,
        args.sentence_epochs,
        args.sentence_hidden,
        args.sentence_learning_rate,
    )
    word, word_seconds = word_level(
        (train_tokens, train_labels),
        (test_tokens, test_labels),
        data.class_names,
        args.word_epochs,
        test_texts[:16],
    )
    print()
    print(f"held-out accuracy on {len(test_texts)} tweets (80/20 stratified, random_state=0)")
    print(f"  majority class                      {majority:.1%}")
    print(f"  TF-IDF 1-2 grams + logistic reg.    {tfidf:.1%}  ({tfidf_seconds:.0f} s)")
    print(
        f"  MiniLM sentence level, head {args.sentence_hidden or 'none':4}  {sentence:.1%}  "
        f"({sentence_seconds:.0f} s "
        f"for {args.sentence_epochs} epochs + {embed_seconds:.0f} s of MiniLM, shared)"
    )
    print(
        f"  MiniLM word level, BiLSTM 2x128     {word:.1%}  ({word_seconds:.0f} s "
        f"for {args.word_epochs} epochs + the same MiniLM pass)"
    )


if __name__ == "__main__":
    main()
