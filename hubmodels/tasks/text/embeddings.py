"""What a text module gives a classifier: one vector per text, or one vector per token.

    layer, spec = sentence_embedder(module)   # text string [batch] -> float32 [batch, d]
    layer, spec = token_embedder(module)      # text -> {embeddings: [batch, seq, d], ...}

Sentence level takes the module's default signature (or `signature`/`output_key`); it must
map strings [batch] to [batch, d] (MiniLM `default`, ELMo `default`, NNLM, USE). Word level
looks for a signature whose outputs hold token embeddings and their extent:
`token_embeddings` with `mask` (MiniLM's `tokens`), or `elmo` with `sequence_len` (ELMo's
`default`; its `tokens` signature takes pre-split tokens and their lengths instead of text).
"""

import dataclasses

from hubmodels._keras import tf
from hubmodels.errors import InputError

# (token embeddings, what says which tokens are real: a 0/1 mask or lengths), by module family
WORD_OUTPUTS = (("token_embeddings", "mask"), ("elmo", "sequence_len"))
PRE_SPLIT_INPUTS = ("tokens", "sequence_len")  # ELMo's `tokens` signature


@dataclasses.dataclass(frozen=True)
class TextSignature:
    """The signature a classifier calls and what it reads from it.

    inputs: "text" (strings [batch]) or "tokens" (strings [batch, seq] with sequence_len
      int32 [batch]); embeddings, extent: output keys (word level; extent None at sentence
      level, where embeddings is the output key or None for the module's choice).
    """

    name: str
    inputs: str
    embeddings: str | None = None
    extent: str | None = None


def _describe(infos: dict) -> str:
    return ", ".join(f"{key} {info.dtype.name} {info.shape_text()}" for key, info in infos.items())


def input_kind(module, signature) -> str:
    """ "text" when `signature` takes strings [batch], "tokens" for ELMo's pre-split tokens;
    InputError naming what it takes otherwise."""
    info = module.signature_info(signature)
    inputs = info.inputs
    if len(inputs) == 1:
        (only,) = inputs.values()
        if only.dtype == tf.string and only.shape.rank == 1 and not only.is_sparse:
            return "text"
    if set(inputs) == set(PRE_SPLIT_INPUTS) and inputs["tokens"].dtype == tf.string:
        return "tokens"
    raise InputError(
        f"module {module.handle} signature {info.name!r} does not take text: it takes "
        f"{_describe(inputs)}, expected one string input of shape (?,) (raw texts)"
    )


def sentence_signature(module, signature=None, output_key=None) -> TextSignature:
    """The signature and output giving one vector [batch, d] per text."""
    info = module.signature_info(signature)
    kind = input_kind(module, info.name)
    if kind != "text":
        raise InputError(
            f"module {module.handle} signature {info.name!r} takes pre-split tokens; "
            'level="sentence" needs one that takes raw texts'
        )
    if output_key is not None and output_key not in info.outputs:
        raise InputError(
            f"module {module.handle} signature {info.name!r} has no output {output_key!r}; "
            f"its outputs: {_describe(info.outputs)}"
        )
    return TextSignature(info.name, kind, output_key)


def word_signature(module, signature=None, output_key=None) -> TextSignature:
    """The signature and outputs giving token embeddings [batch, seq, d] and their extent.

    Without `signature`, the first of the module's signatures (default first) that takes
    raw texts and has such outputs.
    """
    names = module.get_signature_names()
    if signature is not None:
        candidates = [module.signature_info(signature).name]
    else:
        default = module.default_signature_name()
        candidates = [default] + [n for n in names if n != default]
    for name in candidates:
        info = module.signature_info(name)
        if signature is None and input_kind_or_none(module, name) != "text":
            continue
        for embeddings, extent in WORD_OUTPUTS:
            if output_key not in (None, embeddings):
                continue
            if embeddings in info.outputs and extent in info.outputs:
                return TextSignature(name, input_kind(module, name), embeddings, extent)
    wanted = " or ".join(f"{e!r} with {x!r}" for e, x in WORD_OUTPUTS)
    found = "; ".join(f"{n}: {', '.join(module.signature_info(n).outputs)}" for n in candidates)
    raise InputError(
        f'module {module.handle} gives no token embeddings for level="word": expected '
        f'outputs {wanted}, found signature outputs {found} (use level="sentence")'
    )


def input_kind_or_none(module, signature):
    try:
        return input_kind(module, signature)
    except InputError:
        return None
