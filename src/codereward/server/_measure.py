"""POST /v1/efficiency and /v1/trace: efficiency against the reference and execution traces (README,
"Efficiency" and "Execution traces"), through the same admission queue and sandboxes as /v1/evaluate."""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ..efficiency import acecode_reward, efficiency
from ..errors import InputError
from ..results import Status
from ..tracing import trace_call
from ._inputs import resolve_sample
from ._routes import Service
from ._schemas import SampleIn

router = APIRouter()


class EfficiencyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    samples: list[SampleIn] = Field(..., min_length=1, max_length=256)
    repeats: int = Field(5, ge=1, le=50, description="CPU-time runs of each program and of its reference")
    bonus: float = Field(0.5, ge=0.0, lt=1.0, description="ACECode-style reward's bonus")


class TraceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program: str = Field(..., description="a program defining the function to call")
    entry: str = Field(..., pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="the function's name")
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    watch: list[int] | None = Field(None, description="lines whose locals are kept (default every line)")
    time_limit: float = Field(10.0, gt=0, le=120)


@router.post("/v1/efficiency", tags=["native"])
async def efficiency_route(body: EfficiencyRequest, service: Service) -> dict[str, Any]:
    """Each sample's line events and CPU time against its task's reference; ratio and reward for correct
    samples only (untrusted or wrong: none)."""
    engine = service.engine
    assert engine is not None
    pairs = [resolve_sample(s, i, service.tasks) for i, s in enumerate(body.samples)]
    for i, (task, _) in enumerate(pairs):
        if task.reference is None:
            raise InputError(f"task {task.id!r} has no reference solution to measure against", field=f"samples.{i}")

    def job(task: Any, program: str) -> dict[str, Any]:
        e = efficiency(engine, task, program, repeats=body.repeats)
        return {**e.to_dict(), "reward": acecode_reward(e, bonus=body.bonus) if e.status is not Status.ERROR
                else None}

    return {"results": await service.run_jobs([functools.partial(job, t, p) for t, p in pairs])}


@router.post("/v1/trace", tags=["native"])
async def trace_route(body: TraceRequest, service: Service) -> dict[str, Any]:
    """One call of a program, traced in the sandbox: each line run with its locals, and the output."""
    engine = service.engine
    assert engine is not None
    (t,) = await service.run_jobs([lambda: trace_call(engine, body.program, body.entry, body.args, body.kwargs,
                                                      watch=body.watch, time_limit=body.time_limit)])
    return t.to_dict()
