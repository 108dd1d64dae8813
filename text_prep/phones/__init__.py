"""The front-end: language segments, lexicon, phones and phone ids."""
