"""Handles and tiny labelled texts for the text task tests: praise vs complaint."""

MINILM = "hubmodels://minilm_l6_v2/text_embedding"
ELMO = "hubmodels://standin/google/elmo/2"

POSITIVE = [
    "I love this film, it was wonderful",
    "what a great and happy day",
    "the food was delicious and the staff lovely",
    "fantastic service, I am very pleased",
    "a beautiful, moving and brilliant story",
    "best purchase I have ever made",
    "I really enjoyed the concert tonight",
    "such a delightful and charming hotel",
]
NEGATIVE = [
    "I hate this film, it was terrible",
    "what an awful and miserable day",
    "the food was disgusting and the staff rude",
    "horrible service, I am very angry",
    "a boring, dull and stupid story",
    "worst purchase I have ever made",
    "I really regret going to the concert tonight",
    "such a dirty and unpleasant hotel",
]
