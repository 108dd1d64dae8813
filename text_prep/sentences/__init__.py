"""Sentence splitting and clause cutting."""
