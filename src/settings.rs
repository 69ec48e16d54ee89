//! Defaults from outside the command line: a `costsim.toml` settings file
//! and `COSTSIM_*` environment variables.
//!
//! Both become clap default values, so a flag on the command line always
//! wins, and neither ever trips a conflict between flags (a `last = "30d"`
//! default does not stop `--since`). Precedence: flags, then the
//! environment, then the file.
//!
//! The file holds options by their long names, without dashes: top-level
//! keys apply to every command that has the option, tables to one command
//! (`[replay]`, `[check]`, `[cache.doctor]`, `[pricing.list]`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, Command};

/// The file name looked for in the working directory and the user's
/// configuration directory (`~/.config/costsim/` on Linux).
pub const FILE_NAME: &str = "costsim.toml";

/// Names the settings file to use instead of looking for one; empty for
/// none.
pub const CONFIG_VAR: &str = "COSTSIM_CONFIG";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{CONFIG_VAR}={path}: cannot read it: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
}

/// The settings file in effect: `$COSTSIM_CONFIG`, else `./costsim.toml`,
/// else `costsim/costsim.toml` in the user's configuration directory.
pub fn locate() -> Option<(PathBuf, bool)> {
    if let Some(named) = std::env::var_os(CONFIG_VAR) {
        return (!named.is_empty()).then(|| (PathBuf::from(named), true));
    }
    let here = PathBuf::from(FILE_NAME);
    if here.is_file() {
        return Some((here, false));
    }
    let user = dirs::config_dir()?.join("costsim").join(FILE_NAME);
    user.is_file().then_some((user, false))
}

/// What was applied, for the one line costsim says about it.
#[derive(Debug, Default)]
pub struct Applied {
    pub file: Option<PathBuf>,
    defaults: Vec<Given>,
}

impl Applied {
    /// Where the value clap refused came from, when it was one of these
    /// defaults rather than typed: `COSTSIM_THREADS` or the file.
    pub fn source_of_bad_value(
        &self,
        e: &clap::Error,
        args: &[std::ffi::OsString],
    ) -> Option<String> {
        use clap::error::{ContextKind, ContextValue, ErrorKind};
        if !matches!(
            e.kind(),
            ErrorKind::InvalidValue | ErrorKind::ValueValidation
        ) {
            return None;
        }
        let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
            return None;
        };
        // `--threads <N>`
        let long = arg.split_whitespace().next()?;
        let typed = args.iter().any(|a| {
            let a = a.to_string_lossy();
            a == long || a.starts_with(&format!("{long}="))
        });
        if typed {
            return None;
        }
        let given = self
            .defaults
            .iter()
            .find(|d| d.label == long || d.label == env_name(long.trim_start_matches('-')))?;
        Some(if given.from_env {
            given.label.clone()
        } else {
            self.file.as_ref()?.display().to_string()
        })
    }
}

/// One option given a default.
#[derive(Debug)]
struct Given {
    /// The command's path: `["cache", "doctor"]`.
    command: Vec<String>,
    id: String,
    /// `--by` (from the file) or `COSTSIM_BY` (from the environment).
    label: String,
    from_env: bool,
}

impl Applied {
    /// "defaults from ./costsim.toml (--by, --timezone) and the environment
    /// (COSTSIM_THREADS)": the defaults the command run (`matches`) took,
    /// not those its flags overrode; nothing when it took none.
    pub fn describe(&self, matches: &clap::ArgMatches) -> Option<String> {
        let mut command = Vec::new();
        let mut leaf = matches;
        while let Some((name, sub)) = leaf.subcommand() {
            command.push(name.to_string());
            leaf = sub;
        }
        let taken = |from_env: bool| -> Vec<&str> {
            let mut labels: Vec<&str> = self
                .defaults
                .iter()
                .filter(|d| d.from_env == from_env && d.command == command)
                .filter(|d| {
                    leaf.value_source(&d.id) == Some(clap::parser::ValueSource::DefaultValue)
                })
                .map(|d| d.label.as_str())
                .collect();
            labels.sort_unstable();
            labels
        };
        let mut parts = Vec::new();
        let from_file = taken(false);
        if let (Some(file), false) = (&self.file, from_file.is_empty()) {
            parts.push(format!("{} ({})", file.display(), from_file.join(", ")));
        }
        let from_env = taken(true);
        if !from_env.is_empty() {
            parts.push(format!("the environment ({})", from_env.join(", ")));
        }
        (!parts.is_empty()).then(|| format!("defaults from {}", parts.join(" and ")))
    }
}

