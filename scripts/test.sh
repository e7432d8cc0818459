#!/usr/bin/env bash
# Installs lrkit with everything its tests need, then runs the linter, builds the docs
# and runs the tests.
#
# Uses the active virtual environment, or $PYTHON if set; otherwise it makes (or
# reuses) .venv in the repository. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${PYTHON:-}" ]; then
  py="$PYTHON"
elif [ -n "${VIRTUAL_ENV:-}" ]; then
  py="$VIRTUAL_ENV/bin/python"
else
  [ -x .venv/bin/python ] || python3 -m venv .venv
  py=.venv/bin/python
fi

pip_install() {
  local log
  log=$(mktemp)
  if ! "$py" -m pip install --quiet --disable-pip-version-check "$@" >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" >&2
    return 1
  fi
}
pip_install -e ".[test,docs]"
pip_install --no-deps -r requirements/test-no-deps.txt
"$py" -m ruff check src tests
"$py" -m ruff format --check src tests
"$py" -m mypy
# the documentation site, warnings as errors (docs/index.md: "Building the docs")
"$py" -m sphinx -W --keep-going -q -b html docs "$(mktemp -d)"
"$py" -m pytest "$@"
