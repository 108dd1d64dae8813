"""Engines in the flow: the registry, and the GPT-SoVITS voice adapter with its text conventions."""
