//! `costsim replay` on the demo workload: every output format, stdin,
//! grouping, filtering, determinism.

use crate::util::{costsim, femto, golden, ok, replay_json};

const DEMO: &str = "fixtures/demo/traces.jsonl";

#[test]
fn default_table_matches_golden() {
    let run = ok(&["replay", DEMO]);
    golden("fixtures/golden/demo.table.txt", &run.stdout);
    assert!(run.stderr.is_empty(), "unexpected stderr: {}", run.stderr);
}

#[test]
fn every_output_format_matches_golden() {
    let by = ["--by", "model", "--by", "day"];
    for (format, file) in [
        ("table", "demo-by-model-day.table.txt"),
        ("markdown", "demo-by-model-day.md"),
        ("csv", "demo-by-model-day.csv"),
        ("json", "demo-by-model-day.json"),
    ] {
        let mut args = vec!["replay", DEMO];
        args.extend(by);
        args.extend(["--output", format]);
        let run = ok(&args);
        golden(&format!("fixtures/golden/{file}"), &run.stdout);
    }
}

#[test]
fn markdown_is_a_valid_table() {
    let run = ok(&[
        "replay", DEMO, "--by", "model", "--by", "day", "-o", "markdown",
    ]);
    let rows: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with('|')).collect();
    assert!(rows.len() >= 4, "{}", run.stdout);
    let columns = rows[0].matches(" | ").count();
    for row in &rows {
        assert!(row.ends_with(" |"), "row not closed: {row}");
        assert_eq!(row.matches(" | ").count(), columns, "ragged row: {row}");
    }
    assert!(rows[1].starts_with("| :--- | :--- | ---: |"), "{}", rows[1]);
}

/// The same numbers in every format: the CSV rows, the JSON rows and the
/// table cells agree (the table rounds to cents or 4 decimals).
#[test]
fn all_formats_show_the_same_numbers() {
    let json = replay_json(&[DEMO]);
    let csv_run = ok(&["replay", DEMO, "-o", "csv"]);
    let table = ok(&["replay", DEMO]).stdout;
    let mut reader = csv::Reader::from_reader(csv_run.stdout.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(records.len(), rows.len());
    for (record, row) in records.iter().zip(rows) {
        assert_eq!(&record[0], row["keys"]["model"].as_str().unwrap());
        assert_eq!(
            record[1].parse::<u64>().unwrap(),
            row["calls"].as_u64().unwrap()
        );
        assert_eq!(
            record[3].parse::<u64>().unwrap(),
            row["tokens"]["input"].as_u64().unwrap()
        );
        let csv_cost: f64 = record[9].parse().unwrap();
        assert_eq!(csv_cost, row["cost_usd"].as_f64().unwrap());
        let model = row["keys"]["model"].as_str().unwrap();
        let line = table
            .lines()
            .find(|l| l.contains(&format!(" {model} ")))
            .unwrap();
        let cents = (femto(row) as f64 / 1e13).round() / 100.0;
        let shown = if cents >= 1.0 {
            format!("${cents:.2}")
        } else {
            format!("${:.4}", (femto(row) as f64 / 1e11).round() / 10_000.0)
        };
        assert!(line.contains(&shown), "{line} lacks {shown}");
    }
}

#[test]
fn stdin_equals_the_file() {
    let data = std::fs::read(crate::util::fixture(DEMO)).unwrap();
    let from_stdin = costsim(&["replay", "-"], Some(&data));
    let from_file = ok(&["replay", DEMO]);
    assert_eq!(from_stdin.code, 0, "{}", from_stdin.stderr);
    assert_eq!(from_stdin.stdout, from_file.stdout);
}

#[test]
fn compressed_inputs_equal_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::fs::read(crate::util::fixture(DEMO)).unwrap();
    let gz = dir.path().join("a.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &data).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let zst = dir.path().join("b.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(&data[..], 3).unwrap()).unwrap();
    let plain = replay_json(&[DEMO]);
    for path in [&gz, &zst] {
        let other = replay_json(&[path.to_str().unwrap()]);
        assert_eq!(other["rows"], plain["rows"], "{}", path.display());
    }
}

