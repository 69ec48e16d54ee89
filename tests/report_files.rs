//! The report files: `--output html` and `--line-items` (CSV and Parquet).

use std::collections::BTreeMap;

use polars::prelude::ChunkAgg;
use polars_io::parquet::read::ParquetReader;
use polars_io::SerReader;

use crate::util::{costsim, ok, replay_json, usd};

const DEMO: &str = "fixtures/demo/traces.jsonl";

fn html(extra: &[&str]) -> String {
    let mut args = vec!["replay", DEMO, "--output", "html"];
    args.extend_from_slice(extra);
    ok(&args).stdout
}

#[test]
fn html_report_is_one_self_contained_page_with_four_charts() {
    let page = html(&[
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-1h",
        "--top",
        "3",
    ]);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.trim_end().ends_with("</html>"));
    for id in [
        "cost-over-time",
        "share-by-model",
        "scenario-savings",
        "cache-hit-rate",
    ] {
        assert!(
            page.contains(&format!("<svg class=\"chart\" id=\"{id}\"")),
            "{id}"
        );
    }
    // Nothing fetched: no external script, style, image or font.
    for needle in ["<script", "src=", "<link", "@import", "url("] {
        assert!(!page.contains(needle), "found {needle}");
    }
    // The tables of the text report are there too.
    for title in [
        "Breakdown",
        "Most expensive sessions",
        "Scenarios against the baseline",
    ] {
        assert!(page.contains(&format!("<h2>{title}")), "{title}");
    }
    // Same input, same bytes.
    assert_eq!(
        page,
        html(&[
            "--scenario",
            "cache-off",
            "--scenario",
            "cache-1h",
            "--top",
            "3"
        ])
    );
}

#[test]
fn html_cost_bars_add_up_to_the_total() {
    // The demo spans 2026-03-02 12:32 to 2026-03-04 22:00: under 72 hours,
    // so one bar per hour; each bar's segments are titled with its cost.
    let page = html(&[]);
    assert!(page.contains("<h2>Cost per hour (UTC) by model</h2>"));
    let svg = &page[page.find("id=\"cost-over-time\"").unwrap()..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    let mut total = 0i128;
    for title in svg.split("<title>").skip(1) {
        let text = &title[..title.find("</title>").unwrap()];
        let amount = text.rsplit(' ').next().unwrap().trim_start_matches('$');
        total += usd(amount);
    }
    // Segment labels are rounded for display (4 decimals under $1), so the
    // sum matches the exact total to within half a cent per segment.
    let exact = crate::util::femto(&replay_json(&[DEMO])["total"]);
    let segments = svg.matches("<title>").count() as i128;
    assert!(segments > 10, "{segments} segments");
    assert!(
        (total - exact).abs() <= segments * usd("0.00005"),
        "{total} vs {exact}"
    );
}

#[test]
fn html_escapes_what_the_input_says() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    std::fs::write(
        &path,
        "{\"ts\":\"2026-01-05T10:00:00Z\",\"model\":\"<b>x</b>\",\"usage\":{\"input\":10,\"output\":1}}\n\
         {\"ts\":\"2026-01-05T11:00:00Z\",\"model\":\"gpt-5\",\"usage\":{\"input\":10,\"output\":1}}\n",
    )
    .unwrap();
    let run = ok(&["replay", path.to_str().unwrap(), "--output", "html", "-q"]);
    assert!(run.stdout.contains("&lt;b&gt;x&lt;/b&gt;"));
    assert!(!run.stdout.contains("<b>x</b>"));
}

