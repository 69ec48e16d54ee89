//! Integration tests: the real binary on fixtures. One module per topic.

mod util;

mod agents_amp_kimi;
mod agents_droid_goose;
mod agents_gemini_qwen;
mod agents_home;
mod agents_opencode_copilot;
mod bad_input;
mod cache_scenarios;
mod check;
mod doctor;
mod formats_agents;
mod formats_billing;
mod formats_logs;
mod hand_checked;
mod hostile;
mod merge;
mod options;
mod pipes;
mod price_lists;
mod pricing;
mod real_logs;
mod replay;
mod report_files;
mod scenarios;
mod what_if;
