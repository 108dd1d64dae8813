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
