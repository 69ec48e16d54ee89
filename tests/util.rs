//! A small harness for running the real `costsim` binary.

use std::path::PathBuf;

use assert_cmd::Command;

/// The project root, so tests can name fixtures as `fixtures/...`.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture path relative to the project root.
pub fn fixture(rel: &str) -> PathBuf {
    root().join(rel)
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `costsim ARGS` in the project root (so relative fixture paths in the
/// output stay short and stable), with `stdin` if given. `HOME` is the home
/// the fixtures' agent logs were written in (`/home/dev`), so directories
/// under it show as `~/…` on every machine.
pub fn costsim(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = command();
    cmd.current_dir(root()).args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_vec());
    }
    run(cmd)
}

/// The binary with the tests' environment: no settings file and no
/// `COSTSIM_*` variables of whoever runs the tests.
pub fn command() -> Command {
    let mut cmd = Command::cargo_bin("costsim").expect("binary built");
    cmd.env("TZ", "Pacific/Chatham")
        .env("HOME", "/home/dev")
        .env("COSTSIM_CONFIG", "");
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("COSTSIM_")) {
        if name != "COSTSIM_CONFIG" {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// Runs a prepared command.
pub fn run(mut cmd: Command) -> Run {
    let out = cmd.output().expect("costsim runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs and requires exit code 0.
pub fn ok(args: &[&str]) -> Run {
    let run = costsim(args, None);
    assert_eq!(run.code, 0, "costsim {args:?} failed:\n{}", run.stderr);
    run
}

/// Runs `replay ... --output json` and parses the report.
pub fn replay_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["replay"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", "json"]);
    let run = ok(&all);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{}", run.stdout))
}

/// The exact cost of a JSON report row or total, in femto-dollars.
pub fn femto(value: &serde_json::Value) -> i128 {
    value["cost_femto_usd"]
        .as_str()
        .unwrap_or_else(|| panic!("no cost in {value}"))
        .parse()
        .expect("integer")
}

/// Dollars to femto-dollars, for expected values written as decimals.
pub fn usd(text: &str) -> i128 {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = format!("{frac:0<15}");
    assert!(frac.len() == 15, "{text}: too many decimals");
    whole.parse::<i128>().unwrap() * 1_000_000_000_000_000 + frac.parse::<i128>().unwrap()
}

/// Compares `actual` with the golden file `rel`; with `UPDATE_GOLDEN=1` the
/// file is rewritten instead (then review the diff before committing).
pub fn golden(rel: &str, actual: &str) {
    let path = fixture(rel);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{} differs from the output:\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// Runs `costsim ARGS` as [`costsim`] does, with environment changes:
/// `Some(value)` sets a variable, `None` removes it.
pub fn costsim_env(args: &[&str], env: &[(&str, Option<&str>)]) -> Run {
    let mut cmd = Command::cargo_bin("costsim").expect("binary built");
    cmd.current_dir(root())
        .args(args)
        .env("TZ", "Pacific/Chatham");
    for (key, value) in env {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    let out = cmd.output().expect("costsim runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The scenario entry named `name` of a JSON report; fails listing the
/// names if missing.
pub fn scenario<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let list = report["scenarios"].as_array().expect("scenarios array");
    list.iter().find(|s| s["name"] == name).unwrap_or_else(|| {
        let names: Vec<&serde_json::Value> = list.iter().map(|s| &s["name"]).collect();
        panic!("no scenario {name}; have {names:?}")
    })
}

/// The `by_model` entry of a scenario for `model`.
pub fn model<'a>(scenario: &'a serde_json::Value, model: &str) -> &'a serde_json::Value {
    let list = scenario["by_model"].as_array().expect("by_model array");
    list.iter()
        .find(|m| m["model"] == model)
        .unwrap_or_else(|| panic!("no model {model} in {scenario}"))
}

/// Token sums of a row, total or scenario, in the order input, cache_read,
/// cache_write_5m, cache_write_1h, output.
pub fn tokens(value: &serde_json::Value) -> [u64; 5] {
    let t = &value["tokens"];
    [
        "input",
        "cache_read",
        "cache_write_5m",
        "cache_write_1h",
        "output",
    ]
    .map(|k| {
        t[k].as_u64()
            .unwrap_or_else(|| panic!("no tokens.{k} in {value}"))
    })
}

pub fn calls(value: &serde_json::Value) -> u64 {
    value["calls"].as_u64().expect("calls")
}

/// The exact change from the baseline of a scenario entry, in femto-dollars.
pub fn delta(value: &serde_json::Value) -> i128 {
    value["delta_femto_usd"]
        .as_str()
        .unwrap_or_else(|| panic!("no delta in {value}"))
        .parse()
        .expect("integer")
}

/// What a report must say about its input lines.
pub struct ReadCounts {
    pub format: &'static str,
    /// Files read in that format.
    pub files: u64,
    /// Non-blank lines read; `None` where the count depends on how a
    /// pretty-printed file is split.
    pub lines: Option<u64>,
    pub calls: u64,
    pub not_calls: u64,
    pub duplicates: u64,
    pub skipped: &'static [(&'static str, u64)],
    pub unpriced_calls: u64,
}

/// Checks what `report` says about the lines it read against `want`.
pub fn check_read(report: &serde_json::Value, want: ReadCounts) {
    let formats = report["formats"].as_object().expect("formats");
    assert_eq!(formats.len(), 1, "formats {formats:?}");
    assert_eq!(
        formats.get(want.format).and_then(serde_json::Value::as_u64),
        Some(want.files),
        "formats {formats:?}"
    );
    if let Some(lines) = want.lines {
        assert_eq!(report["lines"].as_u64(), Some(lines), "lines");
    }
    assert_eq!(report["calls"].as_u64(), Some(want.calls), "calls");
    assert_eq!(calls(&report["total"]), want.calls, "total calls");
    assert_eq!(
        report["lines_without_usage"].as_u64(),
        Some(want.not_calls),
        "lines without usage"
    );
    assert_eq!(
        report["duplicates_folded"].as_u64(),
        Some(want.duplicates),
        "duplicates folded"
    );
    let by_reason = report["skipped"]["by_reason"]
        .as_object()
        .expect("by_reason");
    let total: u64 = want.skipped.iter().map(|(_, n)| n).sum();
    assert_eq!(
        report["skipped"]["total"].as_u64(),
        Some(total),
        "skipped {by_reason:?}"
    );
    assert_eq!(by_reason.len(), want.skipped.len(), "skipped {by_reason:?}");
    for (reason, n) in want.skipped {
        assert_eq!(
            by_reason.get(*reason).and_then(serde_json::Value::as_u64),
            Some(*n),
            "skipped {reason} in {by_reason:?}"
        );
    }
    assert_eq!(
        report["total"]["unpriced_calls"].as_u64(),
        Some(want.unpriced_calls),
        "unpriced calls"
    );
}

/// What a breakdown says per row and in total, without what only a log can
/// carry (billed amounts, the header): keys, calls, tokens, exact costs.
fn priced_rows(report: &serde_json::Value, with_calls: bool) -> Vec<String> {
    let rows = report["rows"].as_array().expect("rows");
    rows.iter()
        .chain(std::iter::once(&report["total"]))
        .map(|r| {
            format!(
                "{} calls={} tokens={} cost={} tools={}",
                r["keys"],
                if with_calls {
                    r["calls"].to_string()
                } else {
                    "-".into()
                },
                r["tokens"],
                r["cost_femto_usd"],
                r["tools_femto_usd"]
            )
        })
        .collect()
}

/// The logs `inputs` and `twin`, a canonical trace of the calls their
/// README counts, give the same breakdown by `by`: rows, calls (unless the
/// log's records stand for several requests each), tokens and exact costs.
pub fn same_as_twin(inputs: &[&str], twin: &str, extra: &[&str], with_calls: bool) {
    let mut logs = inputs.to_vec();
    logs.extend_from_slice(extra);
    let mut traced = vec![twin];
    traced.extend_from_slice(extra);
    assert_eq!(
        priced_rows(&replay_json(&logs), with_calls),
        priced_rows(&replay_json(&traced), with_calls),
        "{inputs:?} vs {twin}"
    );
}

/// Builds the SQLite database `dir/name` from the SQL text at `sql` (below
/// the project root), as an agent's store: fixtures keep their databases as
/// reviewable SQL.
pub fn sqlite_db(sql: &str, dir: &std::path::Path, name: &str) -> PathBuf {
    let script = std::fs::read_to_string(root().join(sql)).expect("SQL fixture");
    std::fs::create_dir_all(dir).expect("folder for the database");
    let path = dir.join(name);
    let db = rusqlite::Connection::open(&path).expect("new database");
    db.execute_batch(&script).expect("SQL fixture runs");
    path
}
