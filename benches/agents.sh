#!/usr/bin/env bash
# Times `costsim replay --agents` on a home folder holding every agent's
# fixture logs, against each agent alone, and on an empty home.
# Usage: benches/agents.sh   (after `cargo build --release`)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${CARGO_TARGET_DIR:-target}/release/costsim"
home=$(mktemp -d)
empty=$(mktemp -d)
trap 'rm -rf "$home" "$empty"' EXIT
mkdir -p "$home/.claude" "$home/.codex/sessions/2026/02/11" "$home/.gemini" "$home/.qwen" \
    "$home/.local/share/opencode" "$home/.copilot"
cp -r fixtures/real/claude-code/tree/projects "$home/.claude/"
cp fixtures/real/codex/rtchess-exported-session.jsonl "$home/.codex/sessions/2026/02/11/rollout-x.jsonl"
cp -r fixtures/agents/gemini-cli/tree/tmp "$home/.gemini/"
cp -r fixtures/agents/qwen-code/tree/projects "$home/.qwen/"
cp -r fixtures/agents/opencode/tree/storage "$home/.local/share/opencode/"
cp -r fixtures/agents/copilot-cli/tree/session-state "$home/.copilot/"
for agents in all claude codex gemini qwen opencode copilot; do
    printf '%-9s ' "$agents"
    HOME="$home" /usr/bin/time -f '%U+%S s CPU, %e s wall, %M KB peak' \
        "$bin" replay --agents "$agents" 2>&1 >/dev/null | tail -1
done
printf '%-9s ' "(empty)"
HOME="$empty" /usr/bin/time -f '%U+%S s CPU, %e s wall (exit 2 expected)' \
    "$bin" replay --agents 2>&1 >/dev/null | tail -1 || true
