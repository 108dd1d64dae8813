"""Book text preparation: parsing, chapters, sentences, normalisation, G2P. Never imports torch."""
