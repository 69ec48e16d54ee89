//! Where a TOML parse error is, for messages that name file and line.

/// The error's message, prefixed with `line N: ` when it has a position.
pub fn describe(text: &str, e: &toml::de::Error) -> String {
    match line(text, e) {
        Some(n) => format!("line {n}: {}", e.message()),
        None => e.message().to_string(),
    }
}

/// The 1-based line the error points at.
pub fn line(text: &str, e: &toml::de::Error) -> Option<usize> {
    e.span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
}
