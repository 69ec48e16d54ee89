//! Coding agents whose local usage logs `costsim replay --agents` finds:
//! where each keeps them (its default folder, or the folders its environment
//! variable names) and which files there are usage logs. Each agent's reader
//! says how to find its logs; this registry only lists them.

use std::path::{Path, PathBuf};

use super::format::InputFormat;
pub use super::places::Env;
use super::{
    amp, claude_code, codex, copilot_cli, droid, gemini_cli, goose, kimi_cli, opencode, qwen_code,
    Source,
};

/// One agent `--agents` can read.
pub struct Agent {
    /// Name on the command line (`--agents claude,codex`).
    pub name: &'static str,
    /// The reader of its logs.
    pub format: &'static InputFormat,
    /// Where it looks, for messages: the variable and the default.
    pub looks_in: &'static str,
    /// The folders holding its logs that exist, given the environment and
    /// the home folder.
    pub dirs: fn(Env, Option<&Path>) -> Vec<PathBuf>,
    /// Whether a file under those folders is one of its usage logs.
    pub is_log_file: fn(&Path) -> bool,
}

/// Every agent, in report order.
pub fn all() -> Vec<&'static Agent> {
    vec![
        &CLAUDE, &CODEX, &GEMINI, &QWEN, &OPENCODE, &COPILOT, &AMP, &KIMI, &DROID, &GOOSE,
    ]
}

static CLAUDE: Agent = Agent {
    name: "claude",
    format: &claude_code::FORMAT,
    looks_in: "$CLAUDE_CONFIG_DIR, else ~/.claude/projects and ~/.config/claude/projects",
    dirs: claude_code::data_dirs,
    is_log_file: claude_code::is_log_file,
};

static CODEX: Agent = Agent {
    name: "codex",
    format: &codex::FORMAT,
    looks_in: "$CODEX_HOME/sessions, else ~/.codex/sessions (and archived_sessions)",
    dirs: codex::data_dirs,
    is_log_file: codex::is_log_file,
};

static GEMINI: Agent = Agent {
    name: "gemini",
    format: &gemini_cli::FORMAT,
    looks_in: "$GEMINI_DATA_DIR or $GEMINI_CLI_HOME/.gemini/tmp, else ~/.gemini/tmp",
    dirs: gemini_cli::data_dirs,
    is_log_file: gemini_cli::is_log_file,
};

static QWEN: Agent = Agent {
    name: "qwen",
    format: &qwen_code::FORMAT,
    looks_in: "$QWEN_DATA_DIR, else $QWEN_RUNTIME_DIR/projects and $QWEN_HOME/projects or ~/.qwen/projects",
    dirs: qwen_code::data_dirs,
    is_log_file: qwen_code::is_log_file,
};

static OPENCODE: Agent = Agent {
    name: "opencode",
    format: &opencode::FORMAT,
    looks_in: "$OPENCODE_DATA_DIR, else $XDG_DATA_HOME/opencode or ~/.local/share/opencode",
    dirs: opencode::data_dirs,
    is_log_file: opencode::is_log_file,
};

static COPILOT: Agent = Agent {
    name: "copilot",
    format: &copilot_cli::FORMAT,
    looks_in: "$COPILOT_HOME/session-state or $COPILOT_CONFIG_DIR, else ~/.copilot/session-state",
    dirs: copilot_cli::data_dirs,
    is_log_file: copilot_cli::is_log_file,
};

static DROID: Agent = Agent {
    name: "droid",
    format: &droid::FORMAT,
    looks_in: "$DROID_SESSIONS_DIR, else ~/.factory/sessions",
    dirs: droid::data_dirs,
    is_log_file: droid::is_log_file,
};

static AMP: Agent = Agent {
    name: "amp",
    format: &amp::FORMAT,
    looks_in: "$AMP_DATA_DIR, else ~/.local/share/amp; threads/T-*.json",
    dirs: amp::data_dirs,
    is_log_file: amp::is_log_file,
};

static KIMI: Agent = Agent {
    name: "kimi",
    format: &kimi_cli::FORMAT,
    looks_in: "$KIMI_DATA_DIR or $KIMI_SHARE_DIR, else ~/.kimi; sessions/*/*/wire.jsonl",
    dirs: kimi_cli::data_dirs,
    is_log_file: kimi_cli::is_log_file,
};

static GOOSE: Agent = Agent {
    name: "goose",
    format: &goose::FORMAT,
    looks_in: "$GOOSE_PATH_ROOT/data/sessions, else $XDG_DATA_HOME/goose/sessions or ~/.local/share/goose/sessions (Windows: %APPDATA%\\Block\\goose\\data\\sessions); sessions.db",
    dirs: goose::data_dirs,
    is_log_file: goose::is_log_file,
};

/// The agent whose logs a format reads, if any.
pub fn of_format(format: &str) -> Option<&'static Agent> {
    all().into_iter().find(|a| a.format.name == format)
}

