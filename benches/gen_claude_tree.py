#!/usr/bin/env python3
"""Generates a Claude Code projects tree for benchmarks, with its own record of
what it wrote.

    python3 benches/gen_claude_tree.py OUT_DIR SIZE_MB [SEED]

Writes OUT_DIR/projects/<project>/<session>.jsonl, sub-agent files under
<session>/subagents/agent-*.jsonl, and OUT_DIR/expected.json. The lines follow
what real Claude Code files hold (see /work/shared/real-logs/claude-code and
benches/README.md):

- One API response is written as several lines, one per content block, with the
  same message.id (and requestId). Input and cache counts repeat on every copy.
  Newer writers ("2.1.x" style) stream: the earlier copies carry a small output
  count and stop_reason null, the last copy the final count (a different key
  order, server_tool_use, iterations, inference_geo ""), and mostly a
  stop_reason; about a third of multi-copy responses never get their final
  count (every copy the same small number), as in the real 2.1.39 files. Older
  writers ("2.0.x" style) repeat the final usage and stop_reason on every copy,
  sometimes without a cache_creation object (all 5-minute writes then).
- A share of newer sessions write no requestId at all.
- Resumed sessions: a new session file whose head replays the first turns of an
  earlier session of the same project (every line, every copy, the same uuids,
  message ids, request ids and timestamps; the new sessionId). A few files also
  replay their own head a second time.
- Sub-agents (agent-a*.jsonl, isSidechain true) and compaction agents
  (agent-acompact-*.jsonl); the parent file carries agent_progress lines that
  embed the sub-agent's responses (usage nested under data, not a call) and a
  tool result whose toolUseResult carries a usage object (not a call either).
  Older-style sessions write their sidechain inline in the session file.
- `<synthetic>` API-error lines, summary, file-history-snapshot, progress,
  system and queue-operation lines.
- Some files end in a line cut short (no newline): a crash while writing the
  final copy of a response.
- 5-minute, 1-hour and mixed cache writes; some prompts above 200,000 tokens on
  models with a long-context tier (claude-sonnet-4-5 before 2026-04-30,
  claude-sonnet-4, claude-opus-4-6, claude-sonnet-4-6); usage.server_tool_use,
  usage.speed ("fast" now and then on claude-opus-4-6), usage.inference_geo,
  service_tier.

expected.json is the generator's own count of what it wrote, per unique
response: the copy with the largest output_tokens (ties: the earliest file in
the order a sorted directory walk visits it, then the earliest line), keyed by
(message.id, requestId), or message.id when the copy has no requestId. A copy in
a line that was cut short does not count. Per UTC day (of the kept copy's
timestamp) x model (as written): calls and tokens; and totals. Compare with
`costsim replay OUT_DIR -q --by day --by model -o json` using
benches/check_generated.py. Deterministic for a seed.
"""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
START = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)
# Sessions start spread over SPAN whatever the size (so every size sees the same
# models, writer styles and price periods); a session writes about 330 KB.
SPAN = timedelta(days=90)
SESSION_BYTES = 330_000


def day(y, m, d):
    return datetime(y, m, d, tzinfo=UTC)


