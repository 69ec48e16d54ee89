//! The calls of a scenario run, handed back in time order with bounded
//! memory: an external merge sort.
//!
//! Scenarios replay calls in time order (caches expire, sessions step), but
//! inputs arrive in file order. Calls are buffered; a full buffer is sorted
//! and written to a temporary run file; at the end the runs are merged back
//! in order. Inputs that fit in one buffer never touch the disk.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use super::evaluate::Pending;

/// Calls buffered before a run is written: about 70 MB of parsed calls.
pub const DEFAULT_SPOOL_CALLS: usize = 64 * 1024;

/// Runs merged at once (open files); more are merged in rounds.
const FAN_IN: usize = 128;

#[derive(Debug, thiserror::Error)]
#[error("cannot spool calls to a temporary file (set TMPDIR to a disk with room): {0}")]
pub struct SpoolError(#[from] io::Error);

impl From<bincode::error::EncodeError> for SpoolError {
    fn from(e: bincode::error::EncodeError) -> Self {
        SpoolError(io::Error::other(e.to_string()))
    }
}

impl From<bincode::error::DecodeError> for SpoolError {
    fn from(e: bincode::error::DecodeError) -> Self {
        SpoolError(io::Error::other(e.to_string()))
    }
}

/// Where runs go: one temporary directory per replay, made on first use and
/// removed when the replay ends.
#[derive(Debug, Default)]
pub struct SpoolDir {
    dir: OnceLock<tempfile::TempDir>,
    next: AtomicUsize,
}

impl SpoolDir {
    fn new_file(&self) -> io::Result<(PathBuf, File)> {
        let dir = match self.dir.get() {
            Some(d) => d,
            None => {
                let made = tempfile::Builder::new()
                    .prefix("costsim-spool-")
                    .tempdir()?;
                // Another thread may have won the race; its directory is used.
                let _ = self.dir.set(made);
                self.dir.get().expect("just set")
            }
        };
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let path = dir.path().join(format!("run-{n}.bin"));
        let file = File::create(&path)?;
        Ok((path, file))
    }
}

/// A sorted run on disk. Its calls' line numbers are shifted by
/// `line_offset` when read back (a piece of a split file learns where its
/// lines start only after the pieces before it are read).
#[derive(Debug)]
struct Run {
    path: PathBuf,
    line_offset: u64,
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// Time (nanoseconds), then the input position: a total order.
type SortKey = (i64, (usize, u64));

/// Time order; the input position breaks ties, so the order is total.
fn sort_key(p: &Pending) -> SortKey {
    (p.ts.timestamp_nanos_opt().unwrap_or(i64::MAX), p.order)
}

#[derive(Debug)]
pub struct Spool {
    dir: Arc<SpoolDir>,
    limit: usize,
    buffer: Vec<Pending>,
    runs: Vec<Run>,
}

impl Spool {
    pub fn new(dir: Arc<SpoolDir>, limit: usize) -> Self {
        Spool {
            dir,
            limit: limit.max(1),
            buffer: Vec::new(),
            runs: Vec::new(),
        }
    }

    pub fn push(&mut self, call: Pending) -> Result<(), SpoolError> {
        self.buffer.push(call);
        if self.buffer.len() >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes the buffer as a sorted run, if it holds any call.
    pub fn spill(&mut self) -> Result<(), SpoolError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let mut calls = std::mem::take(&mut self.buffer);
        calls.sort_unstable_by_key(sort_key);
        let (path, file) = self.dir.new_file()?;
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        for call in &calls {
            bincode::serde::encode_into_std_write(call, &mut out, config())?;
        }
        out.flush()?;
        self.runs.push(Run {
            path,
            line_offset: 0,
        });
        Ok(())
    }

    /// Shifts the line numbers of every call held, buffered or spilled.
    pub fn shift_lines(&mut self, offset: u64) {
        for p in &mut self.buffer {
            p.order.1 += offset;
        }
        for r in &mut self.runs {
            r.line_offset += offset;
        }
    }

    /// Takes over another spool's calls.
    pub fn merge(&mut self, other: Spool) -> Result<(), SpoolError> {
        self.runs.extend(other.runs);
        for call in other.buffer {
            self.push(call)?;
        }
        Ok(())
    }

    /// Every call, in time order.
    pub fn into_sorted(mut self) -> Result<Sorted, SpoolError> {
        if self.runs.is_empty() {
            let mut calls = std::mem::take(&mut self.buffer);
            calls.sort_unstable_by_key(sort_key);
            return Ok(Sorted::Memory(calls.into_iter()));
        }
        self.spill()?;
        let mut runs = std::mem::take(&mut self.runs);
        while runs.len() > FAN_IN {
            let rest = runs.split_off(FAN_IN);
            let merged = Merge::open(runs)?;
            let (path, file) = self.dir.new_file()?;
            let mut out = BufWriter::with_capacity(256 * 1024, file);
            for call in merged {
                bincode::serde::encode_into_std_write(&call?, &mut out, config())?;
            }
            out.flush()?;
            runs = rest;
            runs.push(Run {
                path,
                line_offset: 0,
            });
        }
        Ok(Sorted::Merge(Merge::open(runs)?, self.dir))
    }
}

/// Calls in time order, from memory or merged from runs.
pub enum Sorted {
    Memory(std::vec::IntoIter<Pending>),
    /// The directory is kept alive until the runs are read.
    Merge(Merge, Arc<SpoolDir>),
}

impl Iterator for Sorted {
    type Item = Result<Pending, SpoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Sorted::Memory(calls) => calls.next().map(Ok),
            Sorted::Merge(merge, _) => merge.next(),
        }
    }
}

