"""Host-side judging: building what the sandboxed judge receives, and deciding verdicts from its records."""