FOREVER = day(2100, 1, 1)
# (name as Claude Code writes it, first day, last day, weight, prompts above 200K
# possible until). The windows keep every call inside a priced period of the catalog.
MODELS = [
    ("claude-sonnet-4-5-20250929", day(2025, 9, 29), day(2026, 11, 30), 40, day(2026, 4, 30)),
    ("claude-haiku-4-5-20251001", day(2025, 10, 15), FOREVER, 10, None),
    ("claude-opus-4-1-20250805", day(2025, 8, 5), day(2026, 8, 5), 4, None),
    ("claude-sonnet-4-20250514", day(2025, 5, 22), day(2026, 6, 15), 4, day(2026, 6, 15)),
    ("claude-opus-4-5-20251101", day(2025, 11, 24), FOREVER, 12, None),
    ("claude-opus-4-6", day(2026, 2, 5), FOREVER, 35, FOREVER),
    ("claude-sonnet-4-6", day(2026, 2, 17), FOREVER, 20, FOREVER),
]
SUBAGENT_MODELS = ["claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929"]
FILLER = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
          "incididunt ut labore et dolore magna aliqua → ") * 60
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
STOP_REASONS = ["tool_use", "tool_use", "tool_use", "end_turn"]
TOOLS = ["Read", "Edit", "Bash", "Grep", "Glob", "Write"]


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class FileOut:
    """One .jsonl file being written: its lines, the kind of each line
    (c = a copy of a response, s = <synthetic>, o = no usage), and the
    responses that first appear in it."""

    def __init__(self, rel):
        self.rel = rel
        self.lines = []
        self.kinds = []
        self.responses = []  # [fields, copies: [(line index, output)], ts by line]
        self.truncated = False
        self.last_uuid = None

    def add(self, obj, kind="o", root=False):
        """Appends a line; a line with a uuid hangs below the previous one."""
        if "uuid" in obj:
            if "parentUuid" in obj and not root:
                obj["parentUuid"] = self.last_uuid
            self.last_uuid = obj["uuid"]
        self.lines.append(dumps(obj))
        self.kinds.append(kind)
        return len(self.lines) - 1


