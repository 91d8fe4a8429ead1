"""The `codereward` command line: check one candidate, evaluate or audit a samples file, serve, or run the demo.

Each command parses its options, calls library functions (load_dataset, read_samples, Engine, summarize)
and hands the results to report/ for rendering; _options.py holds the app and the options they share,
_running.py what they share when they run. Exit statuses: 0 the run
completed (candidates may have failed), 1 a `check` ended in status error or the sandbox cannot start, 2 a
usage or input error, 130 interrupted. Candidate output never reaches our stdout or stderr: only Result
fields are printed.
"""

from __future__ import annotations

from . import audit, measuring, run, selecting, serve, suite, trace  # noqa: F401 — each module registers its commands on `app`
from ._options import app


def main() -> None:
    """Console-script entry point (`codereward`)."""
    app(prog_name="codereward")


__all__ = ["app", "main"]
