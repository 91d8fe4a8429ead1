"""The pass matrix of one task: distinct programs × distinct tests, with multiplicities, outcomes and outputs.

    m.passed[i, j]      program i passed test j (bool)
    m.outcomes[i, j]    the cell's outcome (Outcome codes: OUTCOME_CODES)
    m.program_counts[i] how many samples are program i (exact copies counted)
    m.test_counts[j]    how many times test j was proposed (the pool's duplicates counted)
    m.executed[i]       program i's executions all ran (no sandbox error); a program that does not even load
                        still executed: its cells fail
    m.causes[i, j]      what happened in the cell (index in sandboxed/records.py Cause), when kept
    m.reference[j]      the task's reference solution's outcome on test j, when it was run
    m.invalid[j]        test j is known invalid (it fails the reference, or raises on its own for every
                        program): selectors leave it out
    m.outputs[i][j]     what program i returned for test j's call (wire-encoded plain value), when collected
    m.inputs[j]         test j's input call, parsed SRank's way (extract.assert_io), "" when it has none: the
                        output-based selectors compare programs on distinct inputs
    m.correct[i]        ground truth of program i (it passes the task's real tests), when known

A file of matrices is one `.npz` (numpy's zip of arrays, loadable without pickle: `np.load(path)`), keys
`<k>/<field>` for the k-th task plus `meta` (a JSON string: tasks, field list, codereward version); strings
are numpy unicode arrays, outputs JSON strings ("" where none). `MatrixSet.to_frame()` gives one pandas-style
row per cell for those who would rather query than index.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..results import Outcome

OUTCOME_CODES: dict[Outcome, int] = {o: i for i, o in enumerate(Outcome)}
NO_OUTCOME = -1  # a cell not run (a test of a program whose executions broke)
FORMAT = 1


@dataclass
class PassMatrix:
    task_id: str
    programs: list[str]
    program_counts: npt.NDArray[np.int64]
    tests: list[str]
    test_counts: npt.NDArray[np.int64]
    outcomes: npt.NDArray[np.int8]  # N x M
    executed: npt.NDArray[np.bool_]
    invalid: npt.NDArray[np.bool_]
    outputs: list[list[str]] | None = None  # N x M wire-encoded values, "" where none
    correct: npt.NDArray[np.bool_] | None = None
    causes: npt.NDArray[np.int8] | None = None  # N x M: each cell's cause (index in records.Cause), -1: none
    reference: npt.NDArray[np.int8] | None = None  # M: the reference solution's outcome on each test
    inputs: list[str] | None = None  # M: each test's input call ("" for none)
    extra: dict[str, Any] = field(default_factory=dict)  # per-task notes (e.g. how many tests were not statements)

    @property
    def passed(self) -> npt.NDArray[np.bool_]:
        passed: npt.NDArray[np.bool_] = self.outcomes == OUTCOME_CODES[Outcome.PASSED]
        return passed

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.programs), len(self.tests)

    def valid(self) -> npt.NDArray[np.bool_]:
        """The passed cells of valid tests, for programs that executed (what selectors read)."""
        return self.passed & ~self.invalid[None, :] & self.executed[:, None]

    def output(self, i: int, j: int) -> Any:
        """Program i's value for test j's call, decoded (None when none was collected)."""
        from ..sandboxed import wire

        if self.outputs is None or not self.outputs[i][j]:
            return None
        return wire.loads(self.outputs[i][j].encode())

    def to_arrays(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        out: dict[str, npt.NDArray[Any]] = {
            f"{prefix}/programs": np.array(self.programs, dtype=np.str_),
            f"{prefix}/program_counts": self.program_counts.astype(np.int64),
            f"{prefix}/tests": np.array(self.tests, dtype=np.str_),
            f"{prefix}/test_counts": self.test_counts.astype(np.int64),
            f"{prefix}/outcomes": self.outcomes.astype(np.int8),
            f"{prefix}/executed": self.executed.astype(np.bool_),
            f"{prefix}/invalid": self.invalid.astype(np.bool_),
        }
        if self.outputs is not None:
            out[f"{prefix}/outputs"] = np.array(self.outputs, dtype=np.str_).reshape(self.shape)
        if self.correct is not None:
            out[f"{prefix}/correct"] = self.correct.astype(np.bool_)
        if self.causes is not None:
            out[f"{prefix}/causes"] = self.causes.astype(np.int8)
        if self.reference is not None:
            out[f"{prefix}/reference"] = self.reference.astype(np.int8)
        if self.inputs is not None:
            out[f"{prefix}/inputs"] = np.array(self.inputs, dtype=np.str_)
        return out

    @classmethod
    def from_arrays(cls, task_id: str, arrays: Any, prefix: str, extra: dict[str, Any]) -> PassMatrix:
        def get(name: str) -> Any:
            key = f"{prefix}/{name}"
            return arrays[key] if key in arrays else None

        outputs, correct, causes, inputs = get("outputs"), get("correct"), get("causes"), get("inputs")
        n, m = len(get("programs")), len(get("tests"))
        return cls(task_id=task_id, programs=[str(p) for p in get("programs")], program_counts=get("program_counts"),
                   tests=[str(t) for t in get("tests")], test_counts=get("test_counts"),
                   outcomes=get("outcomes").reshape(n, m), executed=get("executed"), invalid=get("invalid"),
                   outputs=[[str(v) for v in row] for row in outputs.reshape(n, m)] if outputs is not None else None,
                   correct=correct, causes=causes.reshape(n, m) if causes is not None else None,
                   reference=get("reference"), inputs=[str(c) for c in inputs] if inputs is not None else None,
                   extra=extra)


@dataclass
class MatrixSet:
    """The pass matrices of many tasks, in task order; saved and loaded as one .npz file."""

    matrices: list[PassMatrix]
    meta: dict[str, Any] = field(default_factory=dict)  # how they were built (limits, extraction, version)

    def __iter__(self) -> Iterator[PassMatrix]:
        return iter(self.matrices)

    def __len__(self) -> int:
        return len(self.matrices)

    def by_task(self) -> dict[str, PassMatrix]:
        return {m.task_id: m for m in self.matrices}

    def save(self, path: str | Path) -> None:
        from .. import __version__

        arrays: dict[str, npt.NDArray[Any]] = {}
        for k, m in enumerate(self.matrices):
            arrays.update(m.to_arrays(str(k)))
        meta = {"format": FORMAT, "codereward": __version__, "outcomes": [o.value for o in Outcome],
                "tasks": [m.task_id for m in self.matrices], "extra": [m.extra for m in self.matrices], **self.meta}
        arrays["meta"] = np.array(json.dumps(meta))
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path) -> MatrixSet:
        with np.load(path, allow_pickle=False) as arrays:
            meta = json.loads(str(arrays["meta"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"{path}: pass-matrix format {meta.get('format')!r}, this codereward reads {FORMAT}")
            matrices = [PassMatrix.from_arrays(tid, arrays, str(k), extra)
                        for k, (tid, extra) in enumerate(zip(meta["tasks"], meta["extra"]))]
        rest = {k: v for k, v in meta.items() if k not in ("format", "codereward", "outcomes", "tasks", "extra")}
        return cls(matrices, rest)

    def to_frame(self) -> list[dict[str, Any]]:
        """One row per cell: task, program index, test index, counts, outcome, passed, validity, truth
        (`pandas.DataFrame(ms.to_frame())`)."""
        outcomes = list(Outcome)
        rows: list[dict[str, Any]] = []
        for m in self.matrices:
            n, t = m.shape
            for i in range(n):
                for j in range(t):
                    code = int(m.outcomes[i, j])
                    rows.append({"task_id": m.task_id, "program": i, "test": j,
                                 "program_count": int(m.program_counts[i]), "test_count": int(m.test_counts[j]),
                                 "outcome": outcomes[code].value if code >= 0 else None,
                                 "passed": code == OUTCOME_CODES[Outcome.PASSED], "invalid": bool(m.invalid[j]),
                                 "correct": bool(m.correct[i]) if m.correct is not None else None})
        return rows


def empty(task_id: str, programs: Sequence[str], program_counts: Sequence[int], tests: Sequence[str],
          test_counts: Sequence[int]) -> PassMatrix:
    """A matrix whose cells are not run yet."""
    n, m = len(programs), len(tests)
    return PassMatrix(task_id, list(programs), np.array(program_counts, dtype=np.int64), list(tests),
                      np.array(test_counts, dtype=np.int64), np.full((n, m), NO_OUTCOME, dtype=np.int8),
                      np.ones(n, dtype=np.bool_), np.zeros(m, dtype=np.bool_))