class Generator:
    def __init__(self, out, rng, target):
        self.out = out
        self.stride = SPAN / max(1, target // SESSION_BYTES)
        self.rng = rng
        self.written = 0
        self.n_session = 0
        self.last_session = {}  # project -> replayable record of its last session file
        # expected
        self.groups = {}  # (day, model) -> [calls, input, read, w5m, w1h, output]
        self.t = dict(files=0, session_files=0, subagent_files=0, compaction_files=0,
                      resumed_sessions=0, own_head_replays=0, lines=0, copies=0,
                      responses=0, synthetic_lines=0, truncated_lines=0,
                      responses_without_request_id=0, responses_without_final_count=0,
                      responses_above_200k=0, fast_responses=0, web_search_requests=0,
                      web_fetch_requests=0, agent_progress_lines=0)

    # ---- ids -------------------------------------------------------------
    def b62(self, n):
        r = self.rng.getrandbits(6 * n)
        return "".join(B62[(r >> (6 * i)) % 62] for i in range(n))

    def uuid(self):
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"

    # ---- one session -------------------------------------------------------
    def session(self):
        rng = self.rng
        n = self.n_session
        self.n_session += 1
        project = f"-home-dev-project-{n % 37:02d}"
        cwd = f"/home/dev/project-{n % 37:02d}"
        now = START + self.stride * n + timedelta(seconds=rng.uniform(0, 600))
        sid = self.uuid()
        prev = self.last_session.get(project)
        resume = prev is not None and len(prev["bounds"]) >= 2 and rng.random() < 0.10
        if resume and prev["style"]["long"]:
            m = next(m for m in MODELS if m[0] == prev["style"]["model"])
            resume = now < m[4]
        if resume:
            s = dict(prev["style"])
        else:
            newer = rng.random() < (0.6 if now < day(2026, 2, 10) else 0.92)
            models = [m for m in MODELS if m[1] <= now < m[2]]
            m = rng.choices(models, [x[3] for x in models])[0]
            long_ok = m[4] is not None and now < m[4]
            s = dict(
                newer=newer,
                version=rng.choice(["2.1.39", "2.1.42", "2.1.50"]) if newer else rng.choice(["2.0.46", "2.0.64"]),
                model=m[0],
                no_request_id=newer and rng.random() < 0.35,
                ttl=rng.choices(["5m", "1h", "mixed"], [45, 40, 15])[0] if newer else "5m",
                split=newer or rng.random() < 0.5,  # old writers sometimes omit cache_creation
                long=long_ok and rng.random() < 0.08,
                geo=rng.choice(["not_available", "not_available", "global", "us"]),
                speed=newer and m[0] == "claude-opus-4-6" and rng.random() < 0.06,
                final_stop=rng.random() < 0.8,
            )
        s["slug"] = "-".join(rng.choice(["quiet", "brave", "modular", "radiant", "petting", "floating",
                                          "music", "thompson", "river", "maple"]) for _ in range(3))
        rel = f"projects/{project}/{sid}.jsonl"
        f = FileOut(rel)
        base = {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": cwd,
                "sessionId": sid, "version": s["version"], "gitBranch": "main"}
        if s["newer"]:
            base["slug"] = s["slug"]
        st = dict(sid=sid, project=project, base=base, now=now, s=s, parent=None,
                  context=rng.randint(14000, 30000), cached=0, bounds=[])
        if s["long"]:
            st["context"] = rng.randint(150000, 190000)
        if resume:
            self.t["resumed_sessions"] += 1
            if s["newer"]:
                f.add({"type": "file-history-snapshot", "messageId": self.uuid(),
                       "snapshot": {"messageId": self.uuid(), "trackedFileBackups": {}, "timestamp": iso(now)},
                       "isSnapshotUpdate": False})
            else:
                for _ in range(rng.randint(1, 2)):
                    f.add({"type": "summary", "summary": "Refactor the parser", "leafUuid": self.uuid()})
            k = rng.randint(1, len(prev["bounds"]) - 1)
            end, context, cached, last_ts = prev["bounds"][k - 1]
            old = f'"sessionId":"{prev["sid"]}"'
            new = f'"sessionId":"{sid}"'
            for line, kind in zip(prev["lines"][prev["head"]:end], prev["kinds"][prev["head"]:end]):
                f.lines.append(line.replace(old, new, 1))
                f.kinds.append(kind)
            st["context"], st["cached"] = context, cached
            st["now"] = max(now, last_ts + timedelta(minutes=rng.randint(5, 600)))
        elif s["newer"]:
            f.add({"type": "file-history-snapshot", "messageId": self.uuid(),
                   "snapshot": {"messageId": self.uuid(), "trackedFileBackups": {}, "timestamp": iso(now)},
                   "isSnapshotUpdate": False})
            for _ in range(rng.randint(1, 3)):
                f.add({**base, "type": "progress", "data": {"type": "hook_progress", "hookEvent": "SessionStart",
                                                            "hookName": "SessionStart:startup",
                                                            "command": "~/.claude/hooks/start.sh"},
                       "parentToolUseID": self.uuid(), "toolUseID": self.uuid(),
                       "timestamp": iso(st["now"]), "uuid": self.uuid()})
        else:
            if rng.random() < 0.3:
                f.add({"type": "summary", "summary": "Refactor the parser", "leafUuid": self.uuid()})
        st["head"] = len(f.lines)
        truncate = rng.random() < 0.03
        own_replay = not truncate and rng.random() < 0.02
        steps = rng.randint(4, 50)
        for step in range(steps):
            last = step == steps - 1
            self.turn(f, st, user_prompt=(step == 0 or rng.random() < 0.12), end_on_copy=last and truncate)
            if not last:
                st["bounds"].append((len(f.lines), st["context"], st["cached"], st["now"]))
        if own_replay and len(st["bounds"]) >= 2:
            # The head of the conversation written again into the same file.
            end = st["bounds"][rng.randint(0, len(st["bounds"]) - 2)][0]
            f.lines.extend(f.lines[st["head"]:end])
            f.kinds.extend(f.kinds[st["head"]:end])
            self.t["own_head_replays"] += 1
        if truncate:
            f.truncated = True
        self.flush(f)
        self.t["session_files"] += 1
        self.last_session[project] = dict(sid=sid, lines=f.lines if not truncate else f.lines[:-1],
                                          kinds=f.kinds, head=st["head"], bounds=st["bounds"], style=s)

    # ---- one turn: (user prompt or tool results), a response, its tool results ---
    def turn(self, f, st, user_prompt, end_on_copy=False, sidechain=None):
        rng = self.rng
        s = st["s"]
        base = st["base"]
        if user_prompt:
            st["now"] += timedelta(seconds=rng.randint(5, 900))
            f.add({**base, "type": "user", "message": {"role": "user", "content": FILLER[: rng.randint(20, 400)]},
                   "uuid": self.uuid(), "timestamp": iso(st["now"])})
        if s["newer"] and not sidechain and rng.random() < 0.01:
            st["now"] += timedelta(seconds=rng.randint(1, 30))
            f.add({"type": "queue-operation", "operation": "enqueue", "timestamp": iso(st["now"]),
                   "sessionId": st["sid"], "content": "<task-notification>done</task-notification>"})
        if rng.random() < 0.012:
            self.synthetic(f, st, "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}")
        # Compaction when the context outgrows what the model takes.
        limit = 600000 if s["long"] else 165000
        if st["context"] > limit and sidechain is None:
            self.compact(f, st)
        blocks, spawn = self.response(f, st, end_on_copy)
        if end_on_copy:
            return
        # Tool results (one user line per tool_use block), sub-agents, progress.
        for b in range(blocks):
            st["now"] += timedelta(milliseconds=rng.randint(50, 4000))
            if s["newer"] and rng.random() < 0.5:
                f.add({**base, "type": "progress", "data": {"type": "hook_progress", "hookEvent": "PostToolUse",
                                                            "hookName": "PostToolUse:Edit",
                                                            "command": "${CLAUDE_PLUGIN_ROOT}/hooks/post.sh"},
                       "parentToolUseID": "toolu_01" + self.b62(22), "toolUseID": "toolu_01" + self.b62(22),
                       "timestamp": iso(st["now"]), "uuid": self.uuid()})
            text = FILLER[: rng.randint(200, 6000)]
            line = {**base, "type": "user",
                    "message": {"role": "user", "content": [{"tool_use_id": "toolu_01" + self.b62(22),
                                                             "type": "tool_result", "content": text}]},
                    "uuid": self.uuid(), "timestamp": iso(st["now"])}
            if b == blocks - 1 and spawn:
                usage = self.subagent(f, st)
                line["toolUseResult"] = {"status": "completed", "prompt": "Explore the parser",
                                         "agentId": usage.pop("agentId"), "content": [{"type": "text", "text": "done"}],
                                         "totalDurationMs": rng.randint(20000, 300000),
                                         "totalTokens": sum(usage.values()), "totalToolUseCount": rng.randint(2, 30),
                                         "usage": usage}
            f.add(line)
            st["context"] += len(text) // 4
        if s["newer"] and rng.random() < 0.05:
            f.add({**base, "type": "system", "subtype": "turn_duration", "durationMs": rng.randint(2000, 400000),
                   "timestamp": iso(st["now"]), "uuid": self.uuid(), "isMeta": False})
        if not s["newer"] and sidechain is None and rng.random() < 0.04:
            self.inline_sidechain(f, st)

    def synthetic(self, f, st, text):
        st["now"] += timedelta(seconds=self.rng.randint(1, 20))
        f.add({**st["base"], "type": "assistant", "uuid": self.uuid(), "timestamp": iso(st["now"]),
               "message": {"id": self.uuid(), "model": "<synthetic>", "role": "assistant",
                           "stop_reason": "stop_sequence", "stop_sequence": "", "type": "message",
                           "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                                     "cache_read_input_tokens": 0, "server_tool_use": {"web_search_requests": 0},
                                     "service_tier": None},
                           "content": [{"type": "text", "text": text}]},
               "isApiErrorMessage": True}, "s")

    def usage_now(self, st):
        """Prompt counts of the next request: (input, read, w5m, w1h)."""
        rng = self.rng
        s = st["s"]
        context, cached = st["context"], st["cached"]
        if cached and rng.random() < 0.03:  # the cache expired during a pause
            cached = 0
        inp = rng.choice([1, 1, 1, 3, 3, 6, 7, 8, 12]) if cached else rng.randint(3, 2500)
        write = max(context - cached - inp, 0)
        if s["ttl"] == "5m":
            w5, w1 = write, 0
        elif s["ttl"] == "1h":
            w5, w1 = 0, write
        else:
            w1 = write // 3
            w5 = write - w1
        st["cached"] = cached + write
        return inp, cached, w5, w1

    def response(self, f, st, end_on_copy=False, model=None):
        """Writes one response as its copies; returns (tool_use blocks, spawns a sub-agent)."""
        rng = self.rng
        s = st["s"]
        base = st["base"]
        model = model or s["model"]
        inp, read, w5, w1 = self.usage_now(st)
        n_copies = rng.choices([1, 2, 3, 4, 5, 6, 8, 10], [30, 34, 14, 8, 5, 4, 3, 2])[0]
        final = int(rng.paretovariate(1.3) * 60) + 20
        final = min(final, 32000)
        no_final = s["newer"] and n_copies > 1 and rng.random() < 0.33
        first = rng.choice([1, 1, 1, 2, 3, 4, 8, 8, 9, 10, 19, 25]) if s["newer"] else final
        if s["newer"]:
            if no_final:
                outs = [first] * n_copies
            else:
                first = min(first, final - 1)
                outs = [first] * (n_copies - 1) + [final]
        else:
            outs = [final] * n_copies
        mid = "msg_01" + self.b62(22)
        rid = None if s["no_request_id"] else "req_011C" + self.b62(20)
        stop = rng.choice(STOP_REASONS)
        searches = fetches = 0
        if rng.random() < 0.02:
            searches = rng.randint(1, 5)
        if rng.random() < 0.02:
            fetches = rng.randint(1, 3)
        spawn = (s["newer"] and st["parent"] is None and rng.random() < 0.03)
        st["now"] += timedelta(seconds=rng.uniform(1.5, 25))
        # Now and then the copies of a response straddle midnight UTC: the day
        # is the kept (final) copy's.
        midnight = (st["now"] + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        if n_copies > 1 and midnight - st["now"] < timedelta(minutes=20) and rng.random() < 0.5:
            st["now"] = midnight - timedelta(milliseconds=rng.randint(100, 1500))
        kinds = ["thinking"] if s["newer"] and rng.random() < 0.5 else []
        kinds += ["text"] if rng.random() < 0.7 else []
        while len(kinds) < n_copies:
            kinds.append("tool_use")
        kinds = kinds[:n_copies]
        tool_blocks = sum(1 for k in kinds if k == "tool_use")
        if spawn and tool_blocks == 0:
            spawn = False
        fields = dict(model=model, input=inp, read=read, w5=w5, w1=w1, no_final=no_final,
                      no_request_id=rid is None, fast=s["speed"], searches=searches, fetches=fetches)
        rec = [fields, [], {}]
        for i, (kind, out) in enumerate(zip(kinds, outs)):
            last = i == n_copies - 1
            if i:
                st["now"] += timedelta(milliseconds=rng.randint(40, 3000))
            if kind == "thinking":
                content = {"type": "thinking", "thinking": FILLER[: rng.randint(100, 2000)], "signature": self.b62(40)}
            elif kind == "text":
                content = {"type": "text", "text": FILLER[: rng.randint(20, 1500)]}
            else:
                name = "Task" if (spawn and last) else rng.choice(TOOLS)
                content = {"type": "tool_use", "id": "toolu_01" + self.b62(22), "name": name,
                           "input": {"file_path": "/home/dev/src/parser.rs", "description": "edit"}}
                if s["newer"]:
                    content["caller"] = {"type": "direct"}
            if s["newer"] and not (last and not no_final):
                usage = {"input_tokens": inp, "cache_creation_input_tokens": w5 + w1, "cache_read_input_tokens": read,
                         "cache_creation": {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1},
                         "output_tokens": out, "service_tier": "standard", "inference_geo": s["geo"]}
                stop_reason = None
            elif s["newer"]:
                usage = {"input_tokens": inp, "cache_creation_input_tokens": w5 + w1, "cache_read_input_tokens": read,
                         "output_tokens": out,
                         "server_tool_use": {"web_search_requests": searches, "web_fetch_requests": fetches},
                         "service_tier": "standard",
                         "cache_creation": {"ephemeral_1h_input_tokens": w1, "ephemeral_5m_input_tokens": w5},
                         "inference_geo": "" if s["geo"] == "not_available" else s["geo"], "iterations": []}
                stop_reason = stop if s["final_stop"] else None
            else:
                usage = {"input_tokens": inp, "cache_creation_input_tokens": w5 + w1, "cache_read_input_tokens": read}
                if s["split"]:
                    usage["cache_creation"] = {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1}
                usage.update({"output_tokens": out, "service_tier": "standard", "server_tool_use": None})
                stop_reason = stop
            if s["newer"] and s["version"] >= "2.1.42":
                usage["speed"] = "fast" if s["speed"] else "standard"
            if s["newer"]:
                msg = {"model": model, "id": mid, "type": "message", "role": "assistant", "content": [content],
                       "stop_reason": stop_reason, "stop_sequence": None, "usage": usage}
            else:
                msg = {"id": mid, "type": "message", "role": "assistant", "model": model, "content": [content],
                       "stop_reason": stop_reason, "stop_sequence": None, "usage": usage}
            line = {**base, "message": msg}
            if rid:
                line["requestId"] = rid
            line["type"] = "assistant"
            line["uuid"] = self.uuid()
            line["timestamp"] = iso(st["now"])
            idx = f.add(line, "c")
            rec[1].append((idx, out))
            rec[2][idx] = line["timestamp"]
            # Hooks around tool calls land between the copies.
            if kind == "tool_use" and s["newer"] and not last and rng.random() < 0.6:
                f.add({**base, "type": "progress", "data": {"type": "hook_progress", "hookEvent": "PreToolUse",
                                                            "hookName": "PreToolUse:" + content["name"],
                                                            "command": "~/.claude/hooks/pre.sh"},
                       "parentToolUseID": content["id"], "toolUseID": content["id"],
                       "timestamp": iso(st["now"]), "uuid": self.uuid()})
        f.responses.append(rec)
        st["context"] += final + rng.randint(0, 3000) + (rng.randint(4000, 20000) if s["long"] else 0)
        return (0 if end_on_copy else tool_blocks), spawn

    def child(self, st, agent_id, sidechain_model):
        """State of a sub-agent run inside session `st`."""
        s = dict(st["s"])
        s.update(model=sidechain_model, long=False, speed=False)
        base = {**st["base"], "isSidechain": True, "agentId": agent_id}
        if "slug" in base:  # agentId comes before slug in the real files
            slug = base.pop("slug")
            base["slug"] = slug
        return dict(sid=st["sid"], project=st["project"], base=base, now=st["now"], s=s, parent=st,
                    context=self.rng.randint(9000, 16000), cached=0, bounds=[])

    def subagent(self, f, st):
        """Writes a sub-agent file below the session; the parent gets progress lines.
        Returns the usage object of the Task tool's result."""
        rng = self.rng
        aid = "a" + f"{rng.getrandbits(24):06x}"
        sub = FileOut(f"projects/{st['project']}/{st['sid']}/subagents/agent-{aid}.jsonl")
        cst = self.child(st, aid, rng.choice(SUBAGENT_MODELS + [st["s"]["model"]]))
        sub.add({**cst["base"], "type": "user", "message": {"role": "user", "content": FILLER[: rng.randint(100, 800)]},
                 "uuid": self.uuid(), "timestamp": iso(cst["now"])})
        n = rng.randint(2, 12)
        truncate = rng.random() < 0.02
        for i in range(n):
            last = i == n - 1
            mark = len(sub.lines)
            self.turn(sub, cst, user_prompt=False, end_on_copy=last and truncate, sidechain=True)
            # Some of the sub-agent's lines show up, nested, in the parent's progress lines.
            for j in range(mark, len(sub.lines)):
                if sub.kinds[j] == "c" and rng.random() < 0.5:
                    inner = json.loads(sub.lines[j])
                    f.add({**st["base"], "type": "progress",
                           "data": {"message": {"type": "assistant", "timestamp": inner["timestamp"],
                                                "message": inner["message"], "requestId": inner.get("requestId"),
                                                "uuid": inner["uuid"]},
                                    "normalizedMessages": [], "type": "agent_progress", "prompt": "Explore",
                                    "agentId": aid},
                           "parentToolUseID": "toolu_01" + self.b62(22), "toolUseID": "agent_msg_" + self.b62(12),
                           "timestamp": inner["timestamp"], "uuid": self.uuid()})
                    self.t["agent_progress_lines"] += 1
        if truncate and len(sub.lines) >= 3:
            sub.truncated = True
        self.flush(sub)
        self.t["subagent_files"] += 1
        st["now"] = max(st["now"], cst["now"]) + timedelta(milliseconds=rng.randint(100, 3000))
        return {"agentId": aid, "input_tokens": rng.randint(10, 500), "cache_creation_input_tokens": rng.randint(0, 30000),
                "cache_read_input_tokens": rng.randint(0, 90000), "output_tokens": rng.randint(100, 4000)}

    def compact(self, f, st):
        """Auto-compaction: a boundary line, a compaction agent's file, a summary."""
        rng = self.rng
        s = st["s"]
        base = st["base"]
        st["now"] += timedelta(seconds=rng.randint(2, 30))
        f.add({**base, "parentUuid": None, "logicalParentUuid": self.uuid(), "type": "system",
               "subtype": "compact_boundary", "content": "Conversation compacted", "isMeta": False,
               "timestamp": iso(st["now"]), "uuid": self.uuid(), "level": "info",
               "compactMetadata": {"trigger": "auto", "preTokens": st["context"]}}, root=True)
        if s["newer"]:
            aid = "acompact-" + f"{rng.getrandbits(24):06x}"
            sub = FileOut(f"projects/{st['project']}/{st['sid']}/subagents/agent-{aid}.jsonl")
            cst = self.child(st, aid, s["model"])
            cst["s"]["long"] = s["long"]
            cst["context"], cst["cached"] = st["context"], st["cached"]
            for _ in range(rng.randint(1, 2)):
                sub.add({**cst["base"], "type": "user", "message": {"role": "user", "content": "<system-reminder>hook</system-reminder>"},
                         "isMeta": True, "uuid": self.uuid(), "timestamp": iso(cst["now"])})
            sub.add({**cst["base"], "type": "user",
                     "message": {"role": "user", "content": "Your task is to create a detailed summary of the conversation so far."},
                     "uuid": self.uuid(), "timestamp": iso(cst["now"])})
            self.response(sub, cst)
            self.flush(sub)
            self.t["compaction_files"] += 1
            st["now"] = cst["now"]
        st["now"] += timedelta(seconds=rng.randint(1, 10))
        f.add({**base, "type": "user", "isCompactSummary": True, "isVisibleInTranscriptOnly": True,
               "message": {"role": "user", "content": "This session is being continued from a previous conversation. " + FILLER[:2000]},
               "uuid": self.uuid(), "timestamp": iso(st["now"])})
        st["context"], st["cached"] = rng.randint(18000, 40000), 0

    def inline_sidechain(self, f, st):
        """Older writers: a Task's sidechain written inline in the session file."""
        rng = self.rng
        cst = self.child(st, None, rng.choice(SUBAGENT_MODELS))
        cst["base"].pop("agentId")
        for _ in range(rng.randint(1, 4)):
            self.turn(f, cst, user_prompt=False, sidechain=True)
        st["now"] = max(st["now"], cst["now"])

    # ---- bookkeeping -------------------------------------------------------
    def flush(self, f):
        """Writes a file and records what a reader should count from it."""
        lines = f.lines
        cut = None
        if f.truncated:
            cut = len(lines) - 1
            line = lines[cut]
            keep = self.rng.randint(len(line) // 3, len(line) - 2)
            lines[cut] = line[:keep].rstrip("}")
        for fields, copies, stamps in f.responses:
            whole = [(out, -idx) for idx, out in copies if idx != cut]
            if not whole:
                continue
            out, neg = max(whole)
            ts = stamps[-neg]
            key = (ts[:10], fields["model"])
            g = self.groups.get(key)
            if g is None:
                g = self.groups[key] = [0, 0, 0, 0, 0, 0]
            g[0] += 1
            g[1] += fields["input"]
            g[2] += fields["read"]
            g[3] += fields["w5"]
            g[4] += fields["w1"]
            g[5] += out
            t = self.t
            t["responses"] += 1
            t["responses_without_final_count"] += fields["no_final"]
            t["responses_without_request_id"] += fields["no_request_id"]
            t["responses_above_200k"] += fields["input"] + fields["read"] + fields["w5"] + fields["w1"] > 200000
            t["fast_responses"] += fields["fast"]
            t["web_search_requests"] += fields["searches"]
            t["web_fetch_requests"] += fields["fetches"]
        kinds = f.kinds[:cut] if cut is not None else f.kinds
        self.t["copies"] += kinds.count("c")
        self.t["synthetic_lines"] += kinds.count("s")
        if cut is not None:
            self.t["truncated_lines"] += 1
        self.t["lines"] += len(lines)
        self.t["files"] += 1
        path = os.path.join(self.out, f.rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = "\n".join(lines) + ("" if f.truncated else "\n")
        data = data.encode()
        with open(path, "wb") as fh:
            fh.write(data)
        self.written += len(data)
        f.responses = []

    def expected(self, seed, size_mb):
        t = self.t
        rows = []
        totals = dict(calls=0, input=0, cache_read=0, cache_write_5m=0, cache_write_1h=0, output=0)
        for (d, model), g in sorted(self.groups.items()):
            row = dict(day=d, model=model, calls=g[0], input=g[1], cache_read=g[2], cache_write_5m=g[3],
                       cache_write_1h=g[4], output=g[5])
            rows.append(row)
            for k in totals:
                totals[k] += row[k]
        complete = t["lines"] - t["truncated_lines"]
        return {
            "generator": "benches/gen_claude_tree.py",
            "seed": seed,
            "size_mb": size_mb,
            "rule": "per response (key (message.id, requestId), or message.id without requestId) the copy with "
                    "the largest output_tokens, ties: earliest file in sorted walk order, then earliest line; "
                    "lines cut short do not count; day = UTC day of the kept copy; model as written",
            "by_day_model": rows,
            "totals": {
                **totals,
                "responses": t["responses"],
                "duplicate_copies_folded": t["copies"] - t["responses"],
                "synthetic_lines": t["synthetic_lines"],
                "truncated_lines": t["truncated_lines"],
                "lines": t["lines"],
                "lines_without_usage": complete - t["copies"],
                "files": t["files"],
                "session_files": t["session_files"],
                "subagent_files": t["subagent_files"],
                "compaction_files": t["compaction_files"],
                "resumed_sessions": t["resumed_sessions"],
                "own_head_replays": t["own_head_replays"],
                "responses_without_request_id": t["responses_without_request_id"],
                "responses_without_final_count": t["responses_without_final_count"],
                "responses_above_200k": t["responses_above_200k"],
                "fast_responses": t["fast_responses"],
                "web_search_requests": t["web_search_requests"],
                "web_fetch_requests": t["web_fetch_requests"],
                "agent_progress_lines": t["agent_progress_lines"],
            },
        }


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.split("\n\n")[1])
    out, size_mb = sys.argv[1], float(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    projects = os.path.join(out, "projects")
    if os.path.isdir(projects) and os.listdir(projects):
        sys.exit(f"{projects} is not empty: expected.json would not describe it (remove it first)")
    target = int(size_mb * 1024 * 1024)
    gen = Generator(out, random.Random(seed), target)
    while gen.written < target:
        gen.session()
    expected = gen.expected(seed, size_mb)
    with open(os.path.join(out, "expected.json"), "w") as fh:
        json.dump(expected, fh, indent=1)
        fh.write("\n")
    t = expected["totals"]
    print(f"{out}: {t['files']} files, {gen.n_session} sessions, {gen.written / 1e6:.1f} MB, "
          f"{t['responses']} responses, {t['duplicate_copies_folded']} copies folded")


if __name__ == "__main__":
    main()