#[test]
fn directories_and_globs_are_expanded() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::fs::read(crate::util::fixture(DEMO)).unwrap();
    std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
    std::fs::write(dir.path().join("a/one.jsonl"), &data).unwrap();
    std::fs::write(dir.path().join("a/b/two.jsonl"), &data).unwrap();
    std::fs::write(dir.path().join("a/b/notes.txt"), "not a trace").unwrap();
    let from_dir = replay_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(from_dir["inputs"].as_array().unwrap().len(), 2);
    let single = replay_json(&[DEMO]);
    assert_eq!(femto(&from_dir["total"]), 2 * femto(&single["total"]));
    let pattern = format!("{}/a/**/*.jsonl", dir.path().display());
    let from_glob = replay_json(&[&pattern]);
    assert_eq!(from_glob["total"], from_dir["total"]);
}

#[test]
fn totals_do_not_depend_on_threads_or_file_split() {
    let data = std::fs::read_to_string(crate::util::fixture(DEMO)).unwrap();
    let mut lines: Vec<&str> = data.lines().collect();
    lines.reverse();
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, chunk) in lines.chunks(37).enumerate() {
        let p = dir.path().join(format!("part-{i:02}.jsonl"));
        std::fs::write(&p, chunk.join("\n")).unwrap();
        paths.push(p.to_str().unwrap().to_string());
    }
    let whole = replay_json(&[DEMO, "--threads", "1"]);
    for threads in ["1", "2", "7"] {
        let mut args: Vec<&str> = paths.iter().map(String::as_str).collect();
        args.extend(["--threads", threads]);
        let split = replay_json(&args);
        assert_eq!(split["rows"], whole["rows"], "threads {threads}");
        assert_eq!(split["total"], whole["total"]);
    }
}

#[test]
fn groups_by_tag_account_and_session() {
    let json = replay_json(&[DEMO, "--by", "tag:team", "--by", "account"]);
    let total = femto(&json["total"]);
    let sum: i128 = json["rows"].as_array().unwrap().iter().map(femto).sum();
    assert_eq!(sum, total);
    assert!(json["rows"][0]["keys"]["tag:team"].is_string());
    let sessions = replay_json(&[DEMO, "--by", "session"]);
    assert!(sessions["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["keys"]["session"] == "(none)"));
}

#[test]
fn time_groups_are_in_time_order() {
    let json = replay_json(&[DEMO, "--by", "day"]);
    let days: Vec<&str> = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["keys"]["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2026-03-02", "2026-03-03", "2026-03-04"]);
    let weeks = replay_json(&[DEMO, "--by", "week"]);
    assert_eq!(weeks["rows"][0]["keys"]["week"], "2026-W10");
    let months = replay_json(&[DEMO, "--by", "month"]);
    assert_eq!(months["rows"][0]["keys"]["month"], "2026-03");
}

#[test]
fn since_and_until_filter_whole_days() {
    let all = replay_json(&[DEMO, "--by", "day"]);
    let one = replay_json(&[DEMO, "--since", "2026-03-03", "--until", "2026-03-03"]);
    let day = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["keys"]["day"] == "2026-03-03")
        .unwrap();
    assert_eq!(femto(&one["total"]), femto(day));
    assert_eq!(one["calls"], day["calls"]);
    assert_eq!(
        one["filtered_out"].as_u64().unwrap() + one["calls"].as_u64().unwrap(),
        all["calls"].as_u64().unwrap()
    );
}

