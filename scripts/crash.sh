#!/usr/bin/env bash
# Kill -9 durability on both stores: a tiercare server is killed with
# SIGKILL under a mixed write load (creates, updates, referrals from eight
# clients), reopened, and every write it acknowledged is checked to be
# there at its version with its content. The suite runs the same test
# (crates/cli/tests/it/crash.rs); this runs it alone, on SQLite and then
# on a throwaway PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
pg_dir=$(mktemp -d -t tiercare-pg-XXXXXX)
trap 'scripts/postgres.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
pg_url=$(scripts/postgres.sh start "$pg_dir")
echo "== SQLite"
cargo nextest run -p tiercare --no-fail-fast crash
echo "== PostgreSQL"
TIERCARE_TEST_POSTGRES="$pg_url" cargo nextest run -p tiercare --no-fail-fast crash
