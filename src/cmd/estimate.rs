//! `costsim estimate` and `costsim synth`: workloads instead of logs.

use std::sync::Arc;

use super::{emit, replay::run_config, Exit};
use crate::cli::{EstimateArgs, SynthArgs};
use crate::config::ReplayConfig;
use crate::ingest::workload::Workload;
use crate::ingest::Source;

pub fn estimate(args: EstimateArgs) -> anyhow::Result<Exit> {
    let workload = Workload::load(&args.workload)?;
    let mut bytes = Vec::new();
    workload.write_jsonl(&mut bytes)?;
    let source = Source::Memory(format!("<workload {}>", workload.name), Arc::new(bytes));
    let mut config = ReplayConfig::new(vec![source], args.run)?;
    config.spec.command = "estimate";
    run_config(config)
}

pub fn synth(args: SynthArgs) -> anyhow::Result<Exit> {
    let workload = Workload::load(&args.workload)?;
    emit(args.out.as_deref(), |w| workload.write_jsonl(w))?;
    Ok(Exit::Ok)
}
