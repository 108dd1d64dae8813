"""Book ingest: EPUB and TXT readers, safe archive/XML parsing, inspect."""
