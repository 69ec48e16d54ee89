//! Request options that change prices (fixtures/options/): Anthropic fast
//! mode and US-only inference, OpenAI priority and flex processing, priced
//! from the catalog's variants. The arithmetic is in
//! fixtures/options/README.md; amounts in brackets are micro-dollars.

use crate::util::{calls, costsim, femto, replay_json, scenario};

const CLAUDE: &str = "fixtures/options/claude-code-options.jsonl";
const OPENAI: &str = "fixtures/options/openai-service-tiers.jsonl";

fn row<'a>(report: &'a serde_json::Value, model: &str) -> &'a serde_json::Value {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["keys"]["model"] == model)
        .unwrap_or_else(|| panic!("no row for {model}"))
}

#[test]
fn fast_mode_and_us_inference_stack_on_the_applicable_rates() {
    let report = replay_json(&[CLAUDE]);
    // [360,300 + 66,055 + 396,330]
    let opus = row(&report, "claude-opus-4-6");
    assert_eq!(calls(opus), 3);
    assert_eq!(femto(opus), 822_685_000_000_000);
    // Haiku has no fast price: standard rates, [600], and a note says so.
    assert_eq!(femto(row(&report, "claude-haiku-4-5")), 600_000_000_000);
    assert_eq!(femto(&report["total"]), 823_285_000_000_000);
    let notes = report["notes"].to_string();
    assert!(notes.contains("1 calls name a request option"), "{notes}");
}

#[test]
fn cache_off_keeps_the_option_rates() {
    let report = replay_json(&[CLAUDE, "--scenario", "cache-off"]);
    // [870,300 + 159,555 + 957,330 + 600]
    assert_eq!(femto(scenario(&report, "cache-off")), 1_987_785_000_000_000);
}

