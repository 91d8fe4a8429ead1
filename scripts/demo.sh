#!/usr/bin/env bash
# The main job: set up, then evaluate the 164 HumanEval canonical solutions plus bundled wrong and
# hacking samples in the sandbox, and show the report; then the bundled competitive-programming problems
# (examples/native: C, C++, Java, JavaScript and Python solutions, a checker, time and memory limits).
set -euo pipefail
cd "$(dirname "$0")/.."
CODEREWARD_LANGUAGES=${CODEREWARD_LANGUAGES:-c,cpp,java,javascript} scripts/setup.sh
.venv/bin/codereward demo "$@"
out=$(mktemp -d)/native_results.jsonl
echo
echo "Compiled languages: examples/native (results in $out)"
json=()
for arg in "$@"; do [ "$arg" = --json ] && json=(--json); done
exec .venv/bin/codereward eval --tasks examples/native/tasks.jsonl --samples examples/native/samples.jsonl \
  --out "$out" --k 1 "${json[@]}"
