#!/usr/bin/env bash
# End-to-end benchmarks of the release binary on generated data. Prints wall
# time, throughput and peak RSS next to `cat` on the same files (read speed) and,
# for Claude Code trees, ccusage 20.0.24; checks costsim's totals against the
# generator's own record (benches/check_generated.py) and compares them with ccusage's.
#
#   benches/run.sh                 # the default sizes below (1M and 10M calls, 1 GB and 5 GB trees)
#   SIZES_MB="200" CALLS="1000000" benches/run.sh     # a quick run
#   SIZES_MB="1000" CALLS=0 benches/run.sh            # Claude Code trees only
#
# Criterion benchmarks of the per-call hot paths: cargo bench --bench hot_paths
#
# Needs python3, /usr/bin/time and (for the ccusage comparison) npm.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/costsim-target}"
DATA="${BENCH_DATA:-$HOME/.cache/costsim-bench}"
SIZES_MB="${SIZES_MB:-1000 5000}"
CALLS="${CALLS:-1000000 10000000}"
mkdir -p "$DATA"
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/costsim"

measure() { # label, command...
    local label="$1"; shift
    local log; log="$(mktemp)"
    /usr/bin/time -v "$@" > /dev/null 2> "$log" || { cat "$log"; return 1; }
    local wall rss cpu
    wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
    # CPU seconds (user + sys): steadier than wall time on a shared machine.
    cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$log")
    printf "%-44s %10s  CPU %7s s  peak RSS %7d MB\n" "$label" "$wall" "$cpu" "$((rss / 1024))"
    rm -f "$log"
}

for calls in $CALLS; do
[ "$calls" = 0 ] && continue
echo "== canonical JSONL: $calls calls (costsim synth)"
WORKLOAD="$DATA/bench-$calls.toml"
cat > "$WORKLOAD" <<TOML
name = "bench"
model = "claude-sonnet-4-5"
days = 30
requests_per_day = $((calls / 300))
system_tokens = 4000
user_tokens = 300
output_tokens = 600
steps = 10
growth_per_step = 1500
TOML
TRACES="$DATA/synth-$calls.jsonl"
[ -f "$TRACES" ] || "$BIN" synth "$WORKLOAD" --out "$TRACES"
SIZE=$(du -m "$TRACES" | cut -f1)
echo "   $TRACES: $SIZE MB, $(wc -l < "$TRACES") calls"
measure "cat (read speed)" cat "$TRACES"
measure "replay" "$BIN" replay "$TRACES" -q
measure "replay --by day --by model" "$BIN" replay "$TRACES" -q --by day --by model
measure "replay --by session -o csv" "$BIN" replay "$TRACES" -q --by session -o csv
measure "replay, 1 scenario" "$BIN" replay "$TRACES" -q --scenario cache-1h
measure "replay, 8 scenarios" "$BIN" replay "$TRACES" -q --scenario cache-off --scenario cache-5m \
    --scenario cache-1h --scenario cache-5m-shared --scenario cache-1h-shared --scenario batch-50 \
    --max-steps 5 --route 'claude-*=claude-haiku-4-5:0.5,claude-sonnet-4-5:0.5'
done

CCUSAGE_DIR="$DATA/ccusage"
if [ ! -x "$CCUSAGE_DIR/node_modules/.bin/ccusage" ]; then
    mkdir -p "$CCUSAGE_DIR"
    (cd "$CCUSAGE_DIR" && npm install --silent ccusage@20.0.24 @ccusage/ccusage-linux-x64@20.0.24 > /dev/null)
fi
for mb in $SIZES_MB; do
    TREE="$DATA/claude-$mb"
    # A tree without expected.json comes from an older generator: write it again.
    [ -f "$TREE/expected.json" ] || { rm -rf "$TREE"; python3 benches/gen_claude_tree.py "$TREE" "$mb" > /dev/null; }
    echo "== Claude Code tree: $TREE ($(du -sm "$TREE" | cut -f1) MB, $(find "$TREE" -name '*.jsonl' | wc -l) files)"
    measure "cat (read speed)" sh -c "find '$TREE' -name '*.jsonl' -exec cat {} + "
    measure "costsim replay --by day --by model" "$BIN" replay "$TREE" -q --by day --by model
    measure "ccusage 20.0.24 daily --offline --json" env CLAUDE_CONFIG_DIR="$TREE" \
        "$CCUSAGE_DIR/node_modules/.bin/ccusage" daily --offline --json
    "$BIN" replay "$TREE" -q --by day --by model -o json > "$DATA/costsim-$mb.json"
    CLAUDE_CONFIG_DIR="$TREE" "$CCUSAGE_DIR/node_modules/.bin/ccusage" daily --offline --json > "$DATA/ccusage-$mb.json"
    # costsim against what the generator wrote (fails the run when they differ) ...
    python3 benches/check_generated.py "$TREE/expected.json" "$DATA/costsim-$mb.json"
    # ... and against ccusage, for information: ccusage folds copies by its own rules.
    python3 benches/compare_ccusage.py "$DATA/costsim-$mb.json" "$DATA/ccusage-$mb.json" \
        || echo "   (ccusage's totals differ from costsim's: see above)"
done
