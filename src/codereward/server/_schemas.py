"""Request and response bodies, one model per direction of traffic.

The native API is strict (unknown fields are errors, named in the 422). The compatible endpoints accept
and ignore fields they do not use, as the servers they stand in for do: a trainer's client that sends one
more field must not break.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import UsageError
from ..rewards import get_shaper

# -- native API: POST /v1/evaluate ------------------------------------------------------------------------


class SampleIn(BaseModel):
    """One candidate and where its tests come from."""

    model_config = ConfigDict(extra="forbid")

    task: dict[str, Any] | None = Field(None, description="a task inline, in codereward's task JSON format")
    task_id: str | None = Field(None, description="a task of the dataset the server was started with")
    ground_truth: Any = Field(None, description="a label carrying the tests (see the label format)")
    completion: str | None = Field(None, description="code appended to the task's prompt (human-eval)")
    solution: str | None = Field(None, description="a whole program defining the entry point")
    response: str | None = Field(None, description="raw model output: the code is extracted from it "
                                                   "(fenced blocks, <think> sections stripped)")
    time_limit: float | None = Field(None, gt=0, le=600, description="seconds for the whole execution")

    @model_validator(mode="after")
    def _one_source_one_program(self) -> SampleIn:
        sources = [n for n in ("task", "task_id", "ground_truth") if getattr(self, n) is not None]
        if len(sources) != 1:
            raise ValueError(f"give exactly one of task, task_id, ground_truth (got {', '.join(sources) or 'none'})")
        programs = [n for n in ("completion", "solution", "response") if getattr(self, n) is not None]
        if len(programs) != 1:
            raise ValueError(f"give exactly one of completion, solution, response "
                             f"(got {', '.join(programs) or 'none'})")
        return self


class EvaluateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    samples: list[SampleIn] = Field(..., min_length=1)
    reward: str | None = Field(None, description="a reward spec (binary, fraction, verpo:window=8, "
                                                 "checked:base=fraction, ...); default: the server's --reward")
    detail: Literal["full", "failures", "summary"] = Field("full", description=(
        "per-test records in each result: full (one per test), failures (the tests that neither passed nor were "
        "skipped, each with its index, plus `outcomes`: a count per outcome) or summary (`outcomes` and "
        "`first_failure`, no per-test records)"))
    groups: list[str | int] | None = Field(None, description="one key per sample: samples with equal keys (the "
                                                             "rollouts of one prompt) form a group for group "
                                                             "rewards such as verpo; default: each its own")

    @model_validator(mode="after")
    def _known_reward_and_groups(self) -> EvaluateRequest:
        if self.reward is not None:
            try:
                get_shaper(self.reward)
            except UsageError as e:
                raise ValueError(str(e)) from None
        if self.groups is not None and len(self.groups) != len(self.samples):
            raise ValueError(f"{len(self.groups)} group keys for {len(self.samples)} samples")
        return self


class TestOut(BaseModel):
    __test__ = False  # not a pytest class

    name: str
    outcome: str
    time: float
    memory_kb: int
    detail: str
    visible: bool
    index: int | None = Field(None, description="the test's position (detail failures and summary only)")


class ResultOut(BaseModel):
    """Result.to_dict(): status passed | failed | error; reward is null exactly when status is error.
    Fields Result grows later (e.g. audit `flags`) pass through unchanged."""

    model_config = ConfigDict(extra="allow")

    task_id: str
    completion_id: int | None
    status: Literal["passed", "failed", "error"]
    reward: float | None
    passed: int
    total: int
    reason: str
    time: float
    memory_kb: int
    tests: list[TestOut] = Field(default_factory=list, description="absent with detail summary")


class EvaluateResponse(BaseModel):
    results: list[ResultOut]
    summary: dict[str, int] = Field(description="count of results by status")


# -- OpenRLHF remote reward model: POST /get_reward --------------------------------------------------------


class RewardRequest(BaseModel):
    """OpenRLHF's remote RM payload: `query` is prompt + response as decoded by the trainer."""

    model_config = ConfigDict(extra="ignore")

    query: list[str]
    prompts: list[str] | None = None
    labels: list[Any] | None = None


class RewardResponse(BaseModel):
    rewards: list[float]
    scores: list[float]
    extra_logs: dict[str, list[float]]


# -- Open-Instruct code verifier: POST /test_program, /test_program_stdio ------------------------------------


class TestProgramRequest(BaseModel):
    __test__ = False
    model_config = ConfigDict(extra="ignore")

    program: str
    tests: Any = Field(None, description="a list, a JSON string, or open-instruct's compressed encoding")
    max_execution_time: float = Field(1.0, gt=0, le=600, description="seconds per test")


class TestProgramResponse(BaseModel):
    __test__ = False

    results: list[int]
    runtimes: list[float]


# -- SandboxFusion: POST /run_code ------------------------------------------------------------------------


class RunCodeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str
    language: str  # any string, so an unsupported language gets a SandboxFusion-style answer, not a 422
    compile_timeout: float = 10
    run_timeout: float = Field(10, gt=0)
    memory_limit_MB: int = -1  # noqa: N815 — SandboxFusion's field name
    stdin: str | None = None
    files: dict[str, str | None] = Field(default_factory=dict, description="path -> base64 content")
    fetch_files: list[str] = Field(default_factory=list)


class CommandRunResult(BaseModel):
    status: Literal["Finished", "Error", "TimeLimitExceeded"]
    execution_time: float | None = None
    return_code: int | None = None
    stdout: str | None = None
    stderr: str | None = None


class RunCodeResponse(BaseModel):
    status: Literal["Success", "Failed", "SandboxError"]
    message: str = ""
    compile_result: CommandRunResult | None = None
    run_result: CommandRunResult | None = None
    executor_pod_name: str | None = None
    files: dict[str, str] = Field(default_factory=dict)
