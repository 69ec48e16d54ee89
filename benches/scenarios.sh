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
#   ROUNDS=7 OLD_BIN=/tmp/old/costsim benches/scenarios.sh   # two builds, one sitting
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

# Each run ROUNDS times (default 3), the runs of a round one after the
# other, so that a slow moment of the machine hits every run alike; the
# median CPU of each run is reported, with its ratio to the plain replay's.
# OLD_BIN=path/to/costsim also times another build, each of its runs right
# after the same run of this one, so the two are compared in one sitting.
ROUNDS="${ROUNDS:-3}"
labels=(
    "replay"
    "--scenario cache-off"
    "--scenario cache-5m"
    "--scenario cache-off --scenario cache-5m --scenario cache-1h"
    "--sweep all"
)
bins=("$BIN")
[ -n "${OLD_BIN:-}" ] && bins+=("$OLD_BIN")
declare -A cpus rss
for ((round = 0; round < ROUNDS; round++)); do
    for label in "${labels[@]}"; do
        args=()
        [ "$label" != "replay" ] && read -ra args <<< "$label"
        for bin in "${bins[@]}"; do
            log="$(mktemp)"
            /usr/bin/time -f '%U %S %M' "$bin" replay "$FILE" -q "${args[@]}" > /dev/null 2> "$log"
            read -r user sys kb < <(tail -1 "$log")
            rm -f "$log"
            cpus[$bin|$label]+="$(echo "$user + $sys" | bc) "
            # The largest peak of the rounds.
            [ "${rss[$bin|$label]:-0}" -lt "$kb" ] && rss[$bin|$label]=$kb
        done
    done
done
median() { tr ' ' '\n' <<< "$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for bin in "${bins[@]}"; do
    [ "${#bins[@]}" -gt 1 ] && echo "$bin:"
    base=$(median "${cpus[$bin|replay]}")
    for label in "${labels[@]}"; do
        cpu=$(median "${cpus[$bin|$label]}")
        printf '%-62s CPU %6.2f s  %5.2fx  peak RSS %4d MB   (runs: %s)\n' "$label" "$cpu" \
            "$(echo "$cpu / $base" | bc -l)" "$((rss[$bin|$label] / 1024))" "${cpus[$bin|$label]% }"
    done
done
