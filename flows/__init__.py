"""Prefect flows, audio assembly, the sentence cache and the ``bookvoice`` CLI."""
