#!/usr/bin/env bash
# The whole tiercare test suite, from a fresh machine: sets up the Python
# venv with the independent FHIR R4 validator, then runs every Rust test
# (unit, integration with real servers, property tests) and the doc tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# The independent FHIR validator: fhir.resources 6.1.0 is the last release
# with FHIR R4 (4.0.1) models; it needs pydantic 1.
if ! .venv/bin/python -c 'import fhir.resources' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'fhir.resources==6.1.0' 'pydantic<2'
fi
export TIERCARE_PYTHON="$PWD/.venv/bin/python"

if ! command -v cargo-nextest >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

cargo nextest run --workspace --no-fail-fast
cargo test --doc --workspace
