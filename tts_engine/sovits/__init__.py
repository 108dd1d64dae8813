"""The SoVITS (VITS) half of GPT-SoVITS v1/v2: one network per module, assembled by ``synthesizer``."""
