"""The text task on the command line: `train --task text` and `predict` on text exports.

    hubmodels train --task text --data tweets.csv --label-column sentiment \
        --encoding latin-1 --module hubmodels://minilm_l6_v2/text_embedding --level word
    hubmodels predict --model out texts.txt      # one text per line; "-" reads stdin
"""

import json
import sys
from pathlib import Path

from hubmodels.cli.arguments import positive_int
from hubmodels.cli.training import fit_and_export
from hubmodels.errors import InputError


def read_lines(inputs) -> list:
    """The texts of `inputs`: files with one text per line, or "-" for standard input."""
    texts = []
    for source in inputs:
        if source == "-":
            texts += sys.stdin.read().splitlines()
            continue
        path = Path(source)
        if not path.is_file():
            raise InputError(
                f"text file {path} does not exist: predict reads files with one text per line "
                '(or "-" for standard input)'
            )
        try:
            texts += path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as err:
            raise InputError(f"text file {path} is not UTF-8 text (byte {err.start})") from None
    return texts


def predict(model, args) -> None:
    """`hubmodels predict` on a text export: per line, the top-k labels and their scores."""
    from hubmodels._keras import tf
    from hubmodels.tasks.text.classifiers import as_texts

    if getattr(model, "text_inputs", "text") != "text":
        raise InputError(f"model {args.model} takes pre-split tokens, not lines of text")
    texts = read_lines(args.inputs)
    if not texts:
        raise InputError("no texts to predict: the inputs have no lines")
    probabilities = model.predict(as_texts(texts), batch_size=64, verbose=0)
    names = model.class_names or [f"class_{i}" for i in range(probabilities.shape[-1])]
    if getattr(model, "text_outputs", "classes") == "tags":
        _print_tags(texts, probabilities, names, args.json)
        return
    k = min(args.top, probabilities.shape[-1])
    top = tf.math.top_k(probabilities, k=k)
    rows = [
        {
            "text": text,
            "top_k": [
                {"label": names[int(i)], "score": round(float(s), 6)}
                for i, s in zip(indices, scores)
            ],
        }
        for text, indices, scores in zip(texts, top.indices.numpy(), top.values.numpy())
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        best = row["top_k"][0]
        print(f"{best['score']:7.2%}  {best['label']:<12s} {row['text']}")


def _print_tags(texts, probabilities, names, as_json) -> None:
    """A tagger's answer per line: each whitespace word with its tag and score.

    probabilities: [texts, words, tags] (rows past a text's last word are ignored).
    """
    rows = []
    for text, per_word in zip(texts, probabilities):
        words = text.split()
        best = per_word[: len(words)].argmax(-1)
        rows.append(
            {
                "text": text,
                "tags": [
                    {"word": w, "tag": names[int(t)], "score": round(float(p[t]), 6)}
                    for w, t, p in zip(words, best, per_word)
                ],
            }
        )
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        print(" ".join(f"{tag['word']}/{tag['tag']}" for tag in row["tags"]))


def train(args) -> None:
    from hubmodels.data.text import text_from_csv, text_from_folder
    from hubmodels.tasks.text.classifiers import text_classifier

    options = dict(
        batch_size=args.batch_size,
        validation_split=args.validation_split,
        seed=args.seed,
        skip_errors=getattr(args, "skip_errors", False),
    )
    source = Path(args.data)
    multi_label = getattr(args, "multi_label", False)
    if source.suffix.lower() == ".csv":
        data = text_from_csv(
            source,
            args.text_column,
            args.label_column,
            label_separator=getattr(args, "label_separator", " ") if multi_label else None,
            encoding=args.encoding,
            **options,
        )
    elif multi_label:
        raise InputError("--multi-label needs a CSV file (text,label with separated labels)")
    else:
        data = text_from_folder(source, encoding=args.encoding, **options)
    model = text_classifier(
        args.module,
        data.num_classes,
        level=args.level,
        head=args.head,
        units=args.units,
        multi_label=data.multi_label,
        unfreeze=args.unfreeze,
        max_tokens=args.max_tokens,
        class_names=data.class_names,
    )
    fit_and_export(model, data, args, "texts", extra={"skipped": len(data.skipped)})


def _head(text):
    """ "bilstm" | "dense" (word level) | hidden sizes "256" or "256,128" (sentence level)."""
    if text in ("bilstm", "dense"):
        return text
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InputError(
            f"--head must be bilstm, dense or hidden sizes like 256,128: {text!r}"
        ) from None


def add_train_arguments(group) -> None:
    """The options of `hubmodels train --task text` (data: a CSV file or class folders of
    text files). --skip-errors, --multi-label and --label-separator are shared with images."""
    group.add_argument("--level", choices=("sentence", "word"), default="sentence")
    group.add_argument(
        "--head", type=_head, help="word: bilstm (default) or dense; sentence: sizes like 256"
    )
    group.add_argument("--units", type=positive_int, default=128, help="BiLSTM units each way")
    group.add_argument("--max-tokens", type=positive_int, help="word level: tokens kept")
    group.add_argument("--text-column", default="text", help="CSV column of the texts")
    group.add_argument("--label-column", default="label", help="CSV column of the labels")
    group.add_argument("--encoding", default="utf-8-sig", help="of the CSV or text files")
