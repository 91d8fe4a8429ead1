"""The scoring endpoints: the native batch API and OpenRLHF's /get_reward (Open-Instruct's are in
_open_instruct.py, SandboxFusion's in _runcode.py).

Handlers are thin: parse (schemas), resolve tasks and programs (_inputs), run (EvalService.run_batch),
shape the answer. An infrastructure failure is never scored: the native API returns it as status `error`
with reward null; the compatible APIs, whose clients can only take numbers, answer 503 with Retry-After after
waiting for room in a full queue. What each client does with a 503 (OpenRLHF retries 5 x 1 s then drops the
reward; Open-Instruct scores 0 with a warning) is in the README's Server section.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from ..errors import InputError
from ..integrations.extract import extract_code, response_text
from ..results import Result, Status
from ..rewards import score
from ..tasks import labels
from ._inputs import NO_LABEL, resolve_sample, reward_task
from ._schemas import (
    EvaluateRequest,
    EvaluateResponse,
    RewardRequest,
    RewardResponse,
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


@router.post("/v1/evaluate", response_model=EvaluateResponse, response_model_exclude_unset=True, tags=["native"])
async def evaluate(body: EvaluateRequest, service: Service) -> dict[str, Any]:
    """Evaluate many samples; results in input order, with per-test outcomes. Status `error` (reward
    null) marks an infrastructure failure or a broken task, never a candidate's failure."""
    pairs = [resolve_sample(s, i, service.tasks) for i, s in enumerate(body.samples)]
    results = await service.run_batch(pairs)
    texts = [s.response if s.response is not None else s.solution if s.solution is not None else s.completion
             for s in body.samples]
    score(results, body.reward or service.settings.reward, groups=body.groups, completions=texts)
    counts = Counter(r.status.value for r in results)
    return {"results": [r.to_dict(body.detail) for r in results],
            "summary": {s.value: counts.get(s.value, 0) for s in Status}}


@router.post("/get_reward", response_model=RewardResponse, tags=["openrlhf"])
async def get_reward_openrlhf(body: RewardRequest, service: Service) -> dict[str, Any]:
    """OpenRLHF `--reward.remote_url http://host:port/get_reward`: `query` (prompt + response), `prompts`,
    `labels` (the tests, in the label format). Code is extracted from the response; reward per sample, plus
    pass rates in extra_logs.

    OpenRLHF's client (0.11 utils/agent.py) retries 5 times 1 s apart whatever Retry-After says, then leaves the
    sample without a reward; its request times out after 180 s. So a full queue is waited for (--compat-wait)
    rather than answered 429 at once, and a sample without a verdict answers 503: the client's retries run it
    again, on a fresh sandbox."""
    n = len(body.query)
    if body.labels is None:
        raise InputError(NO_LABEL, field="labels")
    for name, values in (("labels", body.labels), ("prompts", body.prompts)):
        if values is not None and len(values) != n:
            raise InputError(f"has {len(values)} entries for {n} queries", field=name)
    pairs, responses = [], []
    for i, (query, label) in enumerate(zip(body.query, body.labels)):
        task = reward_task(label, service.tasks, f"labels.{i}")
        responses.append(response_text(query, body.prompts[i] if body.prompts is not None else None))
        pairs.append((task, labels.label_program(task, extract_code(responses[-1], task.language))))
    results = await service.run_batch(pairs, wait=service.settings.compat_wait)
    _refuse_errors(results, service)
    # Rollouts of one prompt form a group (for a group shaper); no error result reaches here, so no reward is None.
    rewards = [float(v) for v in score(results, service.settings.reward, groups=body.prompts, completions=responses)
               if v is not None]
    assert len(rewards) == len(results)
    # extra_logs values must be numbers: OpenRLHF turns each into a tensor for its logs.
    return {"rewards": rewards, "scores": rewards,
            "extra_logs": {"pass_rate": [r.n_passed / r.n_tests if r.n_tests else 0.0 for r in results],
                           "all_passed": [1.0 if r.passed else 0.0 for r in results]}}
