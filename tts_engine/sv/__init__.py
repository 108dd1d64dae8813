"""The speaker-verification (SV) model v2Pro voices condition on: Kaldi fbank + ERes2NetV2, and the speaker check."""
