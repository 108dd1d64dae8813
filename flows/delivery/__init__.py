"""Delivery formats built from assembled chapters: M4B, subtitles, read-along EPUB, library folders."""
