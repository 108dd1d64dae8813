"""Orchestration: the Prefect backend, workers on GPUs or CPU slots, the nightly catalogue."""
