"""The stage pipeline: several producers feed the workers, every output arrives once, workers yield the CPU."""
import os
import threading

import pytest

from tts_engine.batch.pipeline import Pipeline


def test_several_producers_feed_the_workers_and_every_output_arrives_once():
    started = threading.Barrier(3)          # all three producers run at the same time

    def source(base: int):
        def produce():
            started.wait(timeout=30)
            for k in range(5):
                yield base + k, base + k
        return produce

    pipeline = Pipeline(workers=2, max_group=3)
    out = pipeline.run([source(0), source(100), source(200)], lambda items: [x * 2 for x in items])
    assert out == {i: 2 * i for base in (0, 100, 200) for i in range(base, base + 5)}


def test_a_failing_producer_is_raised_after_the_others_finish():
    def good():
        yield 1, 1

    def bad():
        yield 2, 2
        raise ValueError("broken row")

    with pytest.raises(ValueError, match="broken row"):
        Pipeline(workers=1).run([good, bad], lambda items: items)


def _join_thread(name: str) -> None:
    """Wait for the pipeline thread of that name to end (it has already started, or ended)."""
    for thread in threading.enumerate():
        if thread.name == name:
            thread.join(timeout=30)


def test_after_a_producer_fails_the_other_producers_take_no_further_item():
    pulled: list[int] = []

    def bad():
        raise ValueError("broken row")
        yield  # pragma: no cover  (a generator that fails at once)

    def good():
        _join_thread("gsv-gpt-0")                # the failure is recorded before this producer starts
        for k in range(100):
            pulled.append(k)
            yield k, k

    with pytest.raises(ValueError, match="broken row"):
        Pipeline(workers=1).run([bad, good], lambda items: items)
    assert pulled == [0]                         # no decoding beyond the item in hand for a lost round


def test_after_a_worker_fails_the_producer_takes_no_further_item():
    pulled: list[int] = []
    consuming = threading.Event()

    def produce():
        for k in range(100):
            if k == 1:
                assert consuming.wait(timeout=30)
                _join_thread("gsv-sovits-0")     # the only worker has failed on item 0
            pulled.append(k)
            yield k, k

    def consume(items):
        consuming.set()
        raise RuntimeError("vocoder failed")

    with pytest.raises(RuntimeError, match="vocoder failed"):
        Pipeline(workers=1).run(produce, consume)
    assert pulled == [0, 1]


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread priorities on this OS")
def test_pipeline_workers_run_at_lower_priority_than_the_producer():
    seen: dict[str, int] = {}

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def produce():
        seen["producer"] = niceness()
        yield 0, "a"

    def consume(items):
        seen["worker"] = niceness()
        return items

    base = niceness()
    assert Pipeline(workers=1, worker_nice=3).run(produce, consume) == {0: "a"}
    assert seen == {"producer": base, "worker": min(base + 3, 19)}
    assert niceness() == base
