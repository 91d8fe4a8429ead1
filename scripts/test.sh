#!/usr/bin/env bash
# Every test tier: lint, the type checker, the full pytest suite as the current user (slow tiers included:
# they guard promises the README makes), then the sandbox and red-team tiers again as an unprivileged user.
set -euo pipefail
cd "$(dirname "$0")/.."
CODEREWARD_EXTRAS=test,ray,train,suites,reward-paths CODEREWARD_NODEPS='verl==0.9.1 openrlhf==0.11.2' \
  CODEREWARD_APT='chromium jq curl' CODEREWARD_LANGUAGES=all scripts/setup.sh
.venv/bin/ruff check src tests bench
.venv/bin/mypy  # [tool.mypy] in pyproject.toml says what and how strictly
.venv/bin/pytest -q -p no:cacheprovider "$@"
if [ "$(id -u)" -eq 0 ]; then
  scripts/test-unprivileged.sh
fi
