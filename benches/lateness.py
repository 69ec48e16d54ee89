#!/usr/bin/env python3
"""How far out of time order a JSONL file of calls is: for each line, how many
earlier lines carry a later `ts` (a Fenwick count over the times' ranks). The
largest such count is how many calls a time-order window must hold for the file
to be stepped as read (see src/replay/time_order.rs).

    python3 benches/lateness.py FILE [LINES]
"""
import collections
import itertools
import sys


def main():
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else None
    times = []
    with open(path) as f:
        for line in itertools.islice(f, limit):
            at = line.find('"ts":"')
            if at >= 0:
                times.append(line[at + 6 : line.index('"', at + 6)])
    # Canonical times share one format, so text order is time order.
    ranks = {t: r for r, t in enumerate(sorted(set(times)))}
    tree = [0] * (len(ranks) + 1)
    most, by_thousand = 0, collections.Counter()
    for seen, t in enumerate(times):
        # Earlier lines at or before this time: the rest are later.
        i, at_or_before = ranks[t] + 1, 0
        while i > 0:
            at_or_before += tree[i]
            i -= i & -i
        late = seen - at_or_before
        most = max(most, late)
        by_thousand[late // 1000] += 1
        i = ranks[t] + 1
        while i < len(tree):
            tree[i] += 1
            i += i & -i
    print(f"{path}: {len(times)} calls, at most {most} earlier calls dated later")
    for k, n in sorted(by_thousand.items()):
        print(f"  {k * 1000:>7}-{k * 1000 + 999}: {n} calls")


if __name__ == "__main__":
    main()