/// The environment variable of an option: `--pricing-date` is
/// `COSTSIM_PRICING_DATE`.
pub fn env_name(long: &str) -> String {
    format!("COSTSIM_{}", long.to_ascii_uppercase().replace('-', "_"))
}

/// Reads the settings file at `path`.
pub fn read(path: &Path, named: bool) -> Result<(String, toml::Table), SettingsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(source) if named => {
            return Err(SettingsError::Unreadable {
                path: path.display().to_string(),
                source,
            })
        }
        Err(e) => {
            return Err(SettingsError::File {
                path: path.display().to_string(),
                message: format!("cannot read it: {e}"),
            })
        }
    };
    let table = text
        .parse::<toml::Table>()
        .map_err(|e| SettingsError::File {
            path: path.display().to_string(),
            message: crate::toml_error::describe(&text, &e),
        })?;
    Ok((text, table))
}

/// `cli` with the defaults of `file` (its path, text and table) and of
/// `env` (`COSTSIM_*` variables) applied to every command.
pub fn apply(
    cli: Command,
    file: Option<(&Path, &str, &toml::Table)>,
    env: &BTreeMap<String, String>,
) -> Result<(Command, Applied), SettingsError> {
    let mut applied = Applied {
        file: file.map(|(p, _, _)| p.to_path_buf()),
        ..Applied::default()
    };
    let empty = toml::Table::new();
    let (path, text, table) = file.unwrap_or((Path::new(FILE_NAME), "", &empty));
    let at = Place { path, text };
    // Top-level options must belong to some command.
    let mut longs = BTreeMap::new();
    collect_longs(&cli, &mut longs);
    let commands: Vec<&str> = cli.get_subcommands().map(Command::get_name).collect();
    for (key, value) in table {
        // A table names a command; anything else an option of some command.
        let (known, what, names): (bool, &str, Vec<&str>) = if value.is_table() {
            (
                commands.contains(&key.as_str()),
                "a command",
                commands.clone(),
            )
        } else {
            (
                longs.contains_key(key.as_str()),
                "an option of any command",
                longs.keys().copied().collect(),
            )
        };
        if !known {
            return Err(at.error(
                &[],
                key,
                format!("`{key}` is not {what}{}", hint(key, names.into_iter())),
            ));
        }
    }
    let cli = apply_to(cli, &[], table, table, env, &at, &mut applied)?;
    Ok((cli, applied))
}

/// Where the file is, for messages that name file, line and key.
struct Place<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Place<'_> {
    fn error(&self, section: &[&str], key: &str, message: String) -> SettingsError {
        let line = key_line(self.text, section, key)
            .map(|n| format!("line {n}: "))
            .unwrap_or_default();
        let name = if section.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", section.join("."))
        };
        SettingsError::File {
            path: self.path.display().to_string(),
            message: format!("{line}{name}: {message}"),
        }
    }
}

/// The line of `key = …` under the header of `section` (top level: before
/// any header), if it is written plainly.
fn key_line(text: &str, section: &[&str], key: &str) -> Option<usize> {
    let mut current = String::new();
    let wanted = section.join(".");
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = header.trim().replace(['"', ' '], "");
            continue;
        }
        let name = line
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if current == wanted && line.contains('=') && name == key {
            return Some(n + 1);
        }
    }
    None
}

