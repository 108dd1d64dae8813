"""Context windows: a Chinese run's BERT features read its neighbours when asked, and only then."""
from __future__ import annotations

import hashlib
import numpy as np
import pytest
import torch

from tests.tiny_voice import TinyVoice, build_tiny_voice, write_bert
from tts_engine.batch import EngineOptions, GSVEngine, GuardOptions
from tts_engine.batch.text_features import batch_text_features
from tts_engine.engine import SentenceJob, TextSegment
from tts_engine.features import BertFeatures, TextWindow
from tts_engine.voice import Voice

SEGMENT = TextSegment("zh", "他笑了笑.", 9, (2, 2, 2, 2, 1))
PHONE_IDS = (225, 98, 33, 140, 12, 40, 50, 3, 3)
NEIGHBOURS = ("陈长安坐在窗前.", "他打开电脑.")
TEXT = "他笑了笑陈长安坐在窗前打开电脑猫没有回答只是把尾巴绕成了一个问号今天天气很好" * 2


@pytest.fixture(scope="module")
def bert(tmp_path_factory) -> BertFeatures:
    return BertFeatures.load(write_bert(tmp_path_factory.mktemp("bert"), TEXT))


def test_without_a_window_each_run_is_read_alone_as_the_reference_does(bert):
    ids = bert.tokenizer(SEGMENT.norm_text, return_tensors="pt")
    with torch.no_grad():
        rows = bert.model(**ids, output_hidden_states=True).hidden_states[-3][0, 1:-1]
    reference = rows.repeat_interleave(torch.tensor(SEGMENT.word2ph), dim=0).T
    torch.testing.assert_close(bert([SEGMENT]), reference)
    torch.testing.assert_close(bert([SEGMENT], TextWindow()), reference)   # nothing around: the same


def test_the_window_changes_the_features_and_only_the_neighbours_decide_them(bert):
    alone = bert([SEGMENT])
    first = bert([SEGMENT], TextWindow(before=NEIGHBOURS[:1], after=NEIGHBOURS[1:]))
    edited = bert([SEGMENT], TextWindow(before=("陈长安坐在窗口.",), after=NEIGHBOURS[1:]))
    assert first.shape == alone.shape == (1024, SEGMENT.n_phones)
    assert not torch.allclose(first, alone, atol=1e-4) and not torch.allclose(first, edited, atol=1e-4)
    torch.testing.assert_close(bert([SEGMENT], TextWindow(NEIGHBOURS[:1], NEIGHBOURS[1:])), first)
    # the run's own positions are kept: a repeated character keeps one row per word2ph entry
    assert torch.equal(first[:, 0], first[:, 1]) and not torch.equal(first[:, 1], first[:, 2])


def test_other_runs_of_the_sentence_are_context_too_and_english_stays_zero(bert):
    english = TextSegment("en", "Oslo", 4)
    segments = [SEGMENT, english]
    features = bert(segments, TextWindow())
    assert torch.count_nonzero(features[:, 9:]) == 0
    assert not torch.allclose(features[:, :9], bert([SEGMENT]), atol=1e-4)


def test_batched_features_equal_one_by_one_with_windows(bert):
    sentences = [[SEGMENT], [TextSegment("zh", "猫没有回答", 10, (2,) * 5), TextSegment("en", "ok", 2)], [SEGMENT]]
    windows = [TextWindow(NEIGHBOURS[:1], NEIGHBOURS[1:]), TextWindow(("今天天气很好.",), ()), None]
    batched = batch_text_features(bert, sentences, windows, batch_size=2)
    for segments, window, features in zip(sentences, windows, batched):
        torch.testing.assert_close(features, bert(segments, window), atol=1e-5, rtol=1e-4)


def test_a_long_window_is_trimmed_at_its_far_ends_to_the_model_length(bert):
    long = ("今天天气很好." * 80,)
    run = bert.run_input(SEGMENT, long[0], long[0])
    assert len(run.ids) == bert.model.config.max_position_embeddings
    own = bert.tokenizer(SEGMENT.norm_text, add_special_tokens=False)["input_ids"]
    assert list(run.ids[run.start:run.start + len(own)]) == own
    assert bert([SEGMENT], TextWindow(long, long)).shape == (1024, SEGMENT.n_phones)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> TinyVoice:
    return build_tiny_voice(tmp_path_factory.mktemp("voice"), TEXT)


def _job(before: tuple[str, ...]) -> SentenceJob:
    key = hashlib.sha256(repr(before).encode()).hexdigest()
    return SentenceJob(key=key, text=SEGMENT.norm_text, lang="zh", seed=7, phone_ids=PHONE_IDS, segments=(SEGMENT,),
                       context_before=before, context_after=NEIGHBOURS[1:])


@pytest.mark.parametrize("text_context", [True, False])
def test_the_engine_switch_decides_whether_neighbours_change_a_sentence(tiny: TinyVoice, text_context: bool):
    voice = Voice.load(tiny.gpt, tiny.sovits, tiny.hubert_dir, tiny.bert_dir)
    prompt = voice.prompt_from(tiny.reference)
    options = EngineOptions(text_context=text_context, guards=GuardOptions(max_tokens_per_phone=3.0, max_retries=0))
    engine = GSVEngine(voice, prompt, options)
    first, edited = engine.synthesize([_job(NEIGHBOURS[:1]), _job(("猫没有回答只是把尾巴绕成了一个问号.",))])
    assert first.audio.size and np.isfinite(first.audio).all()
    assert (not np.array_equal(first.audio, edited.audio)) == text_context
    alone = voice.synthesize(PHONE_IDS, (SEGMENT,), prompt, options.sampling, seed=7,
                             max_steps=options.guards.token_budget(9),
                             window=engine.window(_job(NEIGHBOURS[:1])))
    np.testing.assert_allclose(first.audio, alone, atol=1e-4)
