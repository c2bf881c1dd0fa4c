#!/usr/bin/env bash
# The reference county model (REFMODEL.md) run twice at the same size and
# seed: by the SimPy baseline (bench/anchors/refcounty_simpy.py) and by
# tiercare's simulator on scenarios/refcounty.toml. Compares the
# indicators within sampling noise (bench/anchors/compare_refcounty.py,
# which exits non-zero when they differ) and prints the speed ratio.
#
#   bench/refcounty.sh [RESIDENTS] [SEED]     (defaults: 86700 1)
#
# Uses .venv (created with SimPy if missing) and a release build of the
# tiercare command (or the binary named by TIERCARE_BIN, not rebuilt).
set -euo pipefail
cd "$(dirname "$0")/.."

residents="${1:-86700}"
seed="${2:-1}"

if ! .venv/bin/python -c 'import simpy' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'simpy>=4,<5'
fi
python=.venv/bin/python

bin="${TIERCARE_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet -p tiercare
  bin=target/release/tiercare
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "SimPy: $residents residents, seed $seed" >&2
"$python" bench/anchors/refcounty_simpy.py --residents "$residents" --seed "$seed" >"$out/simpy.json"
echo "tiercare: $residents residents, seed $seed" >&2
"$bin" simulate scenarios/refcounty.toml \
  --residents "$residents" --seed "$seed" --json >"$out/tiercare.json"

for side in simpy tiercare; do
  "$python" - "$out/$side.json" "$side" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:>8}: {r['visits_total']} visits in {r['wall_seconds']} s = {r['visits_per_second']:.0f} visits/s")
EOF
done

# Last line: the speed ratio; exit status: whether the indicators agree.
"$python" bench/anchors/compare_refcounty.py "$out/simpy.json" "$out/tiercare.json"
