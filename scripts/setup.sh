#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian/Ubuntu machine: system packages the sandbox needs (bubblewrap) and
# the project's virtualenv in .venv. Safe to run again; it only does what is missing.
#   CODEREWARD_EXTRAS   pip extras to install (default "test"; scripts/test.sh asks for test,ray,train,suites,reward-paths —
#                       train is TRL + torch, ~4 GB: PyPI has no CPU-only torch wheel for Linux)
#   CODEREWARD_NODEPS   packages installed after the extras without their dependencies (scripts/test.sh: verl
#                       and openrlhf, whose reward paths the tests drive on CPU; their own dependency sets pin
#                       CUDA builds)
#   CODEREWARD_APT      extra Debian packages, each checked by the command of its name (scripts/test.sh asks for
#                       chromium, to render the HTML report, and jq and curl, which README commands use)
#   CODEREWARD_LANGUAGES  toolchains for native languages (comma-separated: c, cpp, java, go, rust, javascript, pypy,
#                       or all; default none: a Python-only user pays nothing): gcc, g++, default-jdk-headless
#                       (OpenJDK 17), golang-go, rustc (+ gcc), nodejs, pypy3 — each installed only when its command is missing;
#                       and duckdb, SQL tasks' optional engine: the pip extra codereward[duckdb] (all includes it)
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
for pkg in ${CODEREWARD_APT:-}; do
  command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
languages=${CODEREWARD_LANGUAGES:-}
# Toolchains are looked for where the sandboxes look (sandbox/compile.py TOOL_PATH): a rustup or sdkman
# install in the home directory is invisible to them, so it does not count as installed.
toolchains=/usr/local/bin:/usr/bin:/bin
[ "$languages" = all ] && languages=c,cpp,java,go,rust,javascript,pypy,duckdb
python_extras=  # languages that come from PyPI, not apt: added to the pip extras below
for lang in ${languages//,/ }; do
  case "$lang" in  # "command package": the toolchain's command, and the Debian package that brings it
    c) need="gcc gcc" ;;
    cpp|cpp17|cpp20|c++) need="g++ g++" ;;
    java) need="javac default-jdk-headless" ;;
    go|golang) need="go golang-go" ;;
    rust|rs) need="rustc rustc"  # rustc links with gcc, so gcc comes with it
             PATH=$toolchains command -v gcc >/dev/null 2>&1 || missing+=(gcc) ;;
    pypy|pypy3) need="pypy3 pypy3" ;;
    javascript|js|node|nodejs) need="node nodejs" ;;
    duckdb) python_extras=,duckdb; continue ;;
    *) echo "setup: unknown language '$lang' in CODEREWARD_LANGUAGES (c, cpp, java, go, rust, javascript, pypy, duckdb, all)" >&2
       exit 2 ;;
  esac
  PATH=$toolchains command -v "${need% *}" >/dev/null 2>&1 || missing+=("${need#* }")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: codereward needs Python >= 3.11 ($python is $("$python" -V 2>&1))" >&2
  exit 1
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
# The stamp holds pyproject.toml's hash and the extras installed from it. A run that asks for extras already
# there has nothing to do: scripts/demo.sh (extras "test") after scripts/test.sh ("test,ray,train") must not
# reinstall, nor make the next test.sh reinstall.
stamp=.venv/.codereward-installed
extras=${CODEREWARD_EXTRAS:-test}$python_extras
nodeps=${CODEREWARD_NODEPS:-}
project=$(sha256sum pyproject.toml | cut -d' ' -f1)
installed_project= installed_extras=
if [ -f "$stamp" ]; then read -r installed_project installed_extras < "$stamp" || true; fi
needed=no
[ "$installed_project" = "$project" ] || needed=yes
for extra in ${extras//,/ }; do
  case ",$installed_extras," in *",$extra,"*) ;; *) needed=yes ;; esac
done
if [ "$needed" = yes ] || ! .venv/bin/python -c 'import codereward' 2>/dev/null; then
  echo "setup: installing codereward and its dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extras]"
  echo "$project $extras" > "$stamp"
fi
for requirement in $nodeps; do
  name=${requirement%%[=<>!]*}
  if ! .venv/bin/python -m pip show -q "$name" >/dev/null 2>&1; then
    echo "setup: installing $requirement (without its dependencies)" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "$requirement"
  fi
done
# Byte-compile our own modules. pip does it for a wheel, not for an editable install; where
# PYTHONDONTWRITEBYTECODE is set (as on the machines this project is developed on) nothing else
# would, and every CLI start would compile ~40 modules again (~80 ms), every sandbox start its
# sandboxed code (~13 ms: the zygote runs with -B and reads what is here). Only stale files are rewritten;
# git ignores them.
.venv/bin/python -m compileall -q src/codereward
