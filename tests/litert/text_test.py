"""Text classifiers do not convert to LiteRT builtin ops: the error names the ops and the
module layer, and says to serve the SavedModel."""

import pytest

from hubmodels.litert import ConversionError, export_litert
from hubmodels.tasks.text import text_classifier
from tests.tasks.text.texts import ELMO, MINILM


def test_elmo_stand_in_names_its_recurrent_loop(tmp_path):
    """The ELMo stand-in's LSTM loops over tensor lists of any batch size inside the module."""
    model = text_classifier(ELMO, 2, class_names=["negative", "positive"])
    with pytest.raises(ConversionError) as raised:
        export_litert(model, tmp_path / "elmo.tflite")
    message = str(raised.value)
    assert "cannot convert model 'text_classifier_sentence' to LiteRT" in message
    assert "tf.TensorListReserve (layer 'module')" in message
    assert message.endswith("or serve the SavedModel (hubmodels.save_model)")
    assert not list(tmp_path.iterdir())


@pytest.mark.slow  # builds MiniLM (about 20 s)
def test_minilm_names_its_tokenizer_ops(tmp_path):
    model = text_classifier(MINILM, 2)
    with pytest.raises(ConversionError) as raised:
        export_litert(model, tmp_path / "minilm.tflite")
    message = str(raised.value)
    for op in (
        "tf.WordpieceTokenizeWithOffsets",
        "tf.RegexSplitWithOffsets",
        "tf.LookupTableFindV2",
    ):
        assert f"{op} (layer 'module')" in message
    assert "serve the SavedModel" in message
