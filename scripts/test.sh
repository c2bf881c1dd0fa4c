#!/usr/bin/env bash
# The whole tiercare test suite, from a fresh machine: sets up the Python
# venv with the independent FHIR R4 validator and SimPy, then runs every Rust test
# (unit, integration with real servers, property tests) and the doc tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# The independent checks, in one venv: the FHIR validator (fhir.resources
# 6.1.0 is the last release with FHIR R4 (4.0.1) models; it needs
# pydantic 1) and SimPy for the reference county model
# (bench/anchors/refcounty_simpy.py).
if ! .venv/bin/python -c 'import fhir.resources, simpy' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'fhir.resources==6.1.0' 'pydantic<2' 'simpy>=4,<5'
fi
export TIERCARE_PYTHON="$PWD/.venv/bin/python"

if ! command -v cargo-nextest >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

cargo nextest run --workspace --no-fail-fast
cargo test --doc --workspace
