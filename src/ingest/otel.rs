//! OpenTelemetry GenAI spans exported as JSON lines.
//!
//! (Being written: not detected yet.)

use super::format::{not_detected, unsupported_parser, InputFormat};

pub static FORMAT: InputFormat = InputFormat {
    name: "otel",
    title: "OpenTelemetry GenAI spans exported as JSON lines",
    example: "",
    mapping: "",
    detect: not_detected,
    parser: unsupported_parser,
};
