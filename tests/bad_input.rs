//! Bad input: every problem is named with `file:line`, counted, and turns
//! into exit code 2 under `--strict`; nothing panics.

use crate::util::{costsim, replay_json};

#[test]
fn one_bad_line_is_counted_and_placed() {
    let run = costsim(&["replay", "fixtures/bad/one-bad-line.jsonl"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("Skipped 1 line: malformed JSON 1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("fixtures/bad/one-bad-line.jsonl:3: malformed JSON"),
        "{}",
        run.stderr
    );
    let json = replay_json(&["fixtures/bad/one-bad-line.jsonl"]);
    assert_eq!(json["calls"], 3);
    assert_eq!(json["skipped"]["by_reason"]["malformed_json"], 1);
}

#[test]
fn strict_turns_a_bad_line_into_exit_2() {
    let run = costsim(
        &["replay", "fixtures/bad/one-bad-line.jsonl", "--strict"],
        None,
    );
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("one-bad-line.jsonl:3:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--strict"), "{}", run.stderr);
}

#[test]
fn every_problem_has_its_reason_and_field() {
    let run = costsim(
        &["replay", "fixtures/bad/every-problem.jsonl", "--strict"],
        None,
    );
    assert_eq!(run.code, 2);
    let f = "fixtures/bad/every-problem.jsonl";
    for expected in [
        format!("{f}:2: field \"usage.input\": invalid value: integer `-5`"),
        format!("{f}:3: field \"usage.input\": invalid value: floating point `12.5`"),
        format!("{f}:4: field \"usage.input\": invalid type: string \"12\""),
        format!("{f}:5: field \"ts\": invalid value: string \"last tuesday\""),
        format!("{f}:6: field \"ts\": missing"),
        format!("{f}:7: field \"model\": missing"),
        format!("{f}:8: field \"usage\": missing"),
        format!("{f}:9: field \"usage.reasoning\": 200 exceeds usage.output 100"),
        format!("{f}:10: malformed JSON"),
        format!("{f}:11: malformed JSON"),
    ] {
        assert!(
            run.stderr.contains(&expected),
            "missing `{expected}` in:\n{}",
            run.stderr
        );
    }
    let json = replay_json(&[f]);
    assert_eq!(json["lines"], 13, "the blank line is not counted");
    assert_eq!(json["calls"], 3);
    let reasons = &json["skipped"]["by_reason"];
    assert_eq!(reasons["bad_token_count"], 3);
    assert_eq!(reasons["bad_timestamp"], 1);
    assert_eq!(reasons["missing_field"], 3);
    assert_eq!(reasons["inconsistent_usage"], 1);
    assert_eq!(reasons["malformed_json"], 2);
    assert_eq!(json["skipped"]["total"], 10);
}

#[test]
fn unknown_model_is_an_unpriced_row_with_suggestions() {
    let run = costsim(&["replay", "fixtures/bad/every-problem.jsonl"], None);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr
            .contains("model `clade-haiku-4-5` is not in the pricing catalog"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean claude-haiku-4-5"),
        "{}",
        run.stderr
    );
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with('│') && l.contains("clade-haiku-4-5"))
        .unwrap();
    assert!(row.contains("(unpriced)") && row.contains("1,000"), "{row}");
    let json = replay_json(&["fixtures/bad/every-problem.jsonl"]);
    let unpriced = &json["unpriced_models"][0];
    assert_eq!(unpriced["model"], "clade-haiku-4-5");
    assert_eq!(unpriced["calls"], 1);
    let row = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["keys"]["model"] == "clade-haiku-4-5")
        .unwrap();
    assert!(row["cost_usd"].is_null());
    assert_eq!(row["tokens"]["input"], 1000);
}

#[test]
fn truncated_gzip_keeps_the_lines_before_the_break() {
    let run = costsim(&["replay", "fixtures/bad/truncated.jsonl.gz"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("fixtures/bad/truncated.jsonl.gz:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("truncated"), "{}", run.stderr);
    assert!(run.stdout.contains("truncated input 1"), "{}", run.stdout);
    let strict = costsim(
        &["replay", "fixtures/bad/truncated.jsonl.gz", "--strict"],
        None,
    );
    assert_eq!(strict.code, 2);
}

#[test]
fn empty_input_is_an_error() {
    let run = costsim(&["replay", "fixtures/bad/empty.jsonl"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("fixtures/bad/empty.jsonl: file is empty"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("no calls to price"), "{}", run.stderr);
    let stdin = costsim(&["replay", "-"], Some(b""));
    assert_eq!(stdin.code, 2);
}

#[test]
fn missing_and_unreadable_paths_are_named() {
    let run = costsim(&["replay", "fixtures/nope.jsonl"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("fixtures/nope.jsonl: no such file or directory"),
        "{}",
        run.stderr
    );
    let glob = costsim(&["replay", "fixtures/nothing-*.jsonl"], None);
    assert_eq!(glob.code, 2);
    assert!(glob.stderr.contains("matches no files"), "{}", glob.stderr);
    let dir = tempfile::tempdir().unwrap();
    let run = costsim(&["replay", dir.path().to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no *.jsonl"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2_and_name_the_flag() {
    for (args, needle) in [
        (
            vec!["replay", "fixtures/demo/traces.jsonl", "--by", "colour"],
            "--by",
        ),
        (
            vec!["replay", "fixtures/demo/traces.jsonl", "--since", "March"],
            "--since",
        ),
        (
            vec![
                "replay",
                "fixtures/demo/traces.jsonl",
                "--pricing-date",
                "soon",
            ],
            "--pricing-date",
        ),
        (
            vec!["replay", "fixtures/demo/traces.jsonl", "--output", "xml"],
            "--output",
        ),
        (
            vec!["replay", "fixtures/demo/traces.jsonl", "--threads", "0"],
            "--threads",
        ),
        (vec!["replay"], "INPUT"),
    ] {
        let run = costsim(&args, None);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn garbage_bytes_never_panic() {
    let mut garbage = Vec::new();
    for i in 0..4096u32 {
        garbage.push((i.wrapping_mul(2_654_435_761) >> 13) as u8);
    }
    garbage.extend_from_slice(
        b"\n{\"ts\":\"2026-03-01T00:00:00Z\",\"model\":\"gpt-5\",\"usage\":{\"input\":1}}\n",
    );
    let run = costsim(&["replay", "-"], Some(&garbage));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
}
