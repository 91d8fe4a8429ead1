"""Reports: how results are shown to people (rich tables for the CLI)."""

from __future__ import annotations

from .table import (
    demo_json,
    demo_report,
    demo_table,
    first_failure,
    progress_bar,
    status_line,
    summary_table,
    tests_table,
)

__all__ = ["demo_json", "demo_report", "demo_table", "first_failure", "progress_bar", "status_line",
           "summary_table", "tests_table"]
