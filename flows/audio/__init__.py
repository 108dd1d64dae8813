"""Audio mastering: chapter assembly from cached sentences, loudness, limiting, MP3 encoding and tags."""
