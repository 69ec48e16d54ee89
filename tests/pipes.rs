//! A closed pipe ends a run quietly: `costsim … | head -1` exits 0 and says
//! nothing, and a closed standard error never makes costsim panic.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use crate::util::root;

/// A canonical trace big enough that its breakdown by session overflows a
/// pipe buffer many times over.
fn big_trace(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("big.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..50_000 {
        writeln!(
            f,
            r#"{{"ts":"2026-03-01T00:00:00Z","model":"gpt-5","session":"s{i}","usage":{{"input":100,"output":10}}}}"#
        )
        .unwrap();
    }
    path
}

fn costsim() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("costsim"));
    cmd.current_dir(root());
    cmd
}

/// Reads one line of stdout, closes the pipe, and returns the exit code and
/// what went to stderr.
fn first_line_then_close(args: &[&str]) -> (i32, String) {
    let mut child = costsim()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(!line.is_empty());
    // The reader is dropped here: the pipe is closed mid-output.
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let big = big_trace(dir.path());
    let big = big.to_str().unwrap();
    let saved = dir.path().join("r.json");
    let status = costsim()
        .args(["replay", big, "--by", "session", "-o", "json", "--out"])
        .arg(&saved)
        .status()
        .unwrap();
    assert!(status.success());
    let saved = saved.to_str().unwrap();
    for args in [
        vec!["replay", big, "--by", "session", "-o", "csv"],
        vec!["replay", big, "--by", "session"],
        vec!["replay", big, "--line-items", "/dev/stdout", "-o", "csv"],
        vec!["merge", saved, saved, "-o", "csv"],
        vec!["diff", saved, saved, "-o", "csv"],
    ] {
        let (code, stderr) = first_line_then_close(&args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[cfg(unix)]
#[test]
fn a_closed_stderr_is_not_a_panic() {
    let bin = assert_cmd::cargo::cargo_bin("costsim");
    // `2>&-` closes the descriptor: writes to it fail.
    let script = format!(
        "'{}' replay fixtures/demo/traces.jsonl --line-items /dev/null --no-such-flag 2>&-; echo $?; \
         '{}' replay /no/such/file 2>&-; echo $?; \
         '{}' replay fixtures/bad/every-problem.jsonl 2>&- >/dev/null; echo $?",
        bin.display(),
        bin.display(),
        bin.display()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(root())
        .output()
        .unwrap();
    let codes: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    // A usage error and a missing file exit 2; the run with warnings exits
    // 0 or 2 as it would with stderr open; never 101 (a panic).
    assert_eq!(codes.len(), 3, "{codes:?}");
    assert_eq!(codes[0], "2");
    assert_eq!(codes[1], "2");
    assert_ne!(codes[2], "101", "{codes:?}");
}
