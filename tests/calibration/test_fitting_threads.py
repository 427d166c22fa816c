"""The fits' one-BLAS-thread block: limits every BLAS library inside, restores them after."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info

from twin.calibration.fitting.threads import one_blas_thread


def _blas_threads() -> list[int]:
    np.ones((2, 2)) @ np.ones((2, 2))  # numpy's BLAS is loaded
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_blas_runs_on_one_thread_inside_and_as_before_after():
    before = _blas_threads()
    assert before  # numpy links a BLAS
    with one_blas_thread():
        assert set(_blas_threads()) == {1}
    assert _blas_threads() == before


def test_as_a_decorator_it_limits_each_call():
    @one_blas_thread()
    def inside() -> list[int]:
        return _blas_threads()

    before = _blas_threads()
    assert set(inside()) == {1}
    assert set(inside()) == {1}
    assert _blas_threads() == before
