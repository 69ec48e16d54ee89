//! Where coding agents keep their logs: what every agent reader's
//! `data_dirs` needs (an environment variable naming folders, the folders
//! that exist), so that each reader states only its own rule.

use std::path::PathBuf;

/// The environment as readers see it: a variable's value by name (tests
/// pass their own).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The folders a variable lists, comma-separated (as `CLAUDE_CONFIG_DIR`
/// and ccusage's `*_DATA_DIR` variables do); `None` when it is unset or
/// blank.
pub fn env_list(env: Env, name: &str) -> Option<Vec<PathBuf>> {
    let value = env(name).filter(|v| !v.trim().is_empty())?;
    Some(
        value
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .collect(),
    )
}

/// The folders among `dirs` that exist, each once, in order.
pub fn existing(dirs: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        if dir.is_dir() && !found.contains(&dir) {
            found.push(dir);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_existing_folders() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::create_dir(&a).unwrap();
        let value = format!(" {}, ,{} ", a.display(), dir.path().join("b").display());
        let env = |name: &str| (name == "X").then(|| value.clone());
        let listed = env_list(&env, "X").unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(existing(listed.into_iter().chain([a.clone()])), [a]);
        assert_eq!(env_list(&env, "Y"), None);
        assert_eq!(env_list(&|_: &str| Some("  ".to_string()), "X"), None);
    }
}
