#!/usr/bin/env bash
# The whole tiercare test suite, from a fresh machine: sets up the Python
# venv with the independent FHIR R4 validator and SimPy, Chromium for the
# browser tests and a throwaway PostgreSQL cluster, then runs every Rust
# test (unit, integration with real servers, property tests, a headless
# browser) twice, once on each store (SQLite, then PostgreSQL), and the doc
# tests.
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

# The fuzz of the API from its OpenAPI description (crates/cli/tests/it/fuzz.rs)
# runs schemathesis, in a venv of its own: its dependencies are not bound
# by the validator's pydantic 1. Schemathesis 3.39 needs a Hypothesis
# before 6.130.
if ! .venv-fuzz/bin/python -c 'import schemathesis' 2>/dev/null; then
  python3 -m venv .venv-fuzz
  .venv-fuzz/bin/pip install --quiet --disable-pip-version-check 'schemathesis==3.39.16' 'hypothesis<6.130'
fi
export TIERCARE_FUZZ_PYTHON="$PWD/.venv-fuzz/bin/python"

# The browser tests drive Debian's headless Chromium through chromedriver
# (WebDriver), and their screenshots of the Chinese pages need a CJK font.
# Without them the tests fail rather than skip, so install them here when
# they are missing.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
   || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then
  if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
  "${as_root[@]}" apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver fonts-noto-cjk
fi

if ! command -v cargo-nextest >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

# The shape ARCHITECTURE.md draws: crate dependency rules, no HTTP or FHIR
# JSON in the services, no import cycle between folders, short files.
python3 scripts/check-structure.py

# A PostgreSQL cluster of the suite's own, removed on the way out.
pg_dir=$(mktemp -d -t tiercare-pg-XXXXXX)
trap 'scripts/postgres.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
pg_url=$(scripts/postgres.sh start "$pg_dir")

# Both stores run to the end, so one report shows every failure of either.
status=0
echo "== the suite on SQLite"
cargo nextest run --workspace --no-fail-fast || status=1
echo "== the suite on PostgreSQL ($pg_url)"
TIERCARE_TEST_POSTGRES="$pg_url" cargo nextest run --workspace --no-fail-fast || status=1
cargo test --doc --workspace || status=1
exit $status
