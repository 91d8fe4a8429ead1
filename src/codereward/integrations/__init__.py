"""Training-framework adapters: TRL reward functions, verl `compute_score`, OpenRLHF `reward_func`.

Each adapter turns (completion, label) pairs into rewards through one shared, lazily started engine; code is
pulled out of completions by `extract_code`, tests out of labels by `codereward.tasks.task_from_label`.
Framework packages are never imported here: each adapter matches its framework's call signature only.
"""

from __future__ import annotations

from codereward.integrations.extract import completion_text, extract_code, strip_reasoning

__all__ = ["completion_text", "extract_code", "strip_reasoning"]
