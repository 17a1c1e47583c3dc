"""convplan.symbolic: the worker pool's fault handling, on real worker processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from convplan import symbolic
from convplan.errors import WorkerCrashed
from convplan.symbolic import Job, JobCancelled, SymbolicPool

# An entry that takes the worker down: ctypes.string_at(1, 1) reads address 1 (SIGSEGV).
CRASH = "ctypes:string_at"


@pytest.fixture
def pool() -> Iterator[SymbolicPool]:
    pool = SymbolicPool(1, 30.0)
    yield pool
    pool.close()


class TestWorkerFaults:
    def test_a_request_that_kills_its_worker_twice_is_a_crash_not_a_timeout(self, pool: SymbolicPool) -> None:
        with pytest.raises(WorkerCrashed) as crash:
            pool.run(CRASH, 1, 1)
        assert crash.value.status == 503 and crash.value.retry_after >= 1
        assert "killed by signal 11" in crash.value.detail and "retried" in crash.value.detail

    def test_the_pool_works_after_a_crash(self, pool: SymbolicPool) -> None:
        with pytest.raises(WorkerCrashed):
            pool.run(CRASH, 1, 1)
        assert pool.run("convplan.shapes.engine:run_shapes_json", {"input_size": [8], "layers": []}, None)[
            "output_size"] == [8]

    def test_a_worker_that_cannot_start_is_a_503(self, pool: SymbolicPool, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(symbolic.sys, "executable", "/bin/false")
        with pytest.raises(WorkerCrashed, match="did not start"):
            pool.run("convplan.shapes.engine:run_shapes_json", {"input_size": [8], "layers": []}, None)

    def test_a_cancelled_job_does_not_run(self, pool: SymbolicPool) -> None:
        job = Job()
        job.cancel()
        with pytest.raises(JobCancelled):
            pool.run(CRASH, 1, 1, job=job)
