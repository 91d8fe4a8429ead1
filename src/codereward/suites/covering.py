"""Coverage of a task's reference by a test suite: line and branch coverage measured inside the sandbox with
coverage.py, analysed on the host with coverage.py's own report.

    cov = coverage_of(engine, task)          # the engine's sandboxes must allow importing `coverage`
    cov.line_percent, cov.branch_percent, cov.missing_lines

How: the reference runs as the candidate, wrapped in a few lines that start coverage.py (its C tracer,
branch mode, measuring the reference's file only) before the reference loads, and answer one extra call of
the entry point, made after the suite's tests, with the arcs recorded so far. The host writes the
reference to a file, gives coverage.py those arcs as its data and reads its JSON report: the percentages,
missing lines and missing branches are coverage.py's. The figures are those of the whole program (the
prompt's imports and helpers included), as `coverage report` gives them for UTRL's solution.py.

Needs `coverage` importable in the sandbox: Engine(packages=("numpy", "coverage")) (`codereward suite` does
this). Assert and call suites only: a stdio program is a new process per case.
"""

from __future__ import annotations

import ast
import json
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import Engine
from ..errors import UsageError
from ..results import Status
from ..tasks.model import AssertSuite, CallCase, CallSuite, Task

SOURCE_NAME = "/solution.py"  # the reference's file name inside the sandbox (never written there)
QUERY = "__codereward_coverage__"  # the argument of the extra call that asks for the recorded arcs
PACKAGES = ("numpy", "coverage")  # what an engine measuring coverage lets candidates import


@dataclass
class Coverage:
    task_id: str
    line_percent: float | None = None  # statements executed / statements (None: not measured)
    branch_percent: float | None = None  # branch destinations taken / branch destinations
    statements: int = 0
    branches: int = 0
    executed_lines: list[int] = field(default_factory=list)
    missing_lines: list[int] = field(default_factory=list)
    missing_branches: list[tuple[int, int]] = field(default_factory=list)  # (from line, to line; <0: exit)
    error: str = ""  # why there is no measurement

    def to_dict(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "line_coverage": self.line_percent, "branch_coverage": self.branch_percent,
                "statements": self.statements, "branches": self.branches, "missing_lines": self.missing_lines,
                "missing_branches": [list(b) for b in self.missing_branches], **({"error": self.error} if self.error
                                                                                   else {})}


def wrapped(reference: str, entry_point: str) -> str:
    """The reference, loaded under coverage.py, its entry point answering QUERY with the recorded arcs."""
    return textwrap.dedent(f"""\
        import coverage as _codereward_coverage
        _codereward_cov = _codereward_coverage.Coverage(data_file=None, branch=True, config_file=False,
                                                        include=[{SOURCE_NAME!r}])
        _codereward_cov.start()
        exec(compile({reference!r}, {SOURCE_NAME!r}, "exec"), globals())
        _codereward_entry = {entry_point}
        def {entry_point}(*args, **kwargs):
            if args == ({QUERY!r},) and not kwargs:
                _codereward_cov.stop()
                data = _codereward_cov.get_data()
                return [list(arc) for arc in data.arcs({SOURCE_NAME!r}) or []]
            return _codereward_entry(*args, **kwargs)
        """)


def _with_query(task: Task) -> tuple[Task, int]:
    """The task with one more test, last, that calls the entry point with QUERY; and that test's index."""
    tests = task.tests
    if isinstance(tests, CallSuite):
        cases = [*tests.cases, CallCase(args=[QUERY], expected=None)]
        return task.model_copy(update={"tests": tests.model_copy(update={"cases": cases})}), len(cases) - 1
    if isinstance(tests, AssertSuite):
        tree = ast.parse(tests.code)
        check = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == tests.entry_check), None)
        if check is None or not check.args.args:
            raise UsageError(f"task {task.id}: its tests define no {tests.entry_check}(candidate)")
        param = check.args.args[0].arg
        check.body.append(ast.parse(f"{param}({QUERY!r})").body[0])
        code = ast.unparse(tree)
        return task.model_copy(update={"tests": tests.model_copy(update={"code": code})}), -1
    raise UsageError(f"task {task.id}: coverage is measured for assert and call suites, not {tests.kind}")


def coverage_of(engine: Engine, task: Task) -> Coverage:
    """Line and branch coverage of `task.reference` by the task's tests (see the module's docstring)."""
    if not task.reference or not task.entry_point:
        raise UsageError(f"task {task.id}: coverage needs a reference solution and an entry point")
    query_task, at = _with_query(task)
    # The task's own limit, generous (coverage's import and tracer slow the reference down): a calibrating
    # engine would calibrate on the query task, whose last test the bare reference cannot answer.
    with engine.sibling(fixed_limit=True) as plain:
        out = plain.execute(query_task, wrapped(task.reference, task.entry_point),
                            mode="collect" if isinstance(task.tests, CallSuite) else "judge", values=True,
                            time_limit=3 * task.limits.time + 5)
    if out.result.status is Status.ERROR:
        return Coverage(task.id, error=f"the sandbox could not run the reference: {out.result.reason}")
    arcs = out.values[at] if out.values else None
    if not isinstance(arcs, list) or not all(isinstance(a, list) and len(a) == 2 for a in arcs):
        detail = next((t.detail for t in out.result.tests if t.detail), "")
        why = "the reference did not answer the coverage call (did the sandbox allow importing coverage? " \
              f"Engine(packages={PACKAGES!r}))"
        return Coverage(task.id, error=why + (f": {detail}" if detail else ""))
    return analyse(task.id, task.reference, [(int(a), int(b)) for a, b in arcs])


def analyse(task_id: str, source: str, arcs: list[tuple[int, int]]) -> Coverage:
    """coverage.py's JSON report of `source` given the arcs it executed."""
    try:
        import coverage
    except ImportError:
        raise UsageError("coverage needs coverage.py: pip install 'codereward[suites]'") from None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "solution.py")
        path.write_text(source, encoding="utf-8")
        cov = coverage.Coverage(data_file=None, branch=True, config_file=False)
        cov.get_data().add_arcs({str(path): arcs})
        report = Path(tmp, "coverage.json")
        cov.json_report(morfs=[str(path)], outfile=str(report))
        files = json.loads(report.read_text())["files"]  # one: keyed by a path relative to the cwd, or not
        data = next(iter(files.values()))
    summary = data["summary"]
    statements, branches = summary["num_statements"], summary["num_branches"]
    return Coverage(task_id, line_percent=100 * summary["covered_lines"] / statements if statements else None,
                    branch_percent=100 * summary["covered_branches"] / branches if branches else None,
                    statements=summary["num_statements"], branches=summary["num_branches"],
                    executed_lines=data["executed_lines"], missing_lines=data["missing_lines"],
                    missing_branches=[(a, b) for a, b in data["missing_branches"]])
