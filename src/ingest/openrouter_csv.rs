//! OpenRouter activity export (CSV).
//!
//! (Being written: not detected yet.)

use super::format::{not_detected, unsupported_parser, InputFormat};

pub static FORMAT: InputFormat = InputFormat {
    name: "openrouter-csv",
    title: "OpenRouter activity export (CSV)",
    example: "",
    mapping: "",
    detect: not_detected,
    parser: unsupported_parser,
};
