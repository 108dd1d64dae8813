"""g2pW backend: a tiny ONNX graph with the published model's inputs and output stands in for the real one."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402

from text_prep.zh.pinyin import PinyinConverter, PinyinOptions  # noqa: E402
from text_prep.zh.polyphone_g2pw import G2PW, G2PWError, WordPiece, load_g2pw  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "長", "大", "度", "行", "銀", "走", "他", "。", "gp", "##u"]
# (character, bopomofo reading with tone digit) as the model's POLYPHONIC_CHARS.txt lists them
POLYPHONIC = [("長", "ㄓㄤ3"), ("長", "ㄔㄤ2"), ("行", "ㄏㄤ2"), ("行", "ㄒㄧㄥ2")]
BOPOMOFO = {"ㄓㄤ": "zhang", "ㄔㄤ": "chang", "ㄏㄤ": "hang", "ㄒㄧㄥ": "xing"}
STRENGTH = 4.0


def tiny_g2pw(folder: Path) -> Path:
    """A G2PWModel folder whose network picks a reading from the token right after the queried character."""
    labels = sorted({label for _, label in POLYPHONIC})  # the loader's label order
    index = {label: i for i, label in enumerate(labels)}
    next_token_logits = np.zeros((len(VOCAB), len(labels)), np.float32)
    for token, label in (("大", "ㄓㄤ3"), ("度", "ㄔㄤ2"), ("走", "ㄒㄧㄥ2"), ("。", "ㄏㄤ2")):
        next_token_logits[VOCAB.index(token), index[label]] = STRENGTH
    one = helper.make_tensor("one", TensorProto.INT64, [1], [1])
    graph = helper.make_graph(
        [
            helper.make_node("Add", ["position_ids", "one"], ["next_pos"]),
            helper.make_node("Unsqueeze", ["next_pos", "one"], ["next_pos2d"]),
            helper.make_node("GatherElements", ["input_ids", "next_pos2d"], ["next_tok2d"], axis=1),
            helper.make_node("Squeeze", ["next_tok2d", "one"], ["next_tok"]),
            helper.make_node("Gather", ["table", "next_tok"], ["logits"], axis=0),
            helper.make_node("Sub", ["phoneme_mask", "one_f"], ["off"]),
            helper.make_node("Mul", ["off", "big"], ["penalty"]),
            helper.make_node("Add", ["logits", "penalty"], ["masked"]),
            helper.make_node("Softmax", ["masked"], ["probs"], axis=1),
            helper.make_node("Identity", ["token_type_ids"], ["unused_a"]),
            helper.make_node("Identity", ["attention_mask"], ["unused_b"]),
            helper.make_node("Identity", ["char_ids"], ["unused_c"]),
        ],
        "tiny_g2pw",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, [None, None]),
            helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, [None, None]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [None, None]),
            helper.make_tensor_value_info("phoneme_mask", TensorProto.FLOAT, [None, len(labels)]),
            helper.make_tensor_value_info("char_ids", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("position_ids", TensorProto.INT64, [None]),
        ],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [None, len(labels)])],
        initializer=[
            one,
            helper.make_tensor("one_f", TensorProto.FLOAT, [], [1.0]),
            helper.make_tensor("big", TensorProto.FLOAT, [], [1e4]),
            helper.make_tensor("table", TensorProto.FLOAT, list(next_token_logits.shape),
                               next_token_logits.flatten().tolist()),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    folder.mkdir()
    onnx.save(model, str(folder / "g2pW.onnx"))
    (folder / "POLYPHONIC_CHARS.txt").write_text("".join(f"{c}\t{r}\n" for c, r in POLYPHONIC), encoding="utf-8")
    (folder / "bopomofo_to_pinyin_wo_tune_dict.json").write_text(json.dumps(BOPOMOFO, ensure_ascii=False),
                                                                 encoding="utf-8")
    (folder / "config.py").write_text("use_mask = True\nuse_char_phoneme = False\nmodel_source = 'bert-base-chinese'\n",
                                      encoding="utf-8")
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return folder


def test_scores_follow_the_network_and_stay_within_the_characters_readings(tmp_path: Path) -> None:
    model = G2PW(tiny_g2pw(tmp_path / "G2PWModel"))
    assert model.readings["长"] == model.readings["長"] == ("zhang3", "chang2")  # in the file's order
    big, length = model.scores("长大长度", [0, 2])
    assert max(big, key=big.get) == "zhang3" and max(length, key=length.get) == "chang2"
    assert set(big) == {"zhang3", "chang2"} and sum(big.values()) == pytest.approx(1.0)
    expected = np.exp(STRENGTH) / (np.exp(STRENGTH) + 1)
    assert big["zhang3"] == pytest.approx(expected, rel=1e-5)
    walk, = model.scores("他行走。", [1])
    assert max(walk, key=walk.get) == "xing2"
    assert model.scores("大", [0]) == [{}]  # not a polyphonic character of the model


def test_the_converter_uses_g2pw_when_configured(tmp_path: Path) -> None:
    folder = tiny_g2pw(tmp_path / "G2PWModel")
    converter = PinyinConverter(PinyinOptions(g2pw_dir=str(folder)))
    evidence = converter.evidence("他行走。", score_all=True)
    assert set(evidence[1].model) == {"hang2", "xing2"}
    flagged = converter.uncertain("他长。", below=1.01)
    assert [(u.char, u.reading) for u in flagged] == [("长", "zhang3")]  # no reading follows 。: even odds
    assert flagged[0].confidence == pytest.approx(0.5) and flagged[0].alternatives[0][0] == "chang2"


def test_wordpiece_maps_characters_to_tokens() -> None:
    pieces = WordPiece({t: i for i, t in enumerate(VOCAB)})
    ids, char_token = pieces.tokenize("gpu長 x")
    assert ids == [VOCAB.index("gp"), VOCAB.index("##u"), VOCAB.index("長"), VOCAB.index("[UNK]")]
    assert char_token == [0, 0, 1, 2, 2, 3]


def test_missing_files_are_reported(tmp_path: Path) -> None:
    folder = tiny_g2pw(tmp_path / "G2PWModel")
    (folder / "vocab.txt").unlink()
    with pytest.raises(G2PWError, match="vocabulary"):
        G2PW(folder)
    (folder / "g2pW.onnx").unlink()
    with pytest.raises(G2PWError, match="models pull --g2pw"):
        load_g2pw(str(folder))