/// The agents a `--agents` value names: `all`, or a comma-separated list.
pub fn named(list: &str) -> Result<Vec<&'static Agent>, String> {
    if list.trim() == "all" {
        return Ok(all());
    }
    let mut chosen: Vec<&'static Agent> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let agent = all()
            .into_iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let names: Vec<&str> = all().iter().map(|a| a.name).collect();
                format!(
                    "--agents: `{name}` is not an agent costsim reads (agents: {}, or all)",
                    names.join(", ")
                )
            })?;
        if !chosen.iter().any(|a| a.name == agent.name) {
            chosen.push(agent);
        }
    }
    if chosen.is_empty() {
        return Err("--agents: name at least one agent, or all".to_string());
    }
    Ok(chosen)
}

/// What was found for one agent.
pub struct Found {
    pub agent: &'static Agent,
    pub dirs: Vec<PathBuf>,
    /// Its log files, sorted, each read with the agent's format.
    pub files: Vec<Source>,
}

/// The log files of each agent under its folders, in sorted order (so runs
/// are deterministic). Unreadable entries are left out here and show up as
/// nothing found; files that cannot be read are reported when read.
pub fn discover(agents: &[&'static Agent], env: Env, home: Option<&Path>) -> Vec<Found> {
    agents
        .iter()
        .map(|agent| {
            let dirs = (agent.dirs)(env, home);
            let mut files: Vec<Source> = dirs
                .iter()
                .flat_map(|d| walkdir::WalkDir::new(d).sort_by_file_name())
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() && (agent.is_log_file)(e.path()))
                .map(|e| Source::File(e.into_path()))
                .collect();
            files.dedup();
            Found { agent, dirs, files }
        })
        .collect()
}

/// The process environment and home folder, as `discover` takes them.
pub fn environment() -> (impl Fn(&str) -> Option<String>, Option<PathBuf>) {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from);
    (|name: &str| std::env::var(name).ok(), home)
}

/// One line for the report header: what each agent contributed.
pub fn summary(found: &[Found]) -> String {
    let mut read = Vec::new();
    let mut missing = Vec::new();
    for f in found {
        if f.files.is_empty() {
            missing.push(format!("{} ({})", f.agent.name, f.agent.looks_in));
        } else {
            let dirs: Vec<String> = f.dirs.iter().map(|d| d.display().to_string()).collect();
            read.push(format!(
                "{} {} file{} in {}",
                f.agent.name,
                f.files.len(),
                if f.files.len() == 1 { "" } else { "s" },
                dirs.join(", ")
            ));
        }
    }
    let mut text = format!(
        "--agents read {}",
        if read.is_empty() {
            "nothing".to_string()
        } else {
            read.join("; ")
        }
    );
    if !missing.is_empty() {
        text.push_str(&format!("; no logs found for {}", missing.join("; ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_all() {
        assert_eq!(named("all").unwrap().len(), all().len());
        let two = named("codex, Claude,codex").unwrap();
        let names: Vec<&str> = two.iter().map(|a| a.name).collect();
        assert_eq!(names, ["codex", "claude"]);
        let err = named("claude,cursor").err().unwrap();
        assert!(err.contains("`cursor` is not an agent"), "{err}");
    }

    #[test]
    fn finds_each_agents_files_where_its_variable_points() {
        let dir = tempfile::tempdir().unwrap();
        let claude = dir.path().join("claude-config");
        let codex = dir.path().join("codex-home");
        std::fs::create_dir_all(claude.join("projects/p")).unwrap();
        std::fs::create_dir_all(codex.join("sessions/2026/03/03")).unwrap();
        std::fs::write(claude.join("projects/p/s.jsonl"), "").unwrap();
        std::fs::write(claude.join("projects/p/notes.txt"), "").unwrap();
        std::fs::write(codex.join("sessions/2026/03/03/rollout-a.jsonl"), "").unwrap();
        std::fs::write(codex.join("sessions/2026/03/03/other.jsonl"), "").unwrap();
        let env = |name: &str| match name {
            "CLAUDE_CONFIG_DIR" => Some(claude.display().to_string()),
            "CODEX_HOME" => Some(codex.display().to_string()),
            _ => None,
        };
        let found = discover(&all(), &env, Some(dir.path()));
        let files =
            |i: usize| -> Vec<String> { found[i].files.iter().map(Source::display_name).collect() };
        assert_eq!(
            files(0),
            [claude.join("projects/p/s.jsonl").display().to_string()]
        );
        assert_eq!(
            files(1),
            [codex
                .join("sessions/2026/03/03/rollout-a.jsonl")
                .display()
                .to_string()]
        );
        let nothing = discover(&all(), &|_: &str| None, Some(&dir.path().join("nobody")));
        assert!(nothing.iter().all(|f| f.files.is_empty()));
        assert!(summary(&nothing).starts_with("--agents read nothing; no logs found for claude"));
    }
}