#[test]
fn openai_priority_and_flex_processing() {
    let report = replay_json(&[OPENAI, "--by", "tag:service_tier"]);
    let tier = |name: &str| {
        report["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["keys"]["tag:service_tier"] == name)
            .map(femto)
            .unwrap_or_else(|| panic!("no row for {name}: {}", report["rows"]))
    };
    assert_eq!(tier("priority"), 17_000_000_000_000);
    assert_eq!(tier("flex"), 4_250_000_000_000);
    // [17,000 + 4,250 + 8,500]
    assert_eq!(femto(&report["total"]), 29_750_000_000_000);
    assert_eq!(report["notes"].as_array().map(Vec::len), Some(0));
}

#[test]
fn deepseek_off_peak_hours_are_priced_by_the_clock() {
    let report = replay_json(&[
        "fixtures/options/deepseek-hours.jsonl",
        "--by",
        "day",
        "--by",
        "model",
    ]);
    let cell = |day: &str, model: &str| {
        report["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["keys"]["day"] == day && r["keys"]["model"] == model)
            .map(femto)
            .unwrap_or_else(|| panic!("no row {day} {model}"))
    };
    // [2,050 off-peak 18:00 + 4,100 peak 10:00]
    assert_eq!(cell("2025-03-10", "deepseek-chat"), 6_150_000_000_000);
    // a quarter of [8,240]
    assert_eq!(cell("2025-03-10", "deepseek-reasoner"), 2_060_000_000_000);
    // 00:15, inside the window that opened at 16:30 the day before
    assert_eq!(cell("2025-03-11", "deepseek-chat"), 2_050_000_000_000);
    // [5,336 peak + 2,668 off-peak]; Saturday [2,668]; V4.1 prices [4,224]
    assert_eq!(cell("2026-08-20", "deepseek-v4-flash"), 8_004_000_000_000);
    assert_eq!(cell("2026-08-22", "deepseek-v4-flash"), 2_668_000_000_000);
    assert_eq!(cell("2026-09-15", "deepseek-v4-flash"), 4_224_000_000_000);
    // V3 at 15:59 [4,100], V3.1 from 16:00 UTC [7,000]: a change at an instant
    assert_eq!(cell("2025-09-05", "deepseek-chat"), 11_100_000_000_000);
    assert_eq!(femto(&report["total"]), 36_256_000_000_000);
}

#[test]
fn web_searches_are_a_fee_in_the_tools_column() {
    const FILE: &str = "fixtures/options/claude-code-web-search.jsonl";
    let report = replay_json(&[FILE, "--scenario", "cache-off"]);
    // tokens [3,300] + 3 searches × [10,000]
    assert_eq!(femto(&report["total"]), 33_300_000_000_000);
    assert_eq!(report["total"]["tools_femto_usd"], "30000000000000");
    assert_eq!(femto(scenario(&report, "cache-off")), 33_300_000_000_000);
    let table = costsim(&["replay", FILE], None);
    assert!(
        table.stdout.contains("Tools") && table.stdout.contains("$0.0300"),
        "{}",
        table.stdout
    );
    let csv = costsim(&["replay", FILE, "-o", "csv"], None);
    assert!(
        csv.stdout.lines().next().unwrap().ends_with(",tools_usd"),
        "{}",
        csv.stdout
    );
    let show = costsim(&["pricing", "show", "claude-sonnet-4-5"], None);
    assert!(
        show.stdout
            .contains("Fee: $10.00 per 1,000 uses of web_search"),
        "{}",
        show.stdout
    );
}

#[test]
fn canonical_traces_carry_options() {
    let line = br#"{"ts":"2026-03-20T10:00:00Z","model":"claude-opus-4-6","speed":"fast","usage":{"input":1000,"output":100}}"#;
    let run = costsim(&["replay", "-", "--output", "json"], Some(line));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // 1,000 × $30 + 100 × $150 = [45,000]
    assert_eq!(femto(&report["total"]), 45_000_000_000_000);
}

#[test]
fn show_and_validate_know_variants() {
    let run = costsim(&["pricing", "show", "claude-opus-4-6"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("speed = fast from 2026-02-05: 6× every rate above")
            && run
                .stdout
                .contains("inference_geo = us: 1.1× every rate above"),
        "{}",
        run.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme.toml"),
        r#"provider = "acme"

[[variants]]
when = "colour=red"
multiplier = 2
source = "s"
retrieved = "2026-12-01"

[[variants]]
when = "utc=25:00-01:00"
days = ["someday"]
multiplier = 2
source = "s"
retrieved = "2026-12-01"

[[models]]
id = "acme-1"
context_window = 1000

[models.cache]
kind = "none"

[[models.periods]]
from = "2026-01-01"
input = 1
output = 2
source = "s"
retrieved = "2026-12-01"

[[models.variants]]
when = "speed=fast"
multiplier = 2
input = 3
output = 4
retrieved = "2026-12-01"
"#,
    )
    .unwrap();
    let run = costsim(&["pricing", "validate", dir.path().to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{}", run.stdout);
    for want in [
        "acme.toml: variant 1: `when`: `colour=red` is not OPTION=VALUE",
        "acme.toml: variant 2: `when`: `utc=25:00-01:00` is not utc=HH:MM-HH:MM",
        "acme.toml: model \"acme-1\" variant 1: missing `source`",
        "acme.toml: model \"acme-1\" variant 1: give a `multiplier` or rates, not both",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
}

#[test]
fn openrouter_free_and_online_suffixes_change_the_price() {
    const FILE: &str = "fixtures/options/openrouter-variants.jsonl";
    let report = replay_json(&[FILE]);
    // Lines 2 and 5: [45,000] each, and line 2's native search [10,000]
    assert_eq!(
        femto(row(&report, "claude-sonnet-4-5")),
        100_000_000_000_000
    );
    // Line 3: [5,500] and the Exa plugin [20,000]
    assert_eq!(femto(row(&report, "gemini-2.5-flash")), 25_500_000_000_000);
    // Lines 1 and 4 are free; line 4's native search [10,000]
    let gpt5 = row(&report, "gpt-5");
    assert_eq!((calls(gpt5), femto(gpt5)), (2, 10_000_000_000_000));
    assert_eq!(report["total"]["tools_femto_usd"], "40000000000000");
    assert_eq!(femto(&report["total"]), 135_500_000_000_000);
    assert_eq!(report["unpriced_models"].as_array().map(Vec::len), Some(0));
}

/// A price that changed mid-day: calls before the instant get the old
/// period, calls after it the new one, and `pricing show` prints the time.
#[test]
fn a_period_may_start_at_an_instant() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme.toml"),
        r#"
provider = "acme"

[[models]]
id = "acme-1"
context_window = 100000

[models.cache]
kind = "none"

[[models.periods]]
from = "2026-01-01"
until = 2026-03-20T16:00:00Z
input = 1
output = 2
source = "s"
retrieved = "2026-12-01"

[[models.periods]]
from = "2026-03-20T16:00:00Z"
input = 4
output = 8
source = "s"
retrieved = "2026-12-01"
"#,
    )
    .unwrap();
    let trace = dir.path().join("calls.jsonl");
    std::fs::write(
        &trace,
        "{\"ts\":\"2026-03-20T15:59:59Z\",\"model\":\"acme-1\",\"usage\":{\"input\":1000000,\"output\":0}}\n\
         {\"ts\":\"2026-03-20T16:00:00Z\",\"model\":\"acme-1\",\"usage\":{\"input\":1000000,\"output\":0}}\n",
    )
    .unwrap();
    let pricing = dir.path().to_str().unwrap();
    let report = replay_json(&[trace.to_str().unwrap(), "--pricing", pricing]);
    // 1M × $1 before 16:00, 1M × $4 from 16:00: $5
    assert_eq!(femto(&report["total"]), 5_000_000_000_000_000);
    let show = costsim(&["pricing", "show", "acme-1", "--pricing", pricing], None);
    assert!(
        show.stdout
            .contains("Prices from 2026-03-20T16:00:00Z to today"),
        "{}",
        show.stdout
    );
}

#[test]
fn gemini_flex_and_priority_tiers_and_grounding() {
    let report = replay_json(&["fixtures/options/gemini-service-tiers.jsonl"]);
    // [416,250 + 115,625 + 1,395,000 + 42,800], grounding [42,000]
    assert_eq!(femto(&report["total"]), 1_969_675_000_000_000);
    assert_eq!(report["total"]["tools_femto_usd"], "42000000000000");
    assert_eq!(report["notes"].as_array().map(Vec::len), Some(0));
}

/// `completions` writes a script each shell loads, `man` a roff page, both
/// from the same definitions as `--help`; `--json` is `--output json`.
#[test]
fn completions_man_page_and_json_shorthand() {
    for (shell, marker) in [
        ("bash", "complete -F _costsim"),
        ("zsh", "#compdef costsim"),
        ("fish", "complete -c costsim"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = crate::util::ok(&["completions", shell]);
        assert!(
            run.stdout.contains(marker),
            "{shell}: {}",
            &run.stdout[..200]
        );
        assert!(run.stdout.contains("replay"), "{shell}");
    }
    let man = crate::util::ok(&["man"]);
    assert!(
        man.stdout.contains(".TH costsim 1"),
        "{}",
        &man.stdout[..200]
    );
    assert!(man.stdout.contains("replay"));
    let json = crate::util::ok(&["replay", "fixtures/demo/traces.jsonl", "--json"]);
    let long = crate::util::ok(&["replay", "fixtures/demo/traces.jsonl", "--output", "json"]);
    assert_eq!(json.stdout, long.stdout);
    let both = crate::util::costsim(
        &[
            "replay",
            "fixtures/demo/traces.jsonl",
            "--json",
            "-o",
            "csv",
        ],
        None,
    );
    assert_eq!(both.code, 2, "{}", both.stderr);
}

/// `--since`/`--until` take `today`, `yesterday` and spans back from now;
/// `--last 30d` is `--since 30d`. Only bounds that hold whatever the date
/// of the run are checked here (the demo's calls are from March 2026); the
/// arithmetic against a fixed now is unit-tested in src/config.rs.
#[test]
fn relative_times_count_back_from_now() {
    let demo = "fixtures/demo/traces.jsonl";
    let calls = |args: &[&str]| -> u64 {
        let json = crate::util::replay_json(&[&[demo][..], args].concat());
        json["total"]["calls"].as_u64().unwrap()
    };
    // Calls from 2026 are older than a day and younger than 100 years.
    assert_eq!(calls(&["--last", "1d"]), 0);
    assert_eq!(calls(&["--since", "yesterday"]), 0);
    assert_eq!(calls(&["--until", "1d"]), 263);
    assert_eq!(calls(&["--last", "5000w"]), 263);
    let bad = crate::util::costsim(&["replay", demo, "--last", "monday"], None);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("--last: `monday` is not a span"),
        "{}",
        bad.stderr
    );
    let both = crate::util::costsim(&["replay", demo, "--last", "7d", "--since", "today"], None);
    assert_eq!(both.code, 2, "{}", both.stderr);
}

/// Every command that prints a report takes `--out FILE`: the file holds
/// what standard output would have.
#[test]
fn out_writes_what_stdout_would_show() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["formats"][..],
        &["scenarios"],
        &["pricing", "list", "--provider", "anthropic"],
        &["pricing", "show", "claude-sonnet-4-5"],
        &["pricing", "diff", "2025-01-01", "2026-01-01"],
    ] {
        let file = dir.path().join("out.txt");
        let printed = crate::util::ok(args);
        let with_out = [args, &["--out", file.to_str().unwrap()]].concat();
        let quiet = crate::util::ok(&with_out);
        assert!(quiet.stdout.is_empty(), "{args:?}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            printed.stdout,
            "{args:?}"
        );
    }
}

/// `costsim.toml` in the working directory gives per-command defaults,
/// `COSTSIM_*` variables override it, and flags override both; costsim says
/// on stderr which defaults it took (not with --quiet).
#[test]
fn settings_file_and_environment_give_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("costsim.toml"),
        "# team defaults\ntimezone = \"Asia/Tokyo\"\n\n[replay]\nby = [\"day\"]\n",
    )
    .unwrap();
    let demo = crate::util::fixture("fixtures/demo/traces.jsonl");
    let demo = demo.to_str().unwrap();
    let run_in = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = crate::util::command();
        // Look for costsim.toml here, as a user's shell would.
        cmd.env_remove("COSTSIM_CONFIG")
            .current_dir(dir.path())
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        crate::util::run(cmd)
    };
    let json = |r: &crate::util::Run| -> serde_json::Value {
        assert_eq!(r.code, 0, "{}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    };
    let from_file = run_in(&["replay", demo, "--json"], &[]);
    let report = json(&from_file);
    assert_eq!(report["timezone"], "Asia/Tokyo");
    assert_eq!(report["group_by"], serde_json::json!(["day"]));
    assert_eq!(
        from_file.stderr,
        "costsim: defaults from costsim.toml (--by, --timezone)\n"
    );
    let from_env = run_in(
        &["replay", demo, "--json", "-q"],
        &[("COSTSIM_TIMEZONE", "Europe/Berlin")],
    );
    assert_eq!(json(&from_env)["timezone"], "Europe/Berlin");
    assert_eq!(from_env.stderr, "");
    let from_flags = run_in(
        &[
            "replay",
            demo,
            "--json",
            "--timezone",
            "UTC",
            "--by",
            "model",
        ],
        &[("COSTSIM_TIMEZONE", "Europe/Berlin")],
    );
    let report = json(&from_flags);
    assert_eq!(report["timezone"], "UTC");
    assert_eq!(report["group_by"], serde_json::json!(["model"]));
    // The same report as without any settings.
    assert_eq!(
        report,
        crate::util::replay_json(&["fixtures/demo/traces.jsonl"])
            .as_object()
            .map(|m| {
                let mut m = m.clone();
                m.insert("inputs".into(), serde_json::json!([demo]));
                serde_json::Value::Object(m)
            })
            .unwrap()
    );

    std::fs::write(
        dir.path().join("costsim.toml"),
        "[replay]\nbye = [\"day\"]\n",
    )
    .unwrap();
    let bad = run_in(&["replay", demo], &[]);
    assert_eq!(bad.code, 2);
    assert_eq!(
        bad.stderr,
        "costsim: error: costsim.toml: line 2: replay.bye: `bye` is not an option of `costsim replay`; did you mean `by`?\n"
    );
    // A bad value from the environment says where it came from.
    let bad_env = run_in(
        &["replay", demo],
        &[("COSTSIM_CONFIG", ""), ("COSTSIM_THREADS", "abc")],
    );
    assert_eq!(bad_env.code, 2);
    assert!(
        bad_env
            .stderr
            .contains("invalid value 'abc' for '--threads <N>'")
            && bad_env
                .stderr
                .ends_with("costsim: that value is a default from COSTSIM_THREADS\n"),
        "{}",
        bad_env.stderr
    );
    // COSTSIM_CONFIG names another file, or none at all.
    let none = run_in(&["replay", demo, "--json"], &[("COSTSIM_CONFIG", "")]);
    assert_eq!(json(&none)["timezone"], "UTC");
    let missing = run_in(
        &["replay", demo],
        &[("COSTSIM_CONFIG", "/no/such/costsim.toml")],
    );
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("COSTSIM_CONFIG=/no/such/costsim.toml: cannot read it"),
        "{}",
        missing.stderr
    );
}

