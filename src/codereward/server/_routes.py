"""The scoring endpoints: the native batch API and the OpenRLHF and Open-Instruct compatible ones.

Handlers are thin: parse (schemas), resolve tasks and programs (_inputs), run (EvalService.run_batch),
shape the answer. An infrastructure failure is never scored: the native API returns it as status `error`
with reward null; the compatible APIs, whose clients can only take numbers, answer 503 with Retry-After
(both OpenRLHF and Open-Instruct retry or skip on an HTTP error; neither can tell a 0 from a broken sandbox).
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from ..errors import InputError
from ..integrations.extract import extract_code, response_text
from ..results import Outcome, Result, Status
from ..rewards import score
from ..tasks import labels
from ._inputs import decode_tests, resolve_sample, task_from_label
from ._schemas import (
    EvaluateRequest,
    EvaluateResponse,
    RewardRequest,
    RewardResponse,
    TestProgramRequest,
    TestProgramResponse,
)
from ._service import EvalService, ServiceError


class InfraFailure(ServiceError):
    """A sample ended in status error (a broken sandbox, a broken test suite): not scorable, retry (503)."""

    status_code = 503


def get_service(request: Request) -> EvalService:
    service: EvalService = request.app.state.service
    return service


Service = Annotated[EvalService, Depends(get_service)]

router = APIRouter()


def _refuse_errors(results: list[Result], service: EvalService) -> None:
    errors = [(i, r.reason) for i, r in enumerate(results) if r.status is Status.ERROR]
    if errors:
        listed = "; ".join(f"#{i}: {why}" for i, why in errors[:5])
        raise InfraFailure(f"{len(errors)} of {len(results)} samples could not be evaluated (infrastructure "
                           f"error, not a verdict): {listed}", retry_after=service.settings.retry_after)


@router.post("/v1/evaluate", response_model=EvaluateResponse, tags=["native"])
async def evaluate(body: EvaluateRequest, service: Service) -> dict[str, Any]:
    """Evaluate many samples; results in input order, with per-test outcomes. Status `error` (reward
    null) marks an infrastructure failure or a broken task, never a candidate's failure."""
    pairs = [resolve_sample(s, i, service.tasks) for i, s in enumerate(body.samples)]
    results = await service.run_batch(pairs)
    texts = [s.response if s.response is not None else s.solution if s.solution is not None else s.completion
             for s in body.samples]
    score(results, body.reward or service.settings.reward, groups=body.groups, completions=texts)
    counts = Counter(r.status.value for r in results)
    return {"results": [r.to_dict() for r in results],
            "summary": {s.value: counts.get(s.value, 0) for s in Status}}


@router.post("/get_reward", response_model=RewardResponse, tags=["openrlhf"])
async def get_reward_openrlhf(body: RewardRequest, service: Service) -> dict[str, Any]:
    """OpenRLHF `--remote_rm_url`: `query` (prompt + response), `prompts`, `labels` (the tests, in the
    label format). Code is extracted from the response; reward per sample, plus pass rates in extra_logs."""
    n = len(body.query)
    if body.labels is None:
        raise InputError("codereward needs each sample's tests as its label: start OpenRLHF with --label_key "
                         "naming the column that holds them", field="labels")
    for name, values in (("labels", body.labels), ("prompts", body.prompts)):
        if values is not None and len(values) != n:
            raise InputError(f"has {len(values)} entries for {n} queries", field=name)
    pairs, responses = [], []
    for i, (query, label) in enumerate(zip(body.query, body.labels)):
        task = task_from_label(label, service.tasks, f"labels.{i}")
        responses.append(response_text(query, body.prompts[i] if body.prompts is not None else None))
        pairs.append((task, labels.label_program(task, extract_code(responses[-1]))))
    results = await service.run_batch(pairs)
    _refuse_errors(results, service)
    # Rollouts of one prompt form a group (for a group shaper); no error result reaches here, so no reward is None.
    rewards = [float(v) for v in score(results, service.settings.reward, groups=body.prompts, completions=responses)
               if v is not None]
    assert len(rewards) == len(results)
    # extra_logs values must be numbers: OpenRLHF turns each into a tensor for its logs.
    return {"rewards": rewards, "scores": rewards,
            "extra_logs": {"pass_rate": [r.n_passed / r.n_tests if r.n_tests else 0.0 for r in results],
                           "all_passed": [1.0 if r.passed else 0.0 for r in results]}}


async def _test_program(body: TestProgramRequest, service: Service, stdio: bool) -> dict[str, Any]:
    tests = decode_tests(body.tests)
    if not tests:
        return {"results": [], "runtimes": []}
    if stdio:
        bad = next((i for i, t in enumerate(tests) if not isinstance(t, dict) or {"input", "output"} - t.keys()),
                   None)
        if bad is not None:
            raise InputError("each stdio test must be an object with 'input' and 'output'", field=f"tests.{bad}")
        label: object = {"inputs": [t["input"] for t in tests], "outputs": [t["output"] for t in tests]}
    else:
        if not all(isinstance(t, str) for t in tests):
            raise InputError("each test must be a string of Python code (an assert)", field="tests")
        label = tests
    task = task_from_label(label, service.tasks, "tests")
    # open-instruct's limit is per test; ours is for the whole execution, so it is scaled by the test count.
    task = task.model_copy(update={"limits": task.limits.model_copy(
        update={"time": body.max_execution_time * len(tests)})})
    (result,) = await service.run_batch([(task, body.program)])
    _refuse_errors([result], service)
    passed = [1 if t.outcome is Outcome.PASSED else 0 for t in result.tests]
    return {"results": passed, "runtimes": [t.time if ok else -1.0 for t, ok in zip(result.tests, passed)]}


@router.post("/test_program", response_model=TestProgramResponse, tags=["open-instruct"])
async def test_program(body: TestProgramRequest, service: Service) -> dict[str, Any]:
    """Open-Instruct's code verifier: `program` + assert `tests` -> results (0/1 per test) and runtimes."""
    return await _test_program(body, service, stdio=False)


@router.post("/test_program_stdio", response_model=TestProgramResponse, tags=["open-instruct"])
async def test_program_stdio(body: TestProgramRequest, service: Service) -> dict[str, Any]:
    """Open-Instruct's stdio verifier: `tests` are {"input", "output"} pairs."""
    return await _test_program(body, service, stdio=True)
