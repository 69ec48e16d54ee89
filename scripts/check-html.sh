#!/usr/bin/env bash
# Opens an HTML report in headless Chromium and checks that every chart was
# drawn: each <svg class="chart"> has a size on the page and at least one mark
# (bar, line or point) with a non-empty bounding box.
#
# Usage: scripts/check-html.sh REPORT.html [SCREENSHOT.png]
# Needs Debian's `chromium` (apt-get install chromium).
set -euo pipefail

report=${1:?usage: scripts/check-html.sh REPORT.html [SCREENSHOT.png]}
shot=${2:-}
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
  echo "check-html: chromium not found (apt-get install chromium)" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The report has no script of its own; the probe is added to a copy.
probe='<script>
addEventListener("load", () => {
  const found = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const box = svg.getBoundingClientRect();
    let drawn = 0;
    for (const mark of svg.querySelectorAll(".mark")) {
      const b = mark.getBBox();
      if (b.width > 0 || b.height > 0) drawn++;
    }
    found.push(svg.id + "=" + drawn + "@" + Math.round(box.width) + "x" + Math.round(box.height));
  }
  const out = document.createElement("pre");
  out.id = "chart-check";
  out.textContent = found.join(" ");
  document.body.append(out);
});
</script>'
page=$(<"$report")
printf '%s\n' "${page/<\/body>/$probe</body>}" > "$work/probe.html"

flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run)
dom=$("$browser" "${flags[@]}" --virtual-time-budget=5000 --dump-dom "file://$work/probe.html" 2>/dev/null)
line=$(grep -o '<pre id="chart-check">[^<]*</pre>' <<<"$dom" | sed 's/<[^>]*>//g' || true)
if [[ -z $line ]]; then
  echo "check-html: $report: the page did not load in Chromium" >&2
  exit 1
fi
echo "check-html: $report: $line"
status=0
for chart in cost-over-time share-by-model cache-hit-rate; do
  if ! grep -Eq "(^| )$chart=[1-9][0-9]*@[1-9][0-9]*x[1-9][0-9]*( |$)" <<<"$line"; then
    echo "check-html: chart $chart is missing or empty" >&2
    status=1
  fi
done
if grep -q 'id="scenario-savings"' "$report" &&
  ! grep -Eq "(^| )scenario-savings=[1-9][0-9]*@[1-9]" <<<"$line"; then
  echo "check-html: chart scenario-savings is empty" >&2
  status=1
fi
if [[ -n $shot ]]; then
  "$browser" "${flags[@]}" --window-size=1100,2400 --screenshot="$shot" "file://$(realpath "$report")" 2>/dev/null
  echo "check-html: screenshot $shot"
fi
exit $status
