//! Hostile input (issue #16): bounded memory, the same bytes every run, no
//! data lost, no panic. Each test here failed before its fix. Items of the
//! issue tested elsewhere:
//! - closed pipes: `pipes.rs` (stdout and stderr closed), `replay.rs`
//!   (`a_closed_pipe_is_not_an_error`);
//! - one response logged twice: `real_logs.rs`
//!   (`claude_code_tree_keeps_the_largest_copy_of_each_response`) and
//!   `replay.rs` (`totals_do_not_depend_on_threads_or_file_split`);
//! - an increase from a $0 baseline: `check.rs`
//!   (`an_increase_from_zero_fails_any_max_increase`);
//! - garbage bytes: `bad_input.rs` (`garbage_bytes_never_panic`), and every
//!   format's parser on mutated fixture lines: the property test
//!   `src/ingest/format.rs` (`never_panics`);
//! - an unreadable directory cannot be made as root (CI runs as root): the
//!   walk reports it as it reports an unreadable file (`walk_dir` in
//!   `src/ingest/mod.rs`, the same path as the symlink loop tested here).

/// `--out` or `--line-items` naming an input (however spelt) is refused
/// before anything is written, so the input is not destroyed.
#[test]
fn an_output_that_is_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("traces.jsonl");
    std::fs::copy(
        crate::util::root().join("fixtures/demo/traces.jsonl"),
        &input,
    )
    .unwrap();
    let before = std::fs::read(&input).unwrap();
    let same = dir.path().join(".").join("traces.jsonl");
    for flag in ["--out", "--line-items"] {
        let run = crate::util::costsim(
            &[
                "replay",
                dir.path().to_str().unwrap(),
                flag,
                same.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(run.code, 2, "{flag}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("{flag} {}", same.display()))
                && run.stderr.contains("is also an input")
                && run.stderr.contains(&input.display().to_string()),
            "{}",
            run.stderr
        );
        assert_eq!(std::fs::read(&input).unwrap(), before, "{flag}");
    }
}

/// Calls without an id or session draw their route from what they are,
/// not from the position of their file among the arguments: the same two
/// files in either order give the same report.
#[test]
fn route_draws_do_not_depend_on_the_order_of_the_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for day in 1..=2 {
        let path = dir.path().join(format!("day{day}.jsonl"));
        let lines: String = (0..200)
            .map(|i| {
                format!(
                    "{{\"ts\":\"2026-03-0{day}T{:02}:{:02}:00Z\",\"model\":\"claude-sonnet-4-5\",\"usage\":{{\"input\":{},\"output\":{}}}}}\n",
                    i / 60,
                    i % 60,
                    1000 + i * 7,
                    50 + i
                )
            })
            .collect();
        std::fs::write(&path, lines).unwrap();
        paths.push(path.to_str().unwrap().to_string());
    }
    let route = "claude-sonnet-4-5=claude-haiku-4-5:0.5,claude-sonnet-4-5:0.5";
    let report = |a: &str, b: &str| {
        let json = crate::util::replay_json(&[a, b, "--route", route]);
        crate::util::femto(crate::util::scenario(&json, "route"))
    };
    assert_eq!(report(&paths[0], &paths[1]), report(&paths[1], &paths[0]));
}

/// Calls at the same instant in two files are replayed in the order of the
/// files' names, whatever the order of the arguments: here the order decides
/// whether the longer prompt finds the shorter one cached
/// (69,000,000,000,000 fUSD as recorded; cache-5m 51,000,000,000,000 with
/// the 10,000-token call first, 85,500,000,000,000 the other way round).
#[test]
fn calls_at_the_same_instant_keep_one_order_whatever_the_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, input: u64| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!("{{\"ts\":\"2026-06-01T10:00:00Z\",\"model\":\"claude-sonnet-4-5\",\"session\":\"s\",\"usage\":{{\"input\":{input},\"output\":100}}}}\n"),
        )
        .unwrap();
        path.display().to_string()
    };
    let (short, long) = (write("a.jsonl", 10_000), write("b.jsonl", 12_000));
    let cached = |first: &str, second: &str| {
        let json = crate::util::replay_json(&[first, second, "--scenario", "cache-5m"]);
        crate::util::femto(crate::util::scenario(&json, "cache-5m"))
    };
    assert_eq!(cached(&short, &long), 51_000_000_000_000);
    assert_eq!(cached(&long, &short), 51_000_000_000_000);
}

