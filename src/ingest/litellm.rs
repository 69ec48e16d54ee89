//! LiteLLM spend logs (JSON lines).
//!
//! (Being written: not detected yet.)

use super::format::{not_detected, unsupported_parser, InputFormat};

pub static FORMAT: InputFormat = InputFormat {
    name: "litellm",
    title: "LiteLLM spend logs (JSON lines)",
    example: "",
    mapping: "",
    detect: not_detected,
    parser: unsupported_parser,
};
