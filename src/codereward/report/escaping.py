"""Untrusted text (programs, tests, task ids from the user's files) made safe for the HTML reports."""

from __future__ import annotations

import html

# C0 controls (but tab, newline, carriage return) and DEL, shown as Python escapes rather than passed through.
_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F] if c not in (0x09, 0x0A, 0x0D)}


def text(value: str, limit: int | None = None) -> str:
    """Untrusted text, safe in HTML text and in quoted attributes: cut to `limit` characters, control
    characters and lone surrogates (which UTF-8 cannot encode) written as escapes, then html.escape'd."""
    if limit is not None and len(value) > limit:
        value = value[:limit] + f"… ({len(value) - limit:,} more characters)"
    value = value.translate(_CONTROLS).encode("utf-8", "backslashreplace").decode("utf-8")
    return html.escape(value, quote=True)