/// A symlinked trace inside an input directory is read; a symlink loop is
/// reported as unreadable (naming the loop) and the rest is read.
#[cfg(unix)]
#[test]
fn symlinks_in_an_input_directory_are_followed_and_loops_reported() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("sub")).unwrap();
    let demo = crate::util::root().join("fixtures/demo/traces.jsonl");
    std::os::unix::fs::symlink(&demo, input.join("linked.jsonl")).unwrap();
    std::os::unix::fs::symlink("..", input.join("sub/loop")).unwrap();
    let run = crate::util::costsim(&["replay", input.to_str().unwrap(), "-o", "json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // The demo's 263 calls, through the link.
    assert_eq!(report["calls"], 263);
    assert_eq!(report["unreadable_files"], 1);
    assert!(
        run.stderr.contains("sub/loop: cannot read: a symlink loop"),
        "{}",
        run.stderr
    );
}

/// A line longer than 64 MiB is skipped with its own reason, without being
/// held in memory, and the lines after it are read.
#[test]
fn a_huge_line_is_skipped_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    use std::io::Write;
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..65 {
        f.write_all(&chunk).unwrap();
    }
    writeln!(f).unwrap();
    writeln!(
        f,
        r#"{{"ts":"2026-03-01T00:00:00Z","model":"gpt-5","usage":{{"input":1000000,"output":0}}}}"#
    )
    .unwrap();
    drop(f);
    let run = crate::util::costsim(&["replay", path.to_str().unwrap(), "-o", "json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["calls"], 1);
    assert_eq!(report["skipped"]["by_reason"]["line_too_long"], 1);
    assert!(
        run.stderr.contains("huge.jsonl:1: line longer than 64 MiB"),
        "{}",
        run.stderr
    );
    // gpt-5: 1M input × $1.25
    assert_eq!(crate::util::femto(&report["total"]), 1_250_000_000_000_000);
}

/// Past the first few kept messages, skipped lines are only counted (their
/// messages are not held): every one is still in the header's count.
#[test]
fn many_bad_lines_are_all_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    let mut text = String::new();
    for _ in 0..3000 {
        text.push_str(r#"{"ts":"bad","model":"gpt-5","usage":{"input":1}}"#);
        text.push('\n');
    }
    text.push_str(r#"{"ts":"2026-03-01T00:00:00Z","model":"gpt-5","usage":{"input":1}}"#);
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let report = crate::util::replay_json(&[path.to_str().unwrap(), "--threads", "1"]);
    assert_eq!(report["skipped"]["by_reason"]["bad_timestamp"], 3000);
    assert_eq!(report["calls"], 1);
}

/// Absurd token counts in a usage export neither abort nor fill memory: a
/// count beyond 10^15 is a bad row, and a row of 10^13 tokens (100 million
/// pieces of 100k) stays one record priced at its mean request's tier.
#[test]
fn huge_export_rows_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.csv");
    std::fs::write(
        &path,
        "usage_date_utc,model_version,api_key,workspace,usage_type,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens,web_search_count\n\
         2025-06-12,claude-3-5-haiku-20241022,k,w,standard,18446744073709551615,0,0,0,1,0\n\
         2025-06-12,claude-3-5-haiku-20241022,k,w,standard,10000000000000,0,0,0,0,0\n",
    )
    .unwrap();
    let report = crate::util::replay_json(&[path.to_str().unwrap()]);
    assert_eq!(report["skipped"]["by_reason"]["bad_token_count"], 1);
    // 10^13 input tokens at Claude 3.5 Haiku's $0.80: $8,000,000, counted
    // as 10^8 requests of 100k tokens (below every long-context threshold)
    assert_eq!(report["calls"], 100_000_000);
    assert_eq!(
        crate::util::femto(&report["total"]),
        8_000_000_000_000_000_000_000
    );
}

/// A UTF-8 byte order mark (as Windows tools write one) is not data: a JSON
/// array or JSONL file that starts with one reads like one without.
#[test]
fn a_byte_order_mark_is_not_data() {
    let dir = tempfile::tempdir().unwrap();
    let record =
        r#"{"ts":"2026-03-01T00:00:00Z","model":"gpt-5","usage":{"input":1000,"output":100}}"#;
    for (name, body) in [
        ("array.json", format!("[{record}]\n")),
        ("lines.jsonl", format!("{record}\n")),
    ] {
        let path = dir.path().join(name);
        let mut bytes = vec![0xef, 0xbb, 0xbf];
        bytes.extend_from_slice(body.as_bytes());
        std::fs::write(&path, bytes).unwrap();
        let json = crate::util::replay_json(&[path.to_str().unwrap()]);
        // gpt-5: 1,000 × $1.25 + 100 × $10 = [1,250 + 1,000] µ$
        assert_eq!(
            crate::util::femto(&json["total"]),
            2_250_000_000_000,
            "{name}"
        );
    }
}

/// Text from logs that a spreadsheet would run as a formula goes out with a
/// leading `'` in CSV; negative numbers stay numbers.
#[test]
fn csv_cells_never_start_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"ts":"2026-03-01T00:00:00Z","model":"=HYPERLINK(\"http://x\")","usage":{"input":10}}"#,
            "\n",
            r#"{"ts":"2026-03-01T00:00:00Z","model":"gpt-5","tags":{"team":"@sum(A1)"},"usage":{"input":10}}"#,
            "\n",
        ),
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let run = crate::util::ok(&[
        "replay", path, "--by", "model", "--by", "tag:team", "-o", "csv",
    ]);
    assert!(run.stdout.contains("'=HYPERLINK"), "{}", run.stdout);
    assert!(run.stdout.contains("'@sum(A1)"), "{}", run.stdout);
    for line in run.stdout.lines() {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(!cell.starts_with(['=', '+', '@']), "{line}");
        }
    }
}

