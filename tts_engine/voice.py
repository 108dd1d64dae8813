"""Voice: the function-level API of a GPT-SoVITS v1/v2/v2Pro/v2ProPlus voice (phone ids in, 32 kHz waveform out).

Layered like piper: `synthesize` = `semantic_tokens` (GPT) then `vocode` (SoVITS); each layer is
public so batching or caching code can call the halves separately.

Example::

    import torch
    from tts_engine.gpt import SamplingOptions
    from tts_engine.precision import default_precision
    from tts_engine.voice import Voice

    voice = Voice.load("alice-e15.ckpt", "alice_e8_s200.pth",
                       hubert_dir="models/chinese-hubert-base",
                       bert_dir="models/chinese-roberta-wwm-ext-large",
                       dtype=default_precision("cpu"))      # or device="cuda"; FP32 = the reference
    prompt = voice.prompt_from("alice_ref.wav", ref_phone_ids, ref_segments)  # once per reference clip
    audio = voice.synthesize(phone_ids, segments, prompt, SamplingOptions(top_k=15), seed=1234)
    # audio: np.ndarray (samples,) float32 in [-1, 1] at voice.sample_rate (32000)

Phone ids and `TextSegment`s come from text_prep, in the symbol table of `voice.version`
("v1" or "v2", decided by the SoVITS file; `voice.model_version` is the model, e.g. "v2Pro").
v2Pro/v2ProPlus voices need the speaker-verification model (`sv_path`); any voice may load it for
the speaker-drift guard. `prompt_from(..., aux_refs=[...])` adds further clips to the timbre. The reference transcript's phones/segments may be
empty: that is the reference-free mode (the clip then only sets the timbre). A `TextWindow` (the
sentence's normalised neighbours) makes the Chinese runs' BERT features read their context.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from tts_engine.engine import TextSegment
from tts_engine.errors import VoiceFileError
from tts_engine.features import BertFeatures, HubertFeatures, TextWindow
from tts_engine.gpt import Generated, SamplingOptions, Text2Semantic, generate
from tts_engine.gpt.decode import MAX_STEPS
from tts_engine.loader import load_gpt_file, load_sovits_file, symbol_table
from tts_engine.precision import Precision
from tts_engine.reference import VoicePrompt, build_prompt
from tts_engine.sovits.synthesizer import DEFAULT_NOISE_SCALE, Synthesizer
from tts_engine.spectrogram import SAMPLE_RATE
from tts_engine.sv.encoder import SpeakerEncoder

log = logging.getLogger(__name__)


class Voice:
    """A loaded voice: GPT + SoVITS weights plus the shared HuBERT and BERT base models."""

    sample_rate: int = SAMPLE_RATE

    def __init__(self, gpt: Text2Semantic, synthesizer: Synthesizer, hubert: HubertFeatures,
                 bert: BertFeatures, version: str, device: torch.device | str = "cpu",
                 dtype: torch.dtype = torch.float32, speaker: SpeakerEncoder | None = None) -> None:
        self.gpt = gpt
        self.synthesizer = synthesizer
        self.hubert = hubert
        self.bert = bert
        self.model_version = version    # "v1", "v2", "v2Pro" or "v2ProPlus"
        self.version = symbol_table(version)   # symbol table of the phone ids: "v1" or "v2"
        self.device = torch.device(device)
        self.dtype = dtype
        self.speaker = speaker          # the SV model (v2Pro conditioning, drift guard), if loaded

    @classmethod
    def load(cls, gpt_path: str | Path, sovits_path: str | Path, hubert_dir: str | Path,
             bert_dir: str | Path, device: torch.device | str = "cpu",
             dtype: torch.dtype | Precision = torch.float32, sv_path: str | Path | None = None) -> "Voice":
        """Load a voice's `.ckpt` and `.pth` files, the two base-model folders and, if given, the SV model.

        Raises VoiceFileError (or UnsupportedVoiceError for v3/v4) naming the bad file; a v2Pro voice
        needs `sv_path`, and the SV model's vectors must have the width the voice projects.
        `dtype`: one dtype for every model (float32 is the reference), or a `Precision` giving the
        GPT (with BERT), the SoVITS generator and the rest of SoVITS (with HuBERT) their own.
        """
        precision = dtype if isinstance(dtype, Precision) else Precision.uniform(dtype)
        gpt = Text2Semantic.from_checkpoint(load_gpt_file(gpt_path), device=device, dtype=precision.gpt)
        sovits_ckpt = load_sovits_file(sovits_path)
        synthesizer = Synthesizer.from_checkpoint(sovits_ckpt)
        speaker = load_speaker(sv_path, synthesizer, sovits_path, device)
        synthesizer = precision.cast_synthesizer(synthesizer.to(device))
        hubert = HubertFeatures.load(hubert_dir, device, precision.sovits)
        bert = BertFeatures.load(bert_dir, device, precision.gpt)
        log.info("loaded %s voice %s + %s on %s (%s)", sovits_ckpt.version, gpt_path, sovits_path, device, precision)
        return cls(gpt, synthesizer, hubert, bert, sovits_ckpt.version, device, precision.gpt, speaker)

    @property
    def sovits_dtype(self) -> torch.dtype:
        """dtype of the SoVITS synthesizer's inputs (its generator may run in another, see `Precision`)."""
        return self.synthesizer.ssl_proj.weight.dtype

    @property
    def phone_limit(self) -> int:
        """One past the largest phone id both the GPT and the SoVITS phone tables hold."""
        return min(self.gpt.cfg.phoneme_vocab_size, self.synthesizer.config.n_symbols)

    def prompt_from(self, ref_wav: str | Path, ref_phone_ids: Sequence[int] = (),
                    ref_segments: Sequence[TextSegment] = (), aux_refs: Sequence[str | Path] = (),
                    sv_vectors: Sequence[Tensor] | None = None) -> VoicePrompt:
        """Prepare a 3-10 s reference clip and its transcript, plus further clips for the timbre.

        ReferenceAudioError for bad clips. A v2Pro voice computes each clip's SV vector with its SV
        model unless `sv_vectors` (one per clip, main first) are given. The prompt is kept in float32
        (each stage casts it to its own dtype when it reads it).
        """
        self._check_phone_ids(ref_phone_ids, allow_empty=True)
        sv_vector = None
        if self.synthesizer.needs_sv and sv_vectors is None:
            if self.speaker is None:
                raise ValueError(f"a {self.model_version} voice needs the SV model to prepare its references")
            sv_vector = self.speaker.sv_vector
        return build_prompt(ref_wav, ref_phone_ids, ref_segments, self.hubert, self.bert,
                            self.synthesizer, self.device, torch.float32, aux_refs, sv_vector,
                            sv_vectors if self.synthesizer.needs_sv else None)

    @torch.inference_mode()
    def timbre(self, prompt: VoicePrompt) -> Tensor:
        """The timbre vector ge (1, gin, 1) of a prompt's clips, combined as the reference combines them."""
        specs = [spec.to(self.device, self.sovits_dtype) for spec in prompt.refer_specs]
        svs = [v.to(self.device, self.sovits_dtype) for v in prompt.sv_vectors] if self.synthesizer.needs_sv else None
        return self.synthesizer.timbre(specs, svs)

    def text_features(self, segments: Sequence[TextSegment], window: TextWindow | None = None) -> Tensor:
        """BERT features (bert_dim, n_phones) of a sentence's segments (zeros for non-Chinese runs)."""
        return self.bert(segments, window).to(device=self.device, dtype=self.dtype)

    def semantic_tokens(self, phone_ids: Sequence[int], segments: Sequence[TextSegment],
                        prompt: VoicePrompt, options: SamplingOptions = SamplingOptions(),
                        seed: int = 0, max_steps: int = MAX_STEPS, window: TextWindow | None = None) -> Generated:
        """GPT stage: the sentence's semantic tokens (25 per second of speech) and whether EOS was reached."""
        self._check_phone_ids(phone_ids)
        features = self.text_features(segments, window)
        if features.shape[1] != len(phone_ids):
            raise ValueError(f"segments cover {features.shape[1]} phones but {len(phone_ids)} phone ids were given")
        phones, bert = self.gpt_inputs(phone_ids, features, prompt)
        return generate(self.gpt, [phones], [bert], prompt.gpt_semantic, options, [seed], max_steps)[0]

    def gpt_inputs(self, phone_ids: Sequence[int], features: Tensor, prompt: VoicePrompt) -> tuple[Tensor, Tensor]:
        """The GPT's (N,) phones and (bert_dim, N) features: the prompt's transcript, then the sentence's."""
        phones = torch.tensor(list(phone_ids), dtype=torch.long, device=self.device)
        bert = features.to(device=self.device, dtype=self.dtype)
        if prompt.phone_ids.numel():   # empty in reference-free mode: the sentence alone
            phones = torch.cat([prompt.phone_ids.to(self.device), phones])
            bert = torch.cat([prompt.bert.to(device=self.device, dtype=self.dtype), bert], dim=1)
        return phones, bert

    @torch.inference_mode()
    def vocode(self, tokens: Tensor, phone_ids: Sequence[int], prompt: VoicePrompt, speed: float = 1.0,
               seed: int = 0, noise_scale: float = DEFAULT_NOISE_SCALE) -> np.ndarray:
        """SoVITS stage: tokens (T,) + the sentence's phones -> (about T * 1280 / speed,) float32 at 32 kHz."""
        if tokens.numel() == 0:
            return np.zeros(0, dtype=np.float32)
        self._check_phone_ids(phone_ids)
        codes = tokens.reshape(1, 1, -1).to(self.device)
        phones = torch.tensor([list(phone_ids)], dtype=torch.long, device=self.device)
        generator = torch.Generator(device=self.device).manual_seed(int(seed))
        audio = self.synthesizer(codes, phones, self.timbre(prompt), speed, noise_scale, generator)[0]
        return audio[0, 0].float().cpu().numpy()

    def synthesize(self, phone_ids: Sequence[int], segments: Sequence[TextSegment], prompt: VoicePrompt,
                   options: SamplingOptions = SamplingOptions(), seed: int = 0, speed: float = 1.0,
                   max_steps: int = MAX_STEPS, window: TextWindow | None = None) -> np.ndarray:
        """One sentence: phone ids + language segments -> mono float32 waveform at 32 kHz.

        The same (phones, segments, prompt, options, seed, speed) always gives the same audio on
        the same device. No silence is appended; joining sentences is the caller's job.
        """
        generated = self.semantic_tokens(phone_ids, segments, prompt, options, seed, max_steps, window)
        if not generated.hit_eos:
            log.warning("no EOS within %d steps: the sentence audio is truncated", max_steps)
        return self.vocode(generated.tokens, phone_ids, prompt, speed, seed)

    def _check_phone_ids(self, phone_ids: Sequence[int], allow_empty: bool = False) -> None:
        """ValueError unless every id exists in both the GPT and the SoVITS phone tables."""
        if not phone_ids and not allow_empty:
            raise ValueError("no phone ids to synthesise")
        limit = self.phone_limit
        bad = [p for p in phone_ids if not 0 <= p < limit]
        if bad:
            raise ValueError(f"phone ids {bad[:5]} outside this {self.version} voice's table of {limit}")


def load_speaker(sv_path: str | Path | None, synthesizer: Synthesizer, sovits_path: str | Path,
                 device: torch.device | str = "cpu") -> SpeakerEncoder | None:
    """The SV model for a voice (None without a path); VoiceFileError if a v2Pro voice lacks it or it does not fit."""
    if sv_path is None:
        if synthesizer.needs_sv:
            raise VoiceFileError(sovits_path, "this v2Pro/v2ProPlus voice needs the speaker-verification model "
                                              "(sv/pretrained_eres2netv2w24s4ep4.ckpt; `bookvoice models pull "
                                              "--version v2Pro`)")
        return None
    speaker = SpeakerEncoder.load(sv_path, device)
    wanted = synthesizer.config.sv_channels
    if wanted and speaker.sv_dim != wanted:
        raise VoiceFileError(sv_path, f"the SV model gives {speaker.sv_dim}-wide vectors but voice {sovits_path} "
                                      f"projects {wanted}-wide ones (a different SV checkpoint)")
    return speaker
