"""Reports: how results are shown to people (rich tables for the CLI)."""

from __future__ import annotations

from .table import demo_report, demo_table, first_failure, status_line, summary_table, tests_table

__all__ = ["demo_report", "demo_table", "first_failure", "status_line", "summary_table", "tests_table"]