/// Escape sequences and carriage returns in log fields never reach the
/// terminal or break a markdown table: they are shown as U+FFFD.
#[test]
fn control_characters_in_log_fields_are_not_printed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("escapes.jsonl");
    std::fs::write(
        &path,
        r#"{"ts":"2026-03-01T00:00:00Z","model":"gpt-5","tags":{"team":"red\u001b[31mteam\rover"},"usage":{"input":10}}"#,
    )
    .unwrap();
    let path = path.to_str().unwrap();
    for format in ["table", "markdown"] {
        let run = crate::util::ok(&["replay", path, "--by", "tag:team", "-o", format]);
        assert!(!run.stdout.contains('\u{1b}'), "{format}: {:?}", run.stdout);
        assert!(!run.stdout.contains('\r'), "{format}: {:?}", run.stdout);
        assert!(
            run.stdout.contains("red\u{fffd}"),
            "{format}: {}",
            run.stdout
        );
    }
}

/// Counts no call can have (beyond 10^15 tokens of a kind) are skipped with
/// a reason, so no sum over a call's counts, and no count a scenario scales,
/// can wrap: here a prompt of u64::MAX − 5 plus 10 cached tokens would wrap
/// to 4 tokens and a segment sum to a few.
#[test]
fn counts_beyond_any_call_are_skipped_not_wrapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"ts":"2026-03-01T00:00:00Z","model":"gpt-5","usage":{"input":18446744073709551610,"cache_read":10,"output":1}}"#,
            "\n",
            r#"{"ts":"2026-03-01T00:00:00Z","model":"gpt-5","usage":{"input":20,"output":1},"prompt":{"segments":[{"tokens":18446744073709551610},{"tokens":26}]}}"#,
            "\n",
            r#"{"ts":"2026-03-01T00:00:00Z","model":"gpt-5","usage":{"input":1000,"output":100}}"#,
            "\n",
        ),
    )
    .unwrap();
    let json = crate::util::replay_json(&[path.to_str().unwrap(), "--scenario", "cache-5m"]);
    assert_eq!(json["skipped"]["by_reason"]["bad_token_count"], 2, "{json}");
    assert_eq!(json["total"]["calls"], 1);
    // The one real call: gpt-5, 1,000 × $1.25 + 100 × $10 = [2,250] µ$.
    assert_eq!(crate::util::femto(&json["total"]), 2_250_000_000_000);
}

