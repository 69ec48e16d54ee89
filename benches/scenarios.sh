#!/usr/bin/env bash
# Issue #15: what-if runs against a plain replay of the same file, in CPU
# seconds (user + sys) and peak RSS, all measured in one run so that the
# ratios hold on a noisy shared machine.
#
# Data: `costsim synth` of a 20-step agent workload (sessions with prompts
# growing 1,500 tokens a step), with `prompt.segments` removed so the cache
# simulator infers prefixes, as it must for usage-only logs: 1,000,200
# calls, 180 MB.
#
#   benches/scenarios.sh            # after `cargo build --release`
#   CALLS=200000 benches/scenarios.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/costsim-target}"
BIN="$CARGO_TARGET_DIR/release/costsim"
DATA="${BENCH_DATA:-$HOME/.cache/costsim-bench}"
CALLS="${CALLS:-1000200}"
mkdir -p "$DATA"
FILE="$DATA/scenarios-$CALLS.jsonl"
if [ ! -f "$FILE" ]; then
    cat > "$DATA/scenarios.toml" <<TOML
name = "bench15"
model = "claude-sonnet-4-5"
days = 30
requests_per_day = $((CALLS / 600))
system_tokens = 4000
user_tokens = 300
output_tokens = 600
steps = 20
growth_per_step = 1500
TOML
    "$BIN" synth "$DATA/scenarios.toml" | python3 -c '
import json, sys
for line in sys.stdin:
    call = json.loads(line)
    call.pop("prompt", None)
    sys.stdout.write(json.dumps(call, separators=(",", ":")) + "\n")
' > "$FILE"
fi
echo "$FILE: $(wc -l < "$FILE") calls, $(du -m "$FILE" | cut -f1) MB"

base=""
run() { # label, args...
    local label="$1"; shift
    local log; log="$(mktemp)"
    /usr/bin/time -f '%U %S %M' "$BIN" replay "$FILE" -q "$@" > /dev/null 2> "$log"
    read -r user sys rss < <(tail -1 "$log")
    rm -f "$log"
    local cpu; cpu=$(echo "$user + $sys" | bc)
    [ -z "$base" ] && base=$cpu
    printf '%-62s CPU %6.2f s  %5.2fx  peak RSS %4d MB\n' "$label" "$cpu" \
        "$(echo "$cpu / $base" | bc -l)" "$((rss / 1024))"
}
run "replay"
run "--scenario cache-off" --scenario cache-off
run "--scenario cache-5m" --scenario cache-5m
run "--scenario cache-off --scenario cache-5m --scenario cache-1h" \
    --scenario cache-off --scenario cache-5m --scenario cache-1h
run "--sweep all" --sweep all