/// `--currency CODE --rate R` shows amounts in that currency, converted
/// exactly; the header states the rate; JSON keeps exact USD and says the
/// rate. Expected figures: fixtures/timezone/README.md.
#[test]
fn amounts_in_another_currency() {
    const FILE: &str = "fixtures/timezone/midnight.jsonl";
    let eur = crate::util::ok(&[
        "replay",
        FILE,
        "--by",
        "day",
        "--currency",
        "eur",
        "--rate",
        "0.92",
    ]);
    assert!(
        eur.stdout.contains("\nAmounts in EUR at 0.92 EUR per US dollar (the rate given; prices, CSV and JSON are in USD)\n"),
        "{}",
        eur.stdout
    );
    for cell in ["€0.0828", "€0.1104", "€0.2208", "€0.4140"] {
        assert!(eur.stdout.contains(cell), "{cell}: {}", eur.stdout);
    }
    assert!(!eur.stdout.contains('$'), "{}", eur.stdout);
    let yen = crate::util::ok(&[
        "replay",
        FILE,
        "--by",
        "day",
        "--currency",
        "JPY",
        "--rate",
        "151.25",
        "-o",
        "markdown",
    ]);
    for cell in ["| ¥13.61 |", "| ¥18.15 |", "| ¥36.30 |", "**¥68.06**"] {
        assert!(yen.stdout.contains(cell), "{cell}: {}", yen.stdout);
    }
    let json = crate::util::replay_json(&[FILE, "--currency", "EUR", "--rate", "0.92"]);
    assert_eq!(
        json["display_currency"],
        serde_json::json!({"code": "EUR", "per_usd": "0.92"})
    );
    assert_eq!(json["total"]["cost_femto_usd"], "450000000000000");
    let plain = crate::util::replay_json(&[FILE]);
    assert_eq!(plain["display_currency"], serde_json::Value::Null);
    for bad in [
        &["--currency", "EUR"][..],
        &["--rate", "0.9"],
        &["--currency", "EURO", "--rate", "1"],
        &["--currency", "EUR", "--rate", "0"],
    ] {
        let run = crate::util::costsim(&[&["replay", FILE][..], bad].concat(), None);
        assert_eq!(run.code, 2, "{bad:?}: {}", run.stdout);
    }
}
