#!/usr/bin/env python3
"""Compares per-day, per-model token totals of `costsim replay --by day --by model
--output json` and `ccusage daily --json`. Exits 1 when they differ.

    python3 benches/compare_ccusage.py costsim.json ccusage.json
"""
import json
import sys


def costsim_totals(path):
    report = json.load(open(path))
    out = {}
    for row in report["rows"]:
        day, model = row["keys"]["day"], row["keys"]["model"]
        t = row["tokens"]
        out[(day, model)] = (t["input"], t["cache_write_5m"] + t["cache_write_1h"], t["cache_read"], t["output"])
    return out


def canonical_model(name):
    # ccusage keeps dated ids; costsim reports catalog ids. Strip the date.
    parts = name.split("-")
    if parts and parts[-1].isdigit() and len(parts[-1]) == 8:
        parts = parts[:-1]
    return "-".join(parts)


def ccusage_totals(path):
    report = json.load(open(path))
    out = {}
    for day in report["daily"]:
        for m in day["modelBreakdowns"]:
            key = (day.get("date") or day.get("period"), canonical_model(m["modelName"]))
            prev = out.get(key, (0, 0, 0, 0))
            out[key] = tuple(a + b for a, b in zip(prev, (m["inputTokens"], m["cacheCreationTokens"],
                                                          m["cacheReadTokens"], m["outputTokens"])))
    return out


def main():
    a, b = costsim_totals(sys.argv[1]), ccusage_totals(sys.argv[2])
    differ = [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    for key, mine, theirs in differ[:20]:
        print(f"differs {key}: costsim {mine} ccusage {theirs}")
    print(f"{len(a)} day×model groups compared; {len(differ)} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
