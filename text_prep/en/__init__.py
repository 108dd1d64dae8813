"""English: dictionary and letter-to-sound G2P."""
