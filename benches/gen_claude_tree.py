#!/usr/bin/env python3
"""Generates a Claude Code projects tree for benchmarks.

    python3 benches/gen_claude_tree.py OUT_DIR SIZE_MB [SEED]

Writes OUT_DIR/projects/<project>/<session>.jsonl (and some sub-agent files under
<session>/subagents/) in the shape Claude Code writes: user lines with content,
assistant responses written as one line per content block (the same message id,
request id and usage on each), summary lines, tool results of realistic size. Sessions
are agent runs whose cached context grows every step. Deterministic for a seed.
"""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001",
          "claude-sonnet-4-20250514"]
WEIGHTS = [60, 10, 25, 5]
FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " * 40


def main():
    out, size_mb = sys.argv[1], float(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    target = int(size_mb * 1024 * 1024)
    written = 0
    start = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
    n_session = 0
    while written < target:
        project = f"-home-dev-project-{n_session % 37:02d}"
        pdir = os.path.join(out, "projects", project)
        os.makedirs(pdir, exist_ok=True)
        sid = f"{n_session:08x}-5e55-4000-8000-{rng.getrandbits(48):012x}"
        ts = start + timedelta(minutes=17 * n_session + rng.randint(0, 10))
        path = os.path.join(pdir, sid + ".jsonl")
        if rng.random() < 0.15 and n_session > 0:
            parent = f"{n_session - 1:08x}"
            path = os.path.join(pdir, sid.split("-")[0] + "-parent", "subagents", f"agent-{sid[:8]}.jsonl")
            os.makedirs(os.path.dirname(path), exist_ok=True)
        model = rng.choices(MODELS, WEIGHTS)[0]
        lines = []
        context = rng.randint(8000, 20000)
        cached = 0
        lines.append({"type": "summary", "summary": "Refactor the parser", "leafUuid": f"u-{sid}"})
        for step in range(rng.randint(5, 60)):
            ts += timedelta(seconds=rng.randint(3, 90))
            text = FILLER[: rng.randint(200, 3000)]
            lines.append({"parentUuid": None, "isSidechain": False, "userType": "external",
                          "cwd": f"/home/dev/project-{n_session % 37:02d}", "sessionId": sid,
                          "version": "2.0.14", "gitBranch": "main", "type": "user",
                          "message": {"role": "user", "content": [{"type": "tool_result", "content": text}]},
                          "uuid": f"{sid}-u{step}", "timestamp": ts.isoformat().replace("+00:00", "Z")})
            output = rng.randint(50, 2500)
            write = context - cached
            usage = {"input_tokens": rng.randint(3, 12), "cache_creation_input_tokens": write,
                     "cache_read_input_tokens": cached,
                     "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
                     "output_tokens": output, "service_tier": "standard"}
            mid = f"msg_{rng.getrandbits(80):020x}"
            rid = f"req_{rng.getrandbits(80):020x}"
            ts += timedelta(seconds=rng.randint(2, 40))
            for block in range(rng.randint(1, 3)):
                content = [{"type": "text", "text": FILLER[: rng.randint(100, 1500)]}] if block == 0 else \
                    [{"type": "tool_use", "id": f"toolu_{block}", "name": "Edit", "input": {"file": "src/x.rs"}}]
                lines.append({"parentUuid": f"{sid}-u{step}", "isSidechain": "subagents" in path,
                              "userType": "external", "cwd": f"/home/dev/project-{n_session % 37:02d}",
                              "sessionId": sid, "version": "2.0.14", "gitBranch": "main",
                              "message": {"id": mid, "type": "message", "role": "assistant", "model": model,
                                          "content": content, "stop_reason": None, "stop_sequence": None,
                                          "usage": usage},
                              "requestId": rid, "type": "assistant", "uuid": f"{sid}-a{step}-{block}",
                              "timestamp": (ts + timedelta(milliseconds=block)).isoformat().replace("+00:00", "Z")})
            cached = context
            context += output + len(text) // 4 + rng.randint(0, 3000)
        data = "".join(json.dumps(l, separators=(",", ":")) + "\n" for l in lines)
        with open(path, "a") as f:
            f.write(data)
        written += len(data)
        n_session += 1
    print(f"{out}: {n_session} sessions, {written / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
