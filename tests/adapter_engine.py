"""The adapter tests' shared engine (integrations/_shared.py): two sandboxes, no CODEREWARD_* settings from the
environment, made afresh for each test module and closed after it. Imported by the modules that use it
(`from adapter_engine import small_shared_engine`): an autouse fixture applies where it is imported."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from codereward.integrations import _shared


@pytest.fixture(scope="module", autouse=True)
def small_shared_engine() -> Iterator[None]:
    mp = pytest.MonkeyPatch()
    mp.setenv("CODEREWARD_WORKERS", "2")
    for var in ("CODEREWARD_REWARD", "CODEREWARD_ON_ERROR", "CODEREWARD_BACKEND"):
        mp.delenv(var, raising=False)
    _shared.close_shared_engine()
    yield
    _shared.close_shared_engine()
    mp.undo()
