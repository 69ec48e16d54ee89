//! OpenAI usage/cost export (CSV).
//!
//! (Being written: not detected yet.)

use super::format::{not_detected, unsupported_parser, InputFormat};

pub static FORMAT: InputFormat = InputFormat {
    name: "openai-usage-csv",
    title: "OpenAI usage/cost export (CSV)",
    example: "",
    mapping: "",
    detect: not_detected,
    parser: unsupported_parser,
};
