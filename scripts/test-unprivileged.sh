#!/usr/bin/env bash
# Run the sandbox and red-team tests as an unprivileged user (the other half of "works as root and as a
# normal user"). Needs root to create the user; builds that user its own venv from the system Python,
# because root's interpreter may live where the user cannot read it (e.g. /root/.pyenv).
set -euo pipefail
cd "$(dirname "$0")/.."
user=codereward-test
home=/home/$user
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
src=$home/src
rm -rf "$src" && mkdir -p "$src"
git ls-files -z 2>/dev/null | tar --null -T - -cf - 2>/dev/null | tar -xf - -C "$src" \
  || cp -r src tests pyproject.toml README.md "$src"/
chown -R "$user:$user" "$src"
as_user=(runuser -u "$user" --)
"${as_user[@]}" test -x "$home/venv/bin/python" || "${as_user[@]}" /usr/bin/python3 -m venv "$home/venv"
"${as_user[@]}" "$home/venv/bin/python" -m pip install -q --disable-pip-version-check -e "$src[test]"
cd "$src"
"${as_user[@]}" env HOME="$home" "$home/venv/bin/python" -m pytest -q -p no:cacheprovider \
  tests/test_sandbox.py tests/test_redteam.py tests/test_audit.py tests/test_judging.py tests/test_native.py
