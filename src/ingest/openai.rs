//! OpenAI Chat Completions / Responses objects and Batch API output files.
//!
//! (Being written: not detected yet.)

use super::format::{not_detected, unsupported_parser, InputFormat};

pub static FORMAT: InputFormat = InputFormat {
    name: "openai",
    title: "OpenAI Chat Completions / Responses objects and Batch API output files",
    example: "",
    mapping: "",
    detect: not_detected,
    parser: unsupported_parser,
};
