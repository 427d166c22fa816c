"""One BLAS thread while a fit runs: the optimisers' many small linear-algebra calls cost less.

SciPy's L-BFGS-B (a C port since SciPy 1.15) calls BLAS and LAPACK on vectors and matrices of a
few elements at every step; with OpenBLAS's default of one thread per core, each call wakes the
pool, whose threads then spin waiting for more work while the likelihood is evaluated in Python.
On a 2-core machine that added about a third to the CPU seconds of the customer-base fits and
doubled those of the price regression, for no gain in wall time (the work is serial). Within
:func:`one_blas_thread`, BLAS runs on the calling thread alone. The small calls give the same
results either way; a large least-squares solve may differ in its last bits from a multi-threaded
one (whose result depends on the number of cores), which one thread makes the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS (OpenBLAS, MKL, BLIS...) limited to one thread inside the block, restored after."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield
