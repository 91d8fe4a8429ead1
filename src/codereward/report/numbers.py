"""Rates as people read them: a percentage never rounds onto 0% or 100% unless the rate is exactly there."""

from __future__ import annotations

MAX_DECIMALS = 3  # the finest a percentage near 0 or 100 is shown; past it, "<0.001%" or ">99.999%"


def _percent_number(fraction: float, decimals: int) -> str:
    """The number part of percent(): 100 * fraction with `decimals` places, or more (up to MAX_DECIMALS)
    where fewer would read 0 or 100 for a fraction strictly between 0 and 1; past that, "<" or ">" the
    nearest value inside the ends."""
    for places in range(decimals, max(decimals, MAX_DECIMALS) + 1):
        text = f"{100 * fraction:.{places}f}"
        if (float(text) <= 0) == (fraction <= 0) and (float(text) >= 100) == (fraction >= 1):
            return text
    step = 10.0 ** -places
    return f">{100 - step:.{places}f}" if fraction > 0.5 else f"<{step:.{places}f}"


def percent(fraction: float, decimals: int = 1) -> str:
    """A fraction (0 to 1) as a percentage that is 0% or 100% only when the fraction is 0 or 1: 997/999
    reads "99.8%" even at `decimals=0`, 1/3000 "0.03%". Away from the ends it is plain rounding."""
    return f"{_percent_number(fraction, decimals)}%"


def points(difference: float, decimals: int = 1) -> str:
    """A gap between two rates (-1 to 1) in signed percentage points, rounded as percent() rounds: a gap
    that is not zero never reads +0.0."""
    return f"{'-' if difference < 0 else '+'}{_percent_number(abs(difference), decimals)} points"


def share(passed: int, total: int) -> str:
    """Exact counts, then the percentage in whole points (more places near the ends): "997/999 (99.8%)"."""
    return f"{passed}/{total} ({percent(passed / total, 0) if total else '-'})"


__all__ = ["percent", "points", "share"]
