"""Storage: the content-addressed sentence cache behind a small storage interface, atomic file writes."""
