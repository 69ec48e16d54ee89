//! placeholder (hand-checked fixture tests are being written)
