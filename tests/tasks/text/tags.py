"""A small tagging set, generated (not real text): template sentences whose words are tagged
NUMBER, COLOUR, ANIMAL or OTHER from the word lists below, with a seeded generator."""

import numpy as np

TAG_NAMES = ["OTHER", "NUMBER", "COLOUR", "ANIMAL"]
WORDS = {
    "NUMBER": ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve"],
    "COLOUR": ["red", "blue", "green", "yellow", "black", "white", "brown", "purple", "grey"],
    "ANIMAL": ["cats", "dogs", "horses", "birds", "cows", "foxes", "mice", "sheep", "goats"],
}
TEMPLATES = [
    "I saw {NUMBER} {COLOUR} {ANIMAL} in the garden",
    "there were {NUMBER} {ANIMAL} near the {COLOUR} barn",
    "my neighbour keeps {NUMBER} {ANIMAL} and paints them {COLOUR}",
    "{NUMBER} {COLOUR} {ANIMAL} ran across the road today",
    "we counted {NUMBER} {ANIMAL} under a {COLOUR} sky",
    "the farmer sold {NUMBER} {ANIMAL} at the market",
    "she drew {ANIMAL} with a {COLOUR} pencil",
    "look at those {COLOUR} {ANIMAL} over there",
]


def tagged_texts(count: int, seed: int) -> tuple:
    """(texts list of str [count], tags int32 [count, words] padded with -1): random fills
    of random templates; tags index TAG_NAMES."""
    rng = np.random.default_rng(seed)
    texts, tags = [], []
    for _ in range(count):
        template = TEMPLATES[rng.integers(len(TEMPLATES))]
        words, labels = [], []
        for part in template.split():
            kind = part.strip("{}") if part.startswith("{") else None
            words.append(rng.choice(WORDS[kind]) if kind else part)
            labels.append(TAG_NAMES.index(kind) if kind else 0)
        texts.append(" ".join(words))
        tags.append(labels)
    width = max(len(t) for t in tags)
    padded = np.full((count, width), -1, np.int32)
    for row, labels in enumerate(tags):
        padded[row, : len(labels)] = labels
    return texts, padded
