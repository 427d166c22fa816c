"""Resampling observed values: the empirical distribution, from a list or a CSV column.

The file is read when the model is validated, so a bad file is an input error before any run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import PrivateAttr, ValidationInfo, model_serializer, model_validator

from twin.distributions.base import DistributionBase, Number, check_size
from twin.errors import InputError
from twin.input_files import check_input_file

if TYPE_CHECKING:  # numpy costs start-up; a scenario error must not wait for it
    import numpy as np


class _ReadOnlyValues:
    """An immutable float64 array that compares by content, so models holding one compare sanely.

    A list of values is kept as given and made an array on first use, so validating a scenario
    (and failing on another key) does not wait for numpy to load.
    """

    __slots__ = ("_array", "_values")

    def __init__(self, values: Any) -> None:
        self._values = tuple(values) if isinstance(values, list) else values  # a copy: immutable
        self._array: np.ndarray | None = None

    @property
    def array(self) -> np.ndarray:
        if self._array is None:
            import numpy as np

            array = np.array(self._values, dtype=np.float64)
            array.flags.writeable = False
            self._array, self._values = array, None
        return self._array

    def minimum(self) -> float:
        """The smallest value; of a list without numpy, as validation asks only this."""
        if self._array is None and isinstance(self._values, tuple):
            return float(min(self._values))
        import numpy as np

        return float(np.min(self.array))

    def __eq__(self, other: object) -> bool:
        import numpy as np

        return isinstance(other, _ReadOnlyValues) and np.array_equal(self.array, other.array)

    __hash__ = None  # type: ignore[assignment]


def _read_empirical_column(path: Path, column: str) -> np.ndarray:
    """Read one column of finite numbers from a CSV file, or raise ValueError saying where not."""
    import numpy as np
    import pandas as pd  # here, not at import: loading a scenario without data files needs none

    try:
        check_input_file(path, "empirical data file")
    except InputError as error:  # a validation error here, so the message names the key
        raise ValueError(str(error)) from None
    try:
        # As text, so an error can quote the cell exactly as it is written in the file.
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:  # pandas' parser errors are ValueErrors
        raise ValueError(f"cannot read empirical data file {str(path)!r}: {error}") from error
    if column not in frame.columns:
        raise ValueError(
            f"empirical data file {str(path)!r} has no column {column!r}; "
            f"columns are {list(frame.columns)}"
        )
    raw = frame[column]
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if bad.size:
        row = int(bad[0])
        cell = str(raw.iloc[row])
        shown = repr(cell) if cell.strip() else "empty"
        # Data rows count from 1, the header excluded; the file line is row + 1.
        raise ValueError(
            f"empirical data file {str(path)!r}, column {column!r}: row {row + 1} "
            f"(file line {row + 2}) is {shown}, expected a finite number"
        )
    if numbers.size == 0:
        raise ValueError(f"empirical data file {str(path)!r}, column {column!r} has no rows")
    return numbers


class Empirical(DistributionBase):
    """Resampling with replacement from observed values, each equally likely.

    Give either ``values`` (a non-empty list) or ``file`` (a CSV path) and ``column``. The file is
    read when the model is validated; a relative path is resolved against ``base_dir`` in the
    pydantic validation context when one is given (e.g. the scenario file's folder), else against
    the working directory. A dump gives back the form that was written, not the data. The mean and
    variance are those of the values (population variance, ddof = 0).
    """

    dist: Literal["empirical"] = "empirical"
    values: list[Number] | None = None
    file: Path | None = None
    column: str | None = None

    _data: _ReadOnlyValues = PrivateAttr()

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> Empirical:
        from_list = self.values is not None
        from_file = self.file is not None or self.column is not None
        if from_list == from_file:
            raise ValueError("empirical needs exactly one of: values, or file and column")
        if from_list:
            if not self.values:
                raise ValueError("values must be a non-empty list of numbers")
            self._data = _ReadOnlyValues(self.values)
            return self
        if self.file is None or self.column is None:
            raise ValueError("empirical from a file needs both file and column")
        path = self.file
        base_dir = (info.context or {}).get("base_dir")
        if base_dir is not None and not path.is_absolute():
            path = Path(base_dir) / path
        self._data = _ReadOnlyValues(_read_empirical_column(path, self.column))
        return self

    @model_serializer(mode="wrap")
    def _dump_written_form(self, handler: Any) -> dict[str, Any]:
        # Drop the unused form's None keys so the dump reads like the scenario entry.
        data = handler(self)
        return {
            key: value
            for key, value in data.items()
            if not (key in ("values", "file", "column") and value is None)
        }

    @property
    def data(self) -> np.ndarray:
        """The values resampled, as a read-only float64 array."""
        return self._data.array

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        import numpy as np

        data = self._data.array
        n = data.size
        # floor(u * n) rather than rng.integers: exactly one uniform per draw whatever the size.
        index = (rng.random(check_size(size)) * n).astype(np.int64)
        np.minimum(index, n - 1, out=index)  # u * n can round up to n when u is close to 1
        return data[index]

    @property
    def mean(self) -> float:
        import numpy as np

        return float(np.mean(self._data.array))

    @property
    def variance(self) -> float:
        import numpy as np

        return float(np.var(self._data.array))

    @property
    def support_min(self) -> float:
        return self._data.minimum()
