#!/usr/bin/env bash
# The main job: set up, then evaluate the 164 HumanEval canonical solutions plus bundled wrong and
# hacking samples in the sandbox, and show the report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/codereward demo "$@"
