"""The Ray actor on one node: a LocalPool of that node's sandboxes, fed batches of jobs by the driver."""

from __future__ import annotations

import os
import socket
import warnings
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import ray

from ...errors import CodeRewardError
from ...executor import Execution, Job
from ..local import LocalPool

MAX_SUITES = 4096  # suite payloads kept per node; a job naming one evicted since gets MISSING, and is resent
MISSING = "missing suite"


class NodePool:
    """Runs inside the actor: executes the jobs of a batch concurrently on the node's sandboxes."""

    def __init__(self, options: dict[str, Any]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # isolation='none' was already warned about on the driver
            self.pool = LocalPool(**options)
        self._suites: OrderedDict[str, bytes] = OrderedDict()
        self._threads = ThreadPoolExecutor(self.pool.n_workers, thread_name_prefix="codereward-node")

    def start(self) -> dict[str, Any]:
        """Start the sandboxes; what the driver needs to know about this node."""
        self.pool.start()
        return self.describe()

    def describe(self) -> dict[str, Any]:
        # Sandbox pids let a test (or an operator) check that killing the actor killed its sandboxes.
        return {"host": socket.gethostname(), "pid": os.getpid(), "workers": self.pool.n_workers,
                "sandbox_pids": [w.proc.pid for w in list(self.pool.workers)]}

    def run_batch(self, suites: dict[str, Any], jobs: list[Job]) -> tuple[list[Execution | str], dict[str, int]]:
        """Run jobs whose suite payloads were left out (`suites`: refs of the payloads this node may not hold
        yet). Per job, its Execution, or why the sandbox could not run it (a string); and the pool's stats."""
        missing = [k for k in suites if k not in self._suites]
        if missing:  # refs nested in a dict are not resolved by Ray: fetched here, once per suite per node
            for key, data in zip(missing, ray.get([suites[k] for k in missing])):
                self._suites[key] = data
            while len(self._suites) > MAX_SUITES:
                self._suites.popitem(last=False)

        def one(job: Job) -> Execution | str:
            data = self._suites.get(job.suite.key)
            if data is None:
                return MISSING
            self._suites.move_to_end(job.suite.key)
            try:
                return self.pool.execute(replace(job, suite=replace(job.suite, data=data)))
            except CodeRewardError as e:
                return f"{type(e).__name__}: {e}"

        return list(self._threads.map(one, jobs)), dict(self.pool.stats)

    def close(self) -> None:
        self.pool.close()
        self._threads.shutdown(wait=False)