fn hint<'a>(key: &str, names: impl Iterator<Item = &'a str>) -> String {
    let mut close: Vec<(f64, &str)> = names
        .map(|n| (strsim::jaro_winkler(key, n), n))
        .filter(|(score, _)| *score > 0.8)
        .collect();
    close.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    match close.first() {
        Some((_, n)) => format!("; did you mean `{n}`?"),
        None => String::new(),
    }
}

/// The options' long names of `cmd` and every command below it.
fn collect_longs<'a>(cmd: &'a Command, into: &mut BTreeMap<&'a str, ()>) {
    for arg in settable(cmd) {
        if let Some(long) = arg.get_long() {
            into.insert(long, ());
        }
    }
    for sub in cmd.get_subcommands() {
        collect_longs(sub, into);
    }
}

/// The options a default can be given to: those with a long name, not
/// `--help` or `--version`.
fn settable(cmd: &Command) -> impl Iterator<Item = &Arg> {
    cmd.get_arguments().filter(|a| {
        a.get_long().is_some() && !matches!(a.get_action(), ArgAction::Help | ArgAction::Version)
    })
}

/// An option of one command, as the settings see it.
struct Settable {
    id: String,
    long: String,
    /// Takes several values (repeatable).
    many: bool,
    /// A switch (`--quiet`): true or false.
    switch: bool,
    hidden: bool,
}

fn apply_to(
    mut cmd: Command,
    section: &[&str],
    table: &toml::Table,
    top: &toml::Table,
    env: &BTreeMap<String, String>,
    at: &Place,
    applied: &mut Applied,
) -> Result<Command, SettingsError> {
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let args: Vec<Settable> = settable(&cmd)
        .map(|a| Settable {
            id: a.get_id().to_string(),
            long: a.get_long().unwrap_or_default().to_string(),
            many: matches!(a.get_action(), ArgAction::Append)
                || a.get_num_args().is_some_and(|n| n.max_values() > 1),
            switch: matches!(a.get_action(), ArgAction::SetTrue),
            hidden: a.is_hide_set(),
        })
        .collect();
    // Keys of this command's table: its options and its subcommands.
    if !section.is_empty() {
        for (key, value) in table {
            let known = if value.is_table() {
                subcommands.iter().any(|s| s == key)
            } else {
                args.iter().any(|a| a.long == *key)
            };
            if !known {
                let names = args
                    .iter()
                    .map(|a| a.long.as_str())
                    .chain(subcommands.iter().map(String::as_str));
                let what = if value.is_table() {
                    "a command"
                } else {
                    "an option"
                };
                return Err(at.error(
                    section,
                    key,
                    format!(
                        "`{key}` is not {what} of `costsim {}`{}",
                        section.join(" "),
                        hint(key, names)
                    ),
                ));
            }
        }
    }
    for arg in &args {
        let Settable {
            id,
            long,
            many,
            switch,
            hidden,
        } = arg;
        let var = env_name(long);
        let (values, from_env) = if let Some(v) = env.get(&var).filter(|v| !v.is_empty()) {
            let values = if *switch {
                vec![boolean(v).ok_or_else(|| SettingsError::File {
                    path: var.clone(),
                    message: format!("`{v}` is not true or false (1, 0, yes, no, on, off)"),
                })?]
            } else {
                vec![v.clone()]
            };
            (values, true)
        } else {
            // This command's own table first, then the top level (not for
            // an option the command hides: `check` refuses `--by`).
            let local = if section.is_empty() {
                None
            } else {
                table.get(long)
            };
            let inherited = (!hidden).then(|| top.get(long).filter(|v| !v.is_table()));
            let Some(value) = local.or(inherited.flatten()) else {
                continue;
            };
            let where_ = if local.is_some() { section } else { &[][..] };
            let values = scalars(value, *many).map_err(|m| at.error(where_, long, m))?;
            if *switch && values.iter().any(|v| v != "true" && v != "false") {
                return Err(at.error(where_, long, "is a switch: true or false".to_string()));
            }
            (values, false)
        };
        if *switch && values == ["false"] {
            continue;
        }
        applied.defaults.push(Given {
            command: section.iter().map(|s| s.to_string()).collect(),
            id: id.clone(),
            label: if from_env { var } else { format!("--{long}") },
            from_env,
        });
        cmd = cmd.mut_arg(id, |a| {
            a.default_values(values.clone())
                // The help's own "[default: …]" stays the built-in one.
                .hide_default_value(true)
        });
    }
    for name in subcommands {
        let sub_table = table
            .get(&name)
            .and_then(toml::Value::as_table)
            .cloned()
            .unwrap_or_default();
        let path: Vec<&str> = section.iter().copied().chain([name.as_str()]).collect();
        let mut result = Ok(());
        cmd = cmd.mut_subcommand(&name, |sub| {
            match apply_to(sub.clone(), &path, &sub_table, top, env, at, applied) {
                Ok(s) => s,
                Err(e) => {
                    result = Err(e);
                    sub
                }
            }
        });
        result?;
    }
    Ok(cmd)
}

