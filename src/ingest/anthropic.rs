//! Anthropic Messages API responses.
//!
//! (Being written: not detected yet.)

use super::format::{not_detected, unsupported_parser, InputFormat};

pub static FORMAT: InputFormat = InputFormat {
    name: "anthropic",
    title: "Anthropic Messages API responses",
    example: "",
    mapping: "",
    detect: not_detected,
    parser: unsupported_parser,
};