/// UTF-16 text and lines ended by a carriage return alone are named for what
/// they are (the file is unreadable, exit 2), not reported as bad JSON.
#[test]
fn encodings_costsim_cannot_read_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let record = r#"{"ts":"2026-03-01T00:00:00Z","model":"gpt-5","usage":{"input":10}}"#;
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(record.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let cr_only = format!("{record}\r{record}\r").into_bytes();
    for (name, bytes, want) in [
        ("utf16.jsonl", utf16, "UTF-16 text"),
        ("mac.jsonl", cr_only, "carriage return alone"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let run = crate::util::costsim(&["replay", path.to_str().unwrap()], None);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(want), "{name}: {}", run.stderr);
    }
}

/// `calls` lines of `model`, each with 10^15 input tokens: the most one call
/// may count, so each line is read and only their sums are too large.
fn full_calls(model: &str, calls: usize) -> String {
    let line = format!(
        r#"{{"ts":"2026-03-01T00:00:00Z","model":"{model}","usage":{{"input":1000000000000000}}}}"#
    );
    (0..calls).map(|_| format!("{line}\n")).collect()
}

/// A sum past u64 (18,447 × 10^15 tokens) is an error naming the group, in
/// the breakdown, the total row and a scenario's totals; never a wrapped
/// count.
#[test]
fn sums_that_overflow_are_an_error_naming_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let one_group = dir.path().join("one.jsonl");
    std::fs::write(&one_group, full_calls("gpt-5", 20_000)).unwrap();
    let one_group = one_group.to_str().unwrap();
    for extra in [&[][..], &["--scenario", "cache-off"]] {
        let run = crate::util::costsim(&[&["replay", one_group][..], extra].concat(), None);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains("the sums of group `gpt-5` overflow"),
            "{}",
            run.stderr
        );
        assert!(!run.stdout.contains("gpt-5"), "{}", run.stdout);
    }
    // Two groups of 10^19 tokens each fit; their total does not.
    let two_groups = dir.path().join("two.jsonl");
    let text = full_calls("gpt-5", 10_000) + &full_calls("gpt-5-mini", 10_000);
    std::fs::write(&two_groups, text).unwrap();
    let run = crate::util::costsim(&["replay", two_groups.to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("the sums of the total row overflow"),
        "{}",
        run.stderr
    );
}

