"""The judge process: holds one task's tests and runs them against each candidate, through a proxy.

Runs inside the sandbox, one process per task (see template_main), made non-dumpable so the candidate
cannot read its memory through /proc, and filtered by seccomp like the candidate. It reports what happened
in each test as records (records.py); the host decides outcomes and status from them (judge/verdict.py).
The tests themselves are in suites.py, the candidate's side of the conversation in proxy.py.
"""

from __future__ import annotations

import json
import os
import resource
import time
from typing import Any, cast

from . import seccomp, wire
from .candidate import close_fds_except
from .proxy import Proxy
from .records import Recorder
from .suites import SUITES, Options, Suite, SuiteBroken


def _judge_one(suite: Suite | None, broken: tuple[str, str] | None, msg: dict[str, Any], sock: int,
               rec: Recorder) -> tuple[bool, bool]:
    """Judge one execution against the candidate on `sock`; every path ends in an end, suite or infra
    record. Returns whether the candidate stopped answering (then how it died may decide outcomes), and
    whether it answered at all (if not, the zygote lets it take its program off the pipe before it goes)."""
    proxy = None
    try:
        if broken is not None:
            rec.broken(*broken)
        else:
            assert suite is not None  # template_main sets one of the two
            proxy = Proxy(sock, time.monotonic() + float(msg["time"]), bool(msg.get("fail_fast")),
                          float(msg.get("test_time") or 0.0), suite.test_times)
            only = msg.get("only")
            suite.run(proxy, rec, Options(bool(msg.get("collect")), bool(msg.get("values")),
                                          frozenset(only) if only is not None else None))
            if msg.get("cost") and proxy.broken is None and not proxy.ahead:
                _ask_cost(proxy, rec, trace=msg["cost"] == "trace")
            rec.end()
    except SuiteBroken as e:
        rec.broken("suite", str(e))
    except BaseException as e:  # noqa: BLE001 — a judge bug is an infra error, never a verdict
        rec.broken("infra", f"judge failed: {type(e).__name__}: {e}")
    try:
        rec.flush()
    except OSError:
        pass
    return proxy is not None and proxy.broken is not None, proxy is not None and proxy.heard


def _ask_cost(proxy: Proxy, rec: Recorder, trace: bool) -> None:
    """The program's cost and, with `trace`, its trace (costing.py), recorded when the candidate gives
    well-formed ones. The trace's events are its own account of itself: the host reads them defensively and
    they decide no verdict."""
    try:
        reply = proxy.request(["cost"])
        if (len(reply) == 4 and reply[0] == "cost" and (reply[1] is None or type(reply[1]) is int)
                and type(reply[2]) is float and type(reply[3]) is str):
            rec.cost(reply[1], reply[2], reply[3])
        if trace:
            reply = proxy.request(["trace"])
            if len(reply) == 4 and reply[0] == "trace" and type(reply[1]) is list and type(reply[2]) is bool:
                rec.buf.append({"trace": reply[1], "truncated": reply[2]})
    except Exception:  # noqa: BLE001 — gone or late: no cost, which the host reports as unmeasured
        return


def template_main(kind: str, ctl: wire.Socket, payload_fd: int, records_fd: int) -> None:
    """The judge of one task: prepares its tests once, then judges one execution after another.

    Why not a fresh judge per execution: on a VM a fork costs more than the whole judging of a
    HumanEval task. What a persistent judge risks is bounded: it holds one task's tests, so the only
    verdicts its state can ever touch are that task's own, which its tests decide anyway; the candidate
    still cannot reach it except by returning plain values.

    Protocol on `ctl` (a unix socket to the zygote): receive {"time", "fail_fast", "collect", "values",
    "test_time", "only", "cost"} + the fd of a
    socket to the candidate; answer {"done", "gone"} when the execution's records are written ("gone": the
    candidate stopped answering). Never returns.
    """
    rec = Recorder(records_fd)
    suite: Suite | None = None
    broken: tuple[str, str] | None = None  # ("suite" | "infra", reason): every execution gets it
    try:
        close_fds_except({ctl.fileno(), payload_fd, records_fd})
        # What test code prints goes nowhere: not into the host's logs, where it could leak or be read.
        null = os.open("/dev/null", os.O_RDWR)
        for std in (0, 1, 2):
            os.dup2(null, std)
        os.close(null)
        raw = wire.read_frame(payload_fd, wire.TRUSTED_FRAME)
        os.close(payload_fd)
        if raw is None:
            raise OSError("judge payload missing")
        mem = 4 * 1024 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # SCHED_BATCH: a reply waking us does not preempt the candidate, which so answers a run of calls
        # sent ahead (plan.py) in one go instead of handing the CPU back after each (~3% of a check's CPU).
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        seccomp.install(os.getpid())
        suite = SUITES[kind](cast("dict[str, Any]", wire.loads(raw)))  # the host's payload: trusted
    except SuiteBroken as e:
        broken = ("suite", str(e))
    except BaseException as e:  # noqa: BLE001
        broken = ("infra", f"judge failed to prepare: {type(e).__name__}: {e}")
    while True:
        try:
            data, fd = wire.recv_fd_frame(ctl)
        except OSError:
            os._exit(0)
        if not data or fd is None:
            os._exit(0)
        gone, heard = _judge_one(suite, broken, json.loads(data), fd, rec)
        os.close(fd)
        ctl.sendall(wire.frame(json.dumps({"done": 1, "gone": gone, "heard": heard}).encode()))