#[test]
fn out_writes_a_file_and_nothing_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let run = ok(&[
        "replay",
        DEMO,
        "-o",
        "json",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(run.stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(written, replay_json(&[DEMO]));
}

#[test]
fn json_report_has_the_documented_header() {
    let json = replay_json(&[DEMO]);
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["calls"], 263);
    assert_eq!(json["skipped"]["total"], 0);
    assert_eq!(json["pricing"]["date"], "at_call");
    assert!(json["pricing"]["catalog_version"]
        .as_str()
        .unwrap()
        .starts_with("20"));
    assert_eq!(json["group_by"], serde_json::json!(["model"]));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("costsim"))
        .current_dir(crate::util::root())
        .args(["replay", DEMO, "--by", "session"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn help_describes_every_flag() {
    let run = ok(&["replay", "--help"]);
    for flag in [
        "--by",
        "--since",
        "--until",
        "--pricing-date",
        "--pricing",
        "--output",
        "--out",
        "--strict",
        "--quiet",
        "--threads",
    ] {
        assert!(run.stdout.contains(flag), "--help lacks {flag}");
    }
    assert!(run.stdout.contains("[default: table]"));
}

/// The README shows the demo table; keep it in step with the real output.
#[test]
fn readme_shows_the_real_demo_output() {
    let readme = std::fs::read_to_string(crate::util::fixture("README.md")).unwrap();
    let run = ok(&["replay", DEMO]);
    assert!(
        readme.contains(run.stdout.trim_end()),
        "README.md's demo table is out of date; paste in:\n{}",
        run.stdout
    );
    assert!(readme.contains("cargo run --release -- replay fixtures/demo/traces.jsonl"));
    assert!(readme.contains("cargo test --release"));
}

/// Big files are parsed in parallel pieces: the report, the skipped line's
/// number and every total are the same as a one-thread read.
#[test]
fn a_big_file_split_across_threads_reads_the_same() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let pad = "x".repeat(400);
    for i in 0..90_000u64 {
        if i == 61_234 {
            writeln!(f, "{{\"ts\":\"2026-03-01T00:00:00Z\",\"model\":\"gpt-5\",\"usage\":{{\"input\":-1}}}}").unwrap();
            continue;
        }
        writeln!(
            f,
            r#"{{"ts":"2026-03-{:02}T{:02}:00:00Z","model":"{}","session":"s{}","tags":{{"pad":"{pad}"}},"usage":{{"input":{},"output":{}}}}}"#,
            1 + i % 28,
            i % 24,
            ["gpt-5", "claude-sonnet-4-5", "gemini-2.5-flash"][(i % 3) as usize],
            i / 10,
            100 + i % 977,
            10 + i % 313
        )
        .unwrap();
    }
    drop(f);
    assert!(std::fs::metadata(&path).unwrap().len() > 32 << 20);
    let p = path.to_str().unwrap();
    let one = replay_json(&[p, "--threads", "1", "--by", "model", "--by", "day"]);
    let two = replay_json(&[p, "--threads", "2", "--by", "model", "--by", "day"]);
    assert_eq!(one, two);
    assert_eq!(one["calls"], 89_999);
    let run = costsim(&["replay", p, "--threads", "2"], None);
    assert!(
        run.stderr
            .contains(&format!("{p}:61235: field \"usage.input\"")),
        "{}",
        run.stderr
    );
}

/// `--timezone` cuts days and weeks at local midnight, reads dates given to
/// `--since`/`--until` as local days and names the zone in the header and
/// JSON. Expected figures: fixtures/timezone/README.md.
#[test]
fn timezone_cuts_days_at_local_midnight() {
    const FILE: &str = "fixtures/timezone/midnight.jsonl";
    let days = |zone: Option<&str>, by: &str| -> Vec<(String, u64, String)> {
        let mut args = vec![FILE, "--by", by];
        if let Some(z) = zone {
            args.extend(["--timezone", z]);
        }
        let json = replay_json(&args);
        json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["keys"][by].as_str().unwrap().to_string(),
                    r["calls"].as_u64().unwrap(),
                    r["cost_femto_usd"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let row = |d: &str, n: u64, usd: &str| (d.to_string(), n, usd.to_string());
    assert_eq!(
        days(None, "day"),
        [
            row("2026-03-01", 2, "90000000000000"),
            row("2026-03-02", 1, "120000000000000"),
            row("2026-03-29", 1, "240000000000000")
        ]
    );
    assert_eq!(
        days(Some("Europe/Berlin"), "day"),
        [
            row("2026-03-01", 1, "30000000000000"),
            row("2026-03-02", 2, "180000000000000"),
            row("2026-03-29", 1, "240000000000000")
        ]
    );
    let weeks = |zone| {
        days(zone, "week")
            .iter()
            .map(|r| (r.0.clone(), r.1))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        weeks(None),
        [
            ("2026-W09".to_string(), 2),
            ("2026-W10".to_string(), 1),
            ("2026-W13".to_string(), 1)
        ]
    );
    assert_eq!(
        weeks(Some("Europe/Berlin")),
        [
            ("2026-W09".to_string(), 1),
            ("2026-W10".to_string(), 2),
            ("2026-W13".to_string(), 1)
        ]
    );

    let one_day = |zone: &[&str]| {
        let args = [
            &[FILE, "--since", "2026-03-02", "--until", "2026-03-02"][..],
            zone,
        ]
        .concat();
        let json = replay_json(&args);
        (
            json["calls"].as_u64().unwrap(),
            json["total"]["cost_femto_usd"]
                .as_str()
                .unwrap()
                .to_string(),
            json["timezone"].clone(),
        )
    };
    assert_eq!(
        one_day(&[]),
        (1, "120000000000000".to_string(), serde_json::json!("UTC"))
    );
    assert_eq!(
        one_day(&["--timezone", "europe/berlin"]),
        (
            2,
            "180000000000000".to_string(),
            serde_json::json!("Europe/Berlin")
        )
    );

    let table = ok(&["replay", FILE, "--timezone", "Europe/Berlin"]);
    assert!(
        table.stdout.starts_with("costsim replay: 1 input, 4 lines, 4 calls, 2026-03-01 23:30 → 2026-03-29 01:30 Europe/Berlin\n"),
        "{}",
        table.stdout
    );
    let html = ok(&["replay", FILE, "--timezone", "Europe/Berlin", "-o", "html"]);
    assert!(
        html.stdout
            .contains("Cost per day (Europe/Berlin) by model"),
        "{}",
        html.stdout
    );

    let bad = crate::util::costsim(&["replay", FILE, "--timezone", "Europe/Berln"], None);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("did you mean Europe/Berlin"),
        "{}",
        bad.stderr
    );
}

/// Latencies the logs record are reported per model as nearest-rank p50,
/// p95 and max, whatever the thread count. Expected figures:
/// fixtures/latency/README.md.
#[test]
fn recorded_latency_percentiles_per_model() {
    let json = |threads: &str| {
        replay_json(&["fixtures/latency/calls.jsonl", "--threads", threads])["latency_ms_by_model"]
            .clone()
    };
    let want = serde_json::json!([
        {"model": "claude-haiku-4-5", "calls": 3, "p50": 600, "p95": 900, "max": 900},
        {"model": "gpt-5-mini", "calls": 20, "p50": 1000, "p95": 1900, "max": 2000},
    ]);
    assert_eq!(json("1"), want);
    assert_eq!(json("2"), want);
    let html = ok(&["replay", "fixtures/latency/calls.jsonl", "-o", "html"]).stdout;
    assert!(html.contains("Latency per model"), "no latency table");
    assert!(html.contains("1,900 ms"), "no p95");
    // Logs without latencies: an empty list, and no table.
    assert_eq!(
        replay_json(&[DEMO])["latency_ms_by_model"],
        serde_json::json!([])
    );
}

/// `--by task`: a call's `task` tag names its task, else its session; calls
/// with neither are `(none)`. gpt-5-mini input is $0.25 per million tokens
/// (`pricing/openai.toml`): 1,000 tokens cost [250] micro-dollars.
#[test]
fn by_task_groups_by_task_tag_then_session() {
    let lines = [
        r#"{"ts":"2026-04-02T10:00:00Z","model":"gpt-5-mini","session":"s1","tags":{"task":"T1"},"usage":{"input":1000}}"#,
        r#"{"ts":"2026-04-02T10:01:00Z","model":"gpt-5-mini","session":"s1","usage":{"input":1000}}"#,
        r#"{"ts":"2026-04-02T10:02:00Z","model":"gpt-5-mini","usage":{"input":1000}}"#,
        r#"{"ts":"2026-04-02T10:03:00Z","model":"gpt-5-mini","session":"s2","tags":{"task":"T1"},"usage":{"input":1000}}"#,
    ]
    .join("\n");
    let run = costsim(
        &["replay", "-", "--by", "task", "--json"],
        Some(lines.as_bytes()),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rows: Vec<(String, u64, i128)> = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["keys"]["task"].as_str().unwrap().to_string(),
                r["calls"].as_u64().unwrap(),
                femto(r),
            )
        })
        .collect();
    let micro = 1_000_000_000i128;
    assert_eq!(
        rows,
        [
            ("T1".to_string(), 2, 500 * micro),
            ("(none)".to_string(), 1, 250 * micro),
            ("s1".to_string(), 1, 250 * micro),
        ]
    );
}
