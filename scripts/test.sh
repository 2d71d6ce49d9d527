#!/usr/bin/env bash
# The one test command (README, .ci/run): make a venv of its own (.venv-test, so the README's .venv stays a
# plain install), install openscope editable with its test extras, run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-test
python3 -m venv "$VENV"
"$VENV"/bin/python -m pip install --quiet --upgrade pip
"$VENV"/bin/python -m pip install --quiet -e ".[test]"
set +e
"$VENV"/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
