//! Codex CLI rollout logs (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl).
//!
//! (Being written: not detected yet.)

use super::format::{not_detected, unsupported_parser, InputFormat};

pub static FORMAT: InputFormat = InputFormat {
    name: "codex",
    title: "Codex CLI rollout logs (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl)",
    example: "",
    mapping: "",
    detect: not_detected,
    parser: unsupported_parser,
};