#[test]
fn check_refuses_html() {
    let run = costsim(
        &["check", DEMO, "--budget", "1/day", "--output", "html"],
        None,
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--output html"), "{}", run.stderr);
}

/// Cost per scenario, summed from `cost_femto_usd` of the line items.
fn sums(rows: &[(String, i128)]) -> BTreeMap<String, i128> {
    let mut out = BTreeMap::new();
    for (scenario, cost) in rows {
        *out.entry(scenario.clone()).or_default() += cost;
    }
    out
}

#[test]
fn line_items_csv_has_one_row_per_call_per_scenario_summing_to_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.csv");
    let report = replay_json(&[
        DEMO,
        "--scenario",
        "cache-off",
        "--line-items",
        path.to_str().unwrap(),
    ]);
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "scenario");
    assert_eq!(headers.len(), 24);
    let cost = headers.iter().position(|h| h == "cost_femto_usd").unwrap();
    let rows: Vec<(String, i128)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[cost].parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 2 * 263);
    let by = sums(&rows);
    for s in report["scenarios"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        assert_eq!(by[name], crate::util::femto(s), "{name}");
    }
}

#[test]
fn line_items_parquet_reads_back_with_the_same_money() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.parquet");
    let report = replay_json(&[DEMO, "--line-items", path.to_str().unwrap()]);
    let df = ParquetReader::new(std::fs::File::open(&path).unwrap())
        .finish()
        .unwrap();
    assert_eq!(df.height(), 263);
    assert_eq!(df.width(), 24);
    // The exact column, as text, sums to the report to the femto-dollar.
    let exact: i128 = df
        .column("cost_femto_usd")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|c| c.unwrap().parse::<i128>().unwrap())
        .sum();
    assert_eq!(exact, crate::util::femto(&report["total"]));
    // The column to sum as Int64: nano-dollars, within half a nano-dollar a
    // call of the exact total.
    let nano: i64 = df
        .column("cost_nano_usd")
        .unwrap()
        .i64()
        .unwrap()
        .sum()
        .unwrap();
    let off = i128::from(nano) * 1_000_000 - exact;
    assert!(off.abs() <= 263 * 500_000, "{off}");
}

#[test]
fn line_items_are_the_same_bytes_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for threads in ["1", "2", "3"] {
        let path = dir.path().join(format!("items-{threads}.csv"));
        ok(&[
            "replay",
            DEMO,
            "fixtures/hand/claude-agent-cache.jsonl",
            "--scenario",
            "cache-1h",
            "--route",
            "claude-sonnet-*=claude-haiku-4-5:0.5,claude-sonnet-4-5:0.5",
            "--sticky",
            "call",
            "--threads",
            threads,
            "--line-items",
            path.to_str().unwrap(),
            "-q",
        ]);
        files.push(std::fs::read(&path).unwrap());
    }
    assert!(files[0].len() > 1000);
    assert_eq!(files[0], files[1]);
    assert_eq!(files[0], files[2]);
    // Time order: the ts column never goes back.
    let text = String::from_utf8(files.remove(0)).unwrap();
    let times: Vec<i64> = text
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("as-recorded,"))
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn estimate_draws_the_sweep_when_no_scenario_is_compared() {
    let run = ok(&[
        "estimate",
        "fixtures/workloads/support-bot.toml",
        "--sweep",
        "gpt-5-mini,claude-haiku-4-5",
        "--output",
        "html",
    ]);
    assert!(run
        .stdout
        .contains("<h2>The same calls on other models (cheapest first)</h2>"));
    assert!(run.stdout.contains("<h2>Cost per day (UTC) by model</h2>"));
    // 30 daily bars, one share bar, the baseline and two sweep bars.
    assert!(run.stdout.matches("<rect class=\"mark\"").count() >= 34);
}

#[test]
fn estimate_reports_say_estimate() {
    let text = ok(&["estimate", "fixtures/workloads/per-1k.toml"]).stdout;
    assert!(text.starts_with("costsim estimate: 1 input,"), "{text}");
    let json = ok(&["estimate", "fixtures/workloads/per-1k.toml", "-o", "json"]).stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["command"], "estimate");
}

#[test]
fn an_unwritable_line_items_file_is_named_once_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("items.csv");
    let run = costsim(
        &["replay", DEMO, "--line-items", path.to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--line-items "), "{}", run.stderr);
    // The cause is said once, not repeated by the error chain.
    assert_eq!(
        run.stderr.matches("os error 2").count(),
        1,
        "{}",
        run.stderr
    );
}
