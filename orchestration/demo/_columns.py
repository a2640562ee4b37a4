"""Column-wise building blocks: millisecond times, the generated window and string series.

Millions of rows stay affordable only without per-row Python, so until the frames are built
times are int64 milliseconds since the epoch (NO_TIME marks NULL), and string columns are
assembled from numpy codes, gathers and polars expressions instead of Python strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import polars as pl

MS_PER_MINUTE = 60_000
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = 24 * MS_PER_HOUR
NO_TIME = np.iinfo(np.int64).min  # NULL in the int64 millisecond arrays


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Window:
    """The generated period: whole UTC days, cut at `as_of` (an event exists iff < as_of)."""

    first_day: date
    last_day: date
    start_ms: int
    as_of_ms: int

    @classmethod
    def ending(cls, end_date: date | None, days: int) -> Window:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        last_day = end_date or now.date()
        first_day = last_day - timedelta(days=days - 1)
        start_ms = epoch_ms(datetime.combine(first_day, time(), UTC))
        as_of_ms = min(
            epoch_ms(datetime.combine(last_day + timedelta(days=1), time(), UTC)), epoch_ms(now)
        )
        if as_of_ms <= start_ms:
            raise ValueError(f"the window {first_day}..{last_day} has not started yet")
        return cls(first_day, last_day, start_ms, as_of_ms)

    def months(self) -> np.ndarray:
        """UTC month starts (ms) from the first covered month to the one after the last."""
        starts, month = [], self.first_day.replace(day=1)
        while month <= self.last_day:
            starts.append(epoch_ms(datetime.combine(month, time(), UTC)))
            month = (month + timedelta(days=32)).replace(day=1)
        starts.append(epoch_ms(datetime.combine(month, time(), UTC)))
        return np.array(starts, dtype=np.int64)


HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def ascii_series(chars: np.ndarray) -> pl.Series:
    """(n, width) uint8 ASCII codes -> a polars String series of n values."""
    chars = np.ascontiguousarray(chars)
    return pl.Series(chars.view(f"S{chars.shape[1]}").ravel()).cast(pl.String)


def random_salt(rng: np.random.Generator) -> int:
    return int(rng.integers(2**48))


def unique_hex_ids(count: int, salt: int) -> pl.Series:
    """12 hex digits per row, unique for distinct sequence numbers, random-looking.

    Multiplying by an odd constant and XOR-ing a salt are bijections modulo 2**48, so
    sequence numbers map to distinct ids without collision checks; 12 characters stay
    inline in polars' string views (no heap bytes for millions of node run ids).
    """
    mask = np.uint64(2**48 - 1)
    seq = np.arange(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = ((seq * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(salt)) & mask
    chars = np.empty((count, 12), dtype=np.uint8)
    for i in range(12):  # column by column: no (count x 12) uint64 temporary
        chars[:, i] = HEX_DIGITS[(mixed >> np.uint64(44 - 4 * i)) & np.uint64(15)]
    return ascii_series(chars)


def fmt(template: str, *parts: pl.Series) -> pl.Series:
    """polars `format` over equally long series: '{}' placeholders filled row-wise."""
    return pl.select(pl.format(template, *(pl.lit(p) for p in parts))).to_series()


def choose(rng: np.random.Generator, weights: Iterable[float], size: int | None = None) -> Any:
    """Index(es) drawn with probabilities proportional to `weights`."""
    p = np.fromiter(weights, dtype=float)
    return rng.choice(len(p), size, p=p / p.sum())


def lookup(values: Sequence[str | None], index: np.ndarray) -> pl.Series:
    """values[index] as strings; the result shares the values' bytes instead of copying."""
    return pl.Series(list(values), dtype=pl.String).gather(index)


def nulls(n: int) -> pl.Series:
    return pl.repeat(None, n, dtype=pl.String, eager=True)


def null_unless(keep: np.ndarray, values: pl.Series) -> pl.Series:
    return pl.select(pl.when(pl.lit(pl.Series(keep))).then(pl.lit(values))).to_series()
