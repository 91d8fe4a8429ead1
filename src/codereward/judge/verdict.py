"""Where a verdict is decided: the judge's records plus the zygote's account of the processes -> Result.

Rules (DESIGN.md 3 and 6): a test passes only if its `passed` record arrived; a missing record is a
failure, never a pass; exit codes and output are never read as success; a broken sandbox or test suite is
Status.ERROR with a reason, never a failed test.
"""

from __future__ import annotations

import signal

from ..results import Outcome, Result, Status, TestResult

_SIGNAL_OUTCOME = {
    signal.SIGXFSZ: (Outcome.OUTPUT_LIMIT, "output limit exceeded"),
    signal.SIGXCPU: (Outcome.TIME_LIMIT, "CPU time limit exceeded"),
}


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def decide(task_id: str, records: list[dict], status: dict, *, visible: list[bool] | None = None) -> Result:
    """Turn one execution's records into a Result (reward is set later by the caller's shaping)."""
    wall = float(status.get("wall", 0.0))
    mem = int(status.get("c_maxrss", 0))
    base = {"task_id": task_id, "time": wall, "memory_kb": mem}
    infra = next((r["infra"] for r in records if "infra" in r), None)
    if infra is not None:
        return Result(status=Status.ERROR, reason=str(infra), **base)
    plan = next((r["plan"] for r in records if "plan" in r), None)
    if plan is None:
        why = "the judge did not start the tests within the time limit" if status.get("killed") else (
            "the judge stopped before announcing its tests")
        return Result(status=Status.ERROR, reason=why, **base)
    if not plan:
        return Result(status=Status.ERROR, reason="the test suite has no tests", **base)

    by_index = {r["i"]: r for r in records if "i" in r and type(r["i"]) is int}
    ended = any("end" in r for r in records)
    c_sig = status.get("c_sig")
    died_as = _SIGNAL_OUTCOME.get(c_sig) if c_sig else None
    tests: list[TestResult] = []
    missing_started = False
    for i, name in enumerate(plan):
        vis = visible[i] if visible and i < len(visible) else True
        rec = by_index.get(i)
        if rec is None:
            # Silence is failure. Say what we know of why the record never came.
            if missing_started or (status.get("killed") and tests and tests[-1].outcome is Outcome.TIME_LIMIT):
                outcome, detail = Outcome.SKIPPED, "not run"
            elif status.get("killed"):
                outcome, detail = Outcome.TIME_LIMIT, "time limit exceeded (no outcome record)"
            else:
                outcome, detail = Outcome.RUNTIME_ERROR, "no outcome record: the judge stopped"
            missing_started = True
            tests.append(TestResult(str(name), outcome, 0.0, mem, detail, vis))
            continue
        try:
            outcome = Outcome(rec.get("o"))
        except ValueError:
            outcome = Outcome.RUNTIME_ERROR
        detail = str(rec.get("d", ""))
        if outcome is Outcome.RUNTIME_ERROR and detail.startswith("candidate process exited") and c_sig:
            # The candidate died mid-test: the zygote knows how.
            outcome, detail = died_as or (Outcome.RUNTIME_ERROR, f"candidate killed by {_signal_name(c_sig)}")
        tests.append(TestResult(str(name), outcome, float(rec.get("t", 0.0)), int(rec.get("m", 0)), detail, vis))

    all_passed = ended and all(t.outcome is Outcome.PASSED for t in tests)
    return Result(status=Status.PASSED if all_passed else Status.FAILED, tests=tests, **base)
