#!/usr/bin/env python3
"""Checks costsim's reading of a tree written by benches/gen_claude_tree.py against
the generator's own record of what it wrote. Exits 1 when anything differs.

    python3 benches/gen_claude_tree.py DIR 200
    costsim replay DIR -q --by day --by model -o json > costsim.json
    python3 benches/check_generated.py DIR/expected.json costsim.json

Compared: per UTC day x model, the calls and the input, cache read, 5-minute and
1-hour cache write and output tokens (the generator's model names mapped to the
catalog ids costsim reports, through the ids and aliases in pricing/*.toml); then
the run's totals: calls (= unique responses), duplicate lines folded, lines cut
short (skipped as malformed JSON), lines read and lines without usage.
"""
import json
import os
import re
import sys
import tomllib

TOKENS = ["input", "cache_read", "cache_write_5m", "cache_write_1h", "output"]
PRICING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pricing")


def catalog_names():
    """Lower-cased id or alias -> catalog id, from pricing/*.toml."""
    names = {}
    for name in sorted(os.listdir(PRICING)):
        if name.endswith(".toml"):
            with open(os.path.join(PRICING, name), "rb") as fh:
                for model in tomllib.load(fh).get("models", []):
                    for n in [model["id"], *model.get("aliases", [])]:
                        names.setdefault(n.lower(), model["id"])
    return names


def catalog_id(name, names):
    """The id costsim reports for a logged model name (as Catalog::resolve does:
    exact, without a provider/ prefix, without a date suffix); else the name."""
    key = name.strip().lower()
    unprefixed = key.rsplit("/", 1)[-1]
    undated = re.sub(r"([-@]\d{8}|-\d{4}-\d{2}-\d{2})$", "", unprefixed)
    for k in (key, unprefixed, undated):
        if k in names:
            return names[k]
    return name


def expected_groups(expected):
    names = catalog_names()
    out = {}
    for row in expected["by_day_model"]:
        key = (row["day"], catalog_id(row["model"], names))
        prev = out.get(key, (0,) * 6)
        out[key] = tuple(a + b for a, b in zip(prev, [row["calls"]] + [row[t] for t in TOKENS]))
    return out


def costsim_groups(report):
    dims = report.get("group_by", [])
    if dims != ["day", "model"]:
        sys.exit(f"the costsim report is grouped by {dims}; run it with --by day --by model -o json")
    out = {}
    for row in report["rows"]:
        t = row["tokens"]
        out[(row["keys"]["day"], row["keys"]["model"])] = tuple([row["calls"]] + [t[k] for k in TOKENS])
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    with open(sys.argv[1]) as fh:
        expected = json.load(fh)
    with open(sys.argv[2]) as fh:
        report = json.load(fh)
    mine, theirs = expected_groups(expected), costsim_groups(report)
    fields = ["calls"] + TOKENS
    differ = [k for k in sorted(set(mine) | set(theirs)) if mine.get(k) != theirs.get(k)]
    for key in differ[:20]:
        a, b = mine.get(key), theirs.get(key)
        if a is None or b is None:
            print(f"differs {key[0]} {key[1]}: expected {a}, costsim {b}")
            continue
        parts = [f"{f} {x:,} vs {y:,} ({y - x:+,})" for f, x, y in zip(fields, a, b) if x != y]
        print(f"differs {key[0]} {key[1]}: " + "; ".join(parts) + " (expected vs costsim)")
    if len(differ) > 20:
        print(f"... and {len(differ) - 20} more groups")
    t = expected["totals"]
    skipped = report.get("skipped", {}).get("by_reason", {})
    totals = [
        ("calls (unique responses)", t["responses"], report["calls"]),
        ("duplicate lines folded", t["duplicate_copies_folded"], report["duplicates_folded"]),
        ("lines cut short (malformed JSON)", t["truncated_lines"], skipped.get("malformed_json", 0)),
        ("other skipped lines", 0, report["skipped"]["total"] - skipped.get("malformed_json", 0)),
        ("lines", t["lines"], report["lines"]),
        ("lines without usage", t["lines_without_usage"], report["lines_without_usage"]),
    ] + [(f"total {k} tokens", t[k], report["total"]["tokens"][k]) for k in TOKENS]
    bad_totals = 0
    for name, a, b in totals:
        if a != b:
            bad_totals += 1
            print(f"differs {name}: expected {a:,}, costsim {b:,} ({b - a:+,})")
    print(f"{len(mine)} day×model groups expected, {len(theirs)} in the report; {len(differ)} differ; "
          f"{len(totals) - bad_totals} of {len(totals)} totals agree "
          f"({t['responses']:,} responses, {t['duplicate_copies_folded']:,} copies folded, "
          f"{t['synthetic_lines']:,} <synthetic> lines, {t['truncated_lines']:,} lines cut short)")
    sys.exit(1 if differ or bad_totals else 0)


if __name__ == "__main__":
    main()
