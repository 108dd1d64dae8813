"""Speech synthesis: GPT-SoVITS inference, voice-file loading, features, draft voice. Never parses books."""
