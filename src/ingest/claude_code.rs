//! Claude Code session logs (~/.claude/projects/<project>/<session>.jsonl).
//!
//! (Being written: not detected yet.)

use super::format::{not_detected, unsupported_parser, InputFormat};

pub static FORMAT: InputFormat = InputFormat {
    name: "claude-code",
    title: "Claude Code session logs (~/.claude/projects/<project>/<session>.jsonl)",
    example: "",
    mapping: "",
    detect: not_detected,
    parser: unsupported_parser,
};
