#!/usr/bin/env python3
"""Coverage of the pricing catalog against LiteLLM's price list.

Lists every chat model that LiteLLM prices for the providers below and that is
neither in the catalog (id or alias, resolved like `costsim`'s catalog lookup:
case-insensitive, without a `provider/` prefix, without a date suffix such as
-20250929 / -2025-09-29 / @20250929, `ft:BASE:...` as `ft:BASE`) nor named in
the "Deliberately left out" section of pricing/SOURCES.md.

Usage:
    python3 pricing/coverage.py [LITELLM_JSON] [--pricing DIR] [--verbose]

LITELLM_JSON defaults to
/tmp/litellm-dl/litellm/model_prices_and_context_window_backup.json (litellm's
`litellm/model_prices_and_context_window_backup.json`, e.g. from the PyPI
wheel). Standard library only (Python 3.11+ for tomllib). Exit status: 0 when
nothing is missing, 1 otherwise.

The left-out section is every line between a heading containing "Deliberately
left out" and the next heading of the same or a higher level; each `backticked`
word on it is a model name or an fnmatch pattern (`gpt-4o-*-preview*`), matched
case-insensitively against the LiteLLM key with and without its `provider/`
prefix.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
import tomllib
from pathlib import Path

DEFAULT_LITELLM = "/tmp/litellm-dl/litellm/model_prices_and_context_window_backup.json"

# litellm_provider values of the providers' own APIs. vertex_ai-language-models is
# counted only for plain `gemini-*` keys (the same models as Google AI Studio's).
PROVIDERS = {
    "anthropic",
    "openai",
    "text-completion-openai",
    "gemini",
    "deepseek",
    "xai",
    "mistral",
    "moonshot",
    "minimax",
}
MODES = {"chat", "responses", "completion"}

ROUTING_SUFFIXES = (":nitro", ":floor", ":exacto")
DATE_SUFFIX = re.compile(r"(?:[-@]\d{8}|-\d{4}-\d{2}-\d{2})$")


def strip_date_suffix(name: str) -> str:
    stripped = DATE_SUFFIX.sub("", name)
    return stripped if stripped else name


def catalog_index(pricing_dir: Path) -> dict[str, str]:
    """Lower-cased id and alias -> model id, over every *.toml in the directory."""
    index: dict[str, str] = {}
    for path in sorted(pricing_dir.glob("*.toml")):
        with path.open("rb") as f:
            doc = tomllib.load(f)
        for model in doc.get("models", []):
            for name in [model["id"], *model.get("aliases", [])]:
                index[name.lower()] = model["id"]
    return index


def resolve(index: dict[str, str], name: str) -> str | None:
    """Mirrors Catalog::resolve_index in src/pricing/mod.rs."""
    key = name.strip().lower()
    if key in index:
        return index[key]
    for suffix in ROUTING_SUFFIXES:
        if key.endswith(suffix):
            return resolve(index, key[: -len(suffix)])
    unprefixed = key.rsplit("/", 1)[-1]
    if unprefixed in index:
        return index[unprefixed]
    undated = strip_date_suffix(unprefixed)
    if undated in index:
        return index[undated]
    parts = unprefixed.split(":", 2)
    if len(parts) >= 2 and parts[0] == "ft" and parts[1]:
        for base in (parts[1], strip_date_suffix(parts[1])):
            if f"ft:{base}" in index:
                return index[f"ft:{base}"]
    return None


def left_out_patterns(sources_md: Path) -> list[str]:
    patterns: list[str] = []
    level = None
    for line in sources_md.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^(#+)\s", line)
        if heading:
            if level is not None and len(heading.group(1)) <= level:
                break
            if level is None and "deliberately left out" in line.lower():
                level = len(heading.group(1))
            continue
        if level is not None:
            patterns.extend(p.lower() for p in re.findall(r"`([^`\s]+)`", line))
    # A pattern must name something: a bare `*` would hide every missing model.
    return [p for p in patterns if re.search(r"[a-z0-9]", p)]


def in_scope(key: str, entry: dict) -> bool:
    provider = entry.get("litellm_provider")
    if entry.get("mode") not in MODES:
        return False
    if provider in PROVIDERS:
        return True
    return provider == "vertex_ai-language-models" and key.lower().startswith("gemini-")


def main() -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("litellm_json", nargs="?", default=DEFAULT_LITELLM)
    ap.add_argument("--pricing", default=str(here), help="catalog directory (default: this script's)")
    ap.add_argument("--verbose", action="store_true", help="also print how each model is covered")
    args = ap.parse_args()

    pricing_dir = Path(args.pricing)
    with open(args.litellm_json, encoding="utf-8") as f:
        litellm = json.load(f)
    index = catalog_index(pricing_dir)
    patterns = left_out_patterns(pricing_dir / "SOURCES.md")

    counts = {"catalog": 0, "left out": 0, "missing": 0}
    missing: list[tuple[str, str, str]] = []
    for key, entry in sorted(litellm.items()):
        if not isinstance(entry, dict) or not in_scope(key, entry):
            continue
        provider = entry["litellm_provider"]
        hit = resolve(index, key)
        if hit:
            counts["catalog"] += 1
            if args.verbose:
                print(f"catalog   {provider:26} {key} -> {hit}")
            continue
        names = {key.lower(), key.lower().rsplit("/", 1)[-1]}
        rule = next((p for p in patterns for n in names if fnmatch.fnmatchcase(n, p)), None)
        if rule:
            counts["left out"] += 1
            if args.verbose:
                print(f"left out  {provider:26} {key} (`{rule}`)")
            continue
        counts["missing"] += 1
        missing.append((provider, entry.get("mode", ""), key))

    for provider, mode, key in missing:
        print(f"MISSING   {provider:26} {mode:9} {key}")
    total = sum(counts.values())
    print(
        f"{total} litellm chat models of {', '.join(sorted(PROVIDERS))} (+ vertex gemini-*): "
        f"{counts['catalog']} in the catalog, {counts['left out']} deliberately left out, "
        f"{counts['missing']} missing"
    )
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