/// `1`, `true`, `yes`, `on` and their opposites, as clap's `true`/`false`.
fn boolean(v: &str) -> Option<String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some("true".into()),
        "0" | "false" | "no" | "off" => Some("false".into()),
        _ => None,
    }
}

/// A TOML value as the command line would give it.
fn scalars(value: &toml::Value, many: bool) -> Result<Vec<String>, String> {
    let one = |v: &toml::Value| match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(n) => Ok(n.to_string()),
        toml::Value::Float(x) => Ok(x.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        other => Err(format!("a {} is not an option's value", other.type_str())),
    };
    match value {
        toml::Value::Array(items) if many => items.iter().map(one).collect(),
        toml::Value::Array(_) => Err("takes one value, not a list".to_string()),
        v => one(v).map(|s| vec![s]),
    }
}

/// The `COSTSIM_*` variables of this process.
pub fn environment() -> BTreeMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("COSTSIM_") && k != CONFIG_VAR)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn settings(text: &str, env: &[(&str, &str)]) -> Result<(Command, Applied), SettingsError> {
        let table: toml::Table = text.parse().unwrap();
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        apply(
            crate::cli::Cli::command(),
            Some((Path::new("costsim.toml"), text, &table)),
            &env,
        )
    }

    fn parse(cmd: Command, args: &[&str]) -> crate::cli::Cli {
        use clap::FromArgMatches;
        let matches = cmd
            .try_get_matches_from([&["costsim"][..], args].concat())
            .unwrap();
        crate::cli::Cli::from_arg_matches(&matches).unwrap()
    }

    fn replay(cli: crate::cli::Cli) -> crate::cli::ReplayArgs {
        match cli.command {
            crate::cli::Command::Replay(a) => a,
            _ => panic!("not replay"),
        }
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_file() {
        let text = "timezone = \"Asia/Tokyo\"\n[replay]\nby = [\"day\", \"model\"]\nthreads = 3\n";
        let (cmd, applied) = settings(text, &[]).unwrap();
        let a = replay(parse(cmd.clone(), &["replay", "x.jsonl"]));
        assert_eq!(a.run.by, ["day", "model"]);
        assert_eq!(a.run.threads, Some(3));
        assert_eq!(a.run.window.timezone.as_deref(), Some("Asia/Tokyo"));
        let said = |cmd: &Command, applied: &Applied, args: &[&str]| {
            let m = cmd
                .clone()
                .try_get_matches_from([&["costsim"][..], args].concat())
                .unwrap();
            applied.describe(&m)
        };
        assert_eq!(
            said(&cmd, &applied, &["replay", "x.jsonl"]).unwrap(),
            "defaults from costsim.toml (--by, --threads, --timezone)"
        );
        // Only what the command run took: not what its flags override, nor
        // what another command's table says.
        assert_eq!(
            said(
                &cmd,
                &applied,
                &["replay", "x.jsonl", "--by", "model", "--threads", "1"]
            )
            .unwrap(),
            "defaults from costsim.toml (--timezone)"
        );
        assert_eq!(said(&cmd, &applied, &["diff", "a.json", "b.json"]), None);
        let a = replay(parse(
            cmd,
            &["replay", "x.jsonl", "--by", "session", "--timezone", "UTC"],
        ));
        assert_eq!(a.run.by, ["session"]);
        assert_eq!(a.run.window.timezone.as_deref(), Some("UTC"));

        let (cmd, applied) = settings(text, &[("COSTSIM_TIMEZONE", "Europe/Berlin")]).unwrap();
        let a = replay(parse(cmd.clone(), &["replay", "x.jsonl"]));
        assert_eq!(a.run.window.timezone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(
            said(&cmd, &applied, &["replay", "x.jsonl"]).unwrap(),
            "defaults from costsim.toml (--by, --threads) and the environment (COSTSIM_TIMEZONE)"
        );
        let a = replay(parse(cmd, &["replay", "x.jsonl", "--timezone", "UTC"]));
        assert_eq!(a.run.window.timezone.as_deref(), Some("UTC"));
    }

    #[test]
    fn top_level_keys_skip_options_a_command_hides() {
        // `check` hides and refuses replay's `--by`: a team-wide `by` is
        // replay's, not check's; `[check] by` is asked for, and refused later.
        let (cmd, _) = settings("by = [\"day\"]\n", &[]).unwrap();
        match parse(cmd, &["check", "x.jsonl"]).command {
            crate::cli::Command::Check(c) => assert!(c.input.run.by.is_empty()),
            _ => panic!("not check"),
        }
    }

    #[test]
    fn defaults_never_conflict_with_flags() {
        // `--last` conflicts with `--since` on the command line, not as a default.
        let (cmd, _) = settings("last = \"30d\"\n", &[("COSTSIM_QUIET", "yes")]).unwrap();
        let a = replay(parse(cmd, &["replay", "x.jsonl", "--since", "2026-01-01"]));
        assert_eq!(a.run.window.since.as_deref(), Some("2026-01-01"));
        assert!(a.run.quiet);
    }

    #[test]
    fn mistakes_name_file_line_and_key() {
        let e = settings("timezone = \"UTC\"\n[replay]\nbye = [\"day\"]\n", &[])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "costsim.toml: line 3: replay.bye: `bye` is not an option of `costsim replay`; did you mean `by`?"
        );
        let e = settings("timezon = \"UTC\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1: timezon: `timezon` is not an option of any command; did you mean `timezone`?"), "{e}");
        let e = settings("[replay]\ntimezone = [\"UTC\", \"Asia/Tokyo\"]\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2: replay.timezone: takes one value, not a list"),
            "{e}"
        );
        let e = settings("[replay]\nquiet = \"loud\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("replay.quiet: is a switch"), "{e}");
        let e = settings("[cache.doctr]\n", &[]).unwrap_err().to_string();
        assert!(
            e.contains("`doctr` is not a command of `costsim cache`; did you mean `doctor`?"),
            "{e}"
        );
        let e = settings("", &[("COSTSIM_QUIET", "maybe")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("COSTSIM_QUIET: `maybe` is not true or false"),
            "{e}"
        );
    }

    #[test]
    fn nested_commands_take_their_own_tables() {
        let (cmd, _) = settings("[cache.doctor]\nsince = \"2026-01-01\"\n", &[]).unwrap();
        match parse(cmd, &["cache", "doctor", "x.jsonl"]).command {
            crate::cli::Command::Cache(crate::cli::CacheCommand::Doctor(d)) => {
                assert_eq!(d.window.since.as_deref(), Some("2026-01-01"))
            }
            _ => panic!(),
        }
    }
}
