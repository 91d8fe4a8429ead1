"""A task's tests as the host knows them before any run: display names, stable ids, visibility."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass


def test_id(index: int, source: str) -> str:
    """"<index>:<12 hex digits of sha256(source)>": stable across runs, files and display-name changes; the
    index keeps two identical tests of one suite apart."""
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{index}:{digest}"


test_id.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite the name


@dataclass(frozen=True, slots=True)
class TestPlan:
    """The tests of a suite, in the order the judge runs them."""

    __test__ = False  # not a pytest test class, despite the name

    names: tuple[str, ...]
    ids: tuple[str, ...]
    visible: tuple[bool, ...]
    subtasks: tuple[tuple[str, float, tuple[int, ...]], ...] = ()  # (name, points, test indices): IOI scoring

    @classmethod
    def of(cls, names: Sequence[str], sources: Sequence[str], visible: Sequence[bool] | None = None) -> TestPlan:
        return cls(tuple(names), tuple(test_id(i, s) for i, s in enumerate(sources)),
                   tuple(visible) if visible is not None else (True,) * len(names))

    @classmethod
    def of_names(cls, names: Sequence[str]) -> TestPlan:
        """A plan known only from the judge's names (the host could not plan the suite itself)."""
        return cls.of([str(n) for n in names], [str(n) for n in names])
