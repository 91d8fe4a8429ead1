"""Run CodeT's own execution code (microsoft/CodeT, CodeT/src) on CodeT's released HumanEval data; dump JSON.

    python bench/_codet_run.py --codet /path/to/CodeT --data ../shared/data/codet --out codet_exec.json

Used by bench/pass_matrix.py as the anchor. Needs a checkout of microsoft/CodeT (its `CodeT/` folder: `src/` and
`main.py`); nothing of it is part of codereward. It runs CodeT's `evaluate_with_test_code` (the ground truth,
0.1 s per sample) and `evaluate_with_test_cases` (the dual execution, 0.1 s per assert, limit 5) with its
own post-processing; the test-case lines are mapped to tasks by the entry point their prompt names and, for the two
tasks named `sum_squares`, the docstring lines it holds (the data here has no
HumanEval_for_test_case_generation.jsonl, which CodeT maps them with by prompt).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path


def codet_numbers(solutions: list, tests: dict, truth: list, dual: list, limit: int) -> tuple[dict, dict]:
    """CodeT's ranked pass@1/2/10 and random pass@1/10/100 of these executions, by CodeT's own code
    (src/agreement.py, src/evaluation.py). Its get_result_of_sorted_solutions only logs its figures, so its
    loop is repeated here, calling CodeT's own helpers for every step."""
    from src.agreement import DataManager, DualAgreement  # type: ignore[import-not-found]
    from src.evaluation import (  # type: ignore[import-not-found]
        _dictionized_ground_truth_results,
        _estimate_pass_at_k,
        _estimator,
        _turn_solution_scores_into_choose_count,
        pass_at_K_by_task,
    )

    ranked_by_task = DualAgreement(DataManager(dual, solutions, tests, limit)).get_sorted_solutions_without_iter()
    truth_by_task = _dictionized_ground_truth_results(truth)
    ranked = {}
    for k in (1, 2, 10):
        fallback = pass_at_K_by_task(truth, k=k)
        rates = []
        for task_id, by_completion in truth_by_task.items():
            if not ranked_by_task.get(task_id):
                rates.append(fallback[task_id])
                continue
            wrong = 1.0
            for group, picks in _turn_solution_scores_into_choose_count(ranked_by_task[task_id], k):
                wrong *= _estimator(len(group), sum(by_completion[s] for s in group), 1) ** picks
            rates.append(1 - wrong)
        ranked[f"pass@{k}"] = float(sum(rates) / len(rates))
    per_task = defaultdict(list)
    for r in truth:
        per_task[r["task_id"]].append(r["passed"])
    random = {f"pass@{k}": float(_estimate_pass_at_k([len(v) for v in per_task.values()],
                                                      [sum(v) for v in per_task.values()], k).mean())
              for k in (1, 10, 100)}
    return ranked, random


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--codet", type=Path, required=True, help="CodeT's CodeT/ folder (with src/)")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--timeout", type=float, default=0.1)
    ap.add_argument("--limit", type=int, default=5)
    ap.add_argument("--tasks", type=int, default=0, help="only the first N tasks (0: all)")
    ap.add_argument("--only", nargs="*", default=[], help="only these task ids")
    args = ap.parse_args()
    sys.path.insert(0, str(args.codet))
    from src.execution import evaluate_with_test_cases, evaluate_with_test_code  # type: ignore[import-not-found]
    from src.postprocess import PostProcessor  # type: ignore[import-not-found]

    source = args.data / "HumanEval_for_code_generation.jsonl"
    solutions, _ = PostProcessor.map_task_id_for_solution(
        str(args.data / "HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.jsonl"), str(source))
    tasks = {json.loads(line)["task_id"]: json.loads(line) for line in source.open()}
    keep = set(args.only) if args.only else set(list(tasks)[:args.tasks]) if args.tasks else set(tasks)
    solutions = [s for s in solutions if s["task_id"] in keep]
    by_entry = defaultdict(list)
    for tid, t in tasks.items():
        by_entry[t["entry_point"]].append(tid)
    tests: dict[str, list[list[str]]] = defaultdict(list)
    for line in (args.data / "HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_test_case.jsonl").open():
        obj = json.loads(line)
        entry = re.search(r"# check the correctness of (\w+)", obj["prompt"]).group(1)  # type: ignore[union-attr]
        lines = [x.strip() for x in obj["prompt"].split("# check the correctness")[0].splitlines()
                 if x.strip() not in ("", "pass")]
        [tid] = [t for t in by_entry[entry] if all(x in tasks[t]["prompt"] for x in lines)]
        if tid in keep:
            tests[tid] += [PostProcessor.test_case_extract(s, entry) for s in obj["samples"]]
    t0 = time.perf_counter()
    truth = evaluate_with_test_code([dict(s) for s in solutions], timeout=args.timeout)
    t1 = time.perf_counter()
    dual = evaluate_with_test_cases(solutions, tests, timeout=args.timeout, limit=args.limit)
    t2 = time.perf_counter()
    ranked, random = codet_numbers(solutions, tests, truth, dual, args.limit)
    args.out.write_text(json.dumps({
        "pass_at_k": {"codet": ranked, "random": random},
        "ground_truth": [{"task_id": r["task_id"], "completion": r["completion"], "passed": r["passed"]}
                         for r in truth],
        "dual": [{"task_id": r["task_id"], "completion": r["completion"], "passed": r["passed"],
                  "test_cases": r["test_cases"], "result": r["result"] if isinstance(r["result"], list) else None}
                 for r in dual],
        "seconds": {"ground_truth": t1 - t0, "dual": t2 - t1}}))
    print(f"CodeT: ground truth {t1 - t0:.1f} s, dual execution {t2 - t1:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