struct RunReader {
    input: BufReader<File>,
    line_offset: u64,
}

impl RunReader {
    fn read(&mut self) -> Result<Option<Pending>, SpoolError> {
        // End of file shows as an empty buffer before decoding.
        if io::BufRead::fill_buf(&mut self.input)?.is_empty() {
            return Ok(None);
        }
        let mut call: Pending = bincode::serde::decode_from_std_read(&mut self.input, config())?;
        call.order.1 += self.line_offset;
        Ok(Some(call))
    }
}

/// A k-way merge of sorted runs.
pub struct Merge {
    readers: Vec<RunReader>,
    /// (sort key, reader) of each reader's next call.
    heap: BinaryHeap<Reverse<(SortKey, usize)>>,
    heads: Vec<Option<Pending>>,
}

impl Merge {
    fn open(runs: Vec<Run>) -> Result<Merge, SpoolError> {
        let mut merge = Merge {
            readers: Vec::with_capacity(runs.len()),
            heap: BinaryHeap::with_capacity(runs.len()),
            heads: Vec::with_capacity(runs.len()),
        };
        for (i, run) in runs.into_iter().enumerate() {
            let mut reader = RunReader {
                input: BufReader::with_capacity(64 * 1024, File::open(&run.path)?),
                line_offset: run.line_offset,
            };
            // A run's file is read once: unlinking it now frees its space as
            // soon as it is read to the end.
            let _ = std::fs::remove_file(&run.path);
            let head = reader.read()?;
            if let Some(call) = &head {
                merge.heap.push(Reverse((sort_key(call), i)));
            }
            merge.readers.push(reader);
            merge.heads.push(head);
        }
        Ok(merge)
    }
}

impl Iterator for Merge {
    type Item = Result<Pending, SpoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        let Reverse((_, i)) = self.heap.pop()?;
        let call = self.heads[i].take()?;
        match self.readers[i].read() {
            Ok(Some(next)) => {
                self.heap.push(Reverse((sort_key(&next), i)));
                self.heads[i] = Some(next);
            }
            Ok(None) => {}
            Err(e) => return Some(Err(e)),
        }
        Some(Ok(call))
    }
}
