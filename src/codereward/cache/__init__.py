"""Result cache: identical (task, program, limits, settings, engine version) -> the stored Result."""

from __future__ import annotations

from ._sqlite import ResultCache

__all__ = ["ResultCache"]