/// Merging saved reports whose sums overflow is refused (it printed −12
/// femto-dollars); each report alone is fine.
#[test]
fn merged_sums_that_overflow_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("half.jsonl");
    std::fs::write(&input, full_calls("gpt-5", 10_000)).unwrap();
    let saved = dir.path().join("half.json");
    let run = crate::util::costsim(
        &[
            "replay",
            input.to_str().unwrap(),
            "-o",
            "json",
            "--out",
            saved.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let saved = saved.to_str().unwrap();
    let run = crate::util::costsim(&["merge", saved, saved], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("group `gpt-5` overflow"),
        "{}",
        run.stderr
    );
}

/// A negative number given to a flag is that flag's error, not clap's
/// "use `-- -5`" tip (which would make `-5` an input file).
#[test]
fn negative_values_are_named_by_their_flag() {
    let demo = "fixtures/demo/traces.jsonl";
    for (args, want) in [
        (&["replay", demo, "--top", "-5"][..], "'--top <N>'"),
        (&["replay", demo, "--threads", "-1"], "'--threads <N>'"),
        (
            &["replay", demo, "--max-tokens", "-5"],
            "'--max-tokens <TOKENS>'",
        ),
        (
            &["replay", demo, "--batch", "-0.5"],
            "--batch: share: `-0.5` is negative",
        ),
        (
            &["check", demo, "--budget", "-5/day"],
            "--budget `-5/day`: `-5` is negative",
        ),
        (
            &["check", demo, "--max-share", "gpt*=-5%"],
            "`-5` is negative",
        ),
    ] {
        let run = crate::util::costsim(args, None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(want), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("-- -"), "{args:?}: {}", run.stderr);
    }
}

/// `synth` refuses a workload whose numbers would wrap or whose times
/// cannot be written, instead of writing wrapped calls.
#[test]
fn synth_refuses_numbers_it_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let workload = dir.path().join("huge.toml");
    std::fs::write(
        &workload,
        "model = \"gpt-5\"\nrequests_per_day = 1\nuser_tokens = 1\noutput_tokens = 1\n\
         steps = 3\ngrowth_per_step = 9223372036854775807\n",
    )
    .unwrap();
    let run = crate::util::costsim(&["synth", workload.to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("last step's prompt"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

/// Item 9: an epoch time of 2^63 milliseconds or more is out of range and
/// skipped as a bad timestamp, not read as 1969.
#[test]
fn epoch_times_beyond_i64_are_skipped() {
    let lines = "{\"ts\":9223372036854775808,\"model\":\"gpt-5\",\"usage\":{\"input\":10}}\n\
                 {\"ts\":\"2026-03-01T00:00:00Z\",\"model\":\"gpt-5\",\"usage\":{\"input\":10}}\n";
    let run = crate::util::costsim(&["replay", "-", "-o", "json"], Some(lines.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("<stdin>:1: field \"ts\""),
        "{}",
        run.stderr
    );
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["total"]["calls"], 1);
    assert!(!run.stdout.contains("1969"), "{}", run.stdout);
}

/// Item 11: a 1 MB unknown model name gets no suggestions (they took 23 s
/// of CPU), and the call is still shown, unpriced.
#[test]
fn a_huge_model_name_gets_no_suggestions() {
    let name = "m".repeat(1 << 20);
    let line = format!(
        "{{\"ts\":\"2026-03-01T00:00:00Z\",\"model\":\"{name}\",\"usage\":{{\"input\":10}}}}\n"
    );
    let run = crate::util::costsim(&["replay", "-", "-o", "json"], Some(line.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stderr.contains("did you mean"),
        "{}",
        &run.stderr[..200]
    );
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["total"]["unpriced_calls"], 1);
}

/// Smaller items: a catalog naming one model twice, and a scenario file
/// named `as-recorded`, are refused (the last model won silently; the
/// scenario vanished behind the baseline).
#[test]
fn names_that_would_hide_others_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = "[[models]]\nid = \"twin\"\ncontext_window = 1000\n[[models.periods]]\n\
                 from = 2025-01-01\ninput = 1\noutput = 2\nsource = \"test\"\nretrieved = 2025-01-01\n";
    std::fs::write(
        dir.path().join("acme.toml"),
        format!("provider = \"acme\"\n{model}{model}"),
    )
    .unwrap();
    let run = crate::util::costsim(&["pricing", "validate", dir.path().to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("twin"), "{}", run.stderr);
    let scenario = dir.path().join("mine.toml");
    std::fs::write(
        &scenario,
        "name = \"as-recorded\"\n[cache]\nmode = \"off\"\n",
    )
    .unwrap();
    let run = crate::util::costsim(
        &[
            "replay",
            "fixtures/demo/traces.jsonl",
            "--scenario",
            scenario.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("is reserved for the baseline"),
        "{}",
        run.stderr
    );
}
