//! Anthropic Console usage export (CSV).
//!
//! (Being written: not detected yet.)

use super::format::{not_detected, unsupported_parser, InputFormat};

pub static FORMAT: InputFormat = InputFormat {
    name: "anthropic-usage-csv",
    title: "Anthropic Console usage export (CSV)",
    example: "",
    mapping: "",
    detect: not_detected,
    parser: unsupported_parser,
};
