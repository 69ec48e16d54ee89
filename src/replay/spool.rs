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

/// Calls buffered before a run is written: about 7 MB of parsed calls.
/// Small runs keep a scenario run's memory low (a big file is read in
/// parallel pieces, each with its own buffer) and cost less CPU than large
/// ones: fresh pages and cache misses outweigh the longer merge
/// (benches/scenarios.sh).
pub const DEFAULT_SPOOL_CALLS: usize = 16 * 1024;

/// Runs merged at once (open files, each with a read buffer); more are
/// merged in rounds.
const FAN_IN: usize = 512;

/// Bytes buffered per run while merging.
const RUN_READ_BUFFER: usize = 16 * 1024;

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
pub type SortKey = (i64, (usize, u64));

/// Time order; the input position breaks ties, so the order is total.
pub fn sort_key(p: &Pending) -> SortKey {
    (p.ts.timestamp_nanos_opt().unwrap_or(i64::MAX), p.order)
}

/// Calls buffered before the buffer's room is set aside for a whole run
/// (small inputs never reserve it; large ones grow it once).
const SMALL_BUFFER: usize = 4096;

/// The order the calls held arrived in, so that calls logged in time order
/// (the usual case: logs are appended) are never sorted or merged.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Arrival {
    /// Every call held came in time order, runs and buffer alike (a run's
    /// calls all precede the next run's and the buffer's).
    in_order: bool,
    /// The buffer's calls came in time order.
    buffer_in_order: bool,
    /// Keys of the first and the last call held, if any.
    first: Option<SortKey>,
    last: Option<SortKey>,
}

impl Arrival {
    const EMPTY: Arrival = Arrival {
        in_order: true,
        buffer_in_order: true,
        first: None,
        last: None,
    };

    fn note(&mut self, key: SortKey) {
        if self.last.is_some_and(|last| key < last) {
            self.in_order = false;
            self.buffer_in_order = false;
        }
        self.first.get_or_insert(key);
        self.last = Some(key);
    }

    fn shift(&mut self, offset: u64) {
        for key in [&mut self.first, &mut self.last].into_iter().flatten() {
            key.1 .1 += offset;
        }
    }
}

#[derive(Debug)]
pub struct Spool {
    dir: Arc<SpoolDir>,
    limit: usize,
    buffer: Vec<Pending>,
    runs: Vec<Run>,
    arrival: Arrival,
}

impl Spool {
    pub fn new(dir: Arc<SpoolDir>, limit: usize) -> Self {
        Spool::with_buffer(dir, limit, Vec::new())
    }

    /// A spool that buffers calls in `buffer` (empty; its room is reused).
    pub fn with_buffer(dir: Arc<SpoolDir>, limit: usize, buffer: Vec<Pending>) -> Self {
        Spool {
            dir,
            limit: limit.max(1),
            buffer,
            runs: Vec::new(),
            arrival: Arrival::EMPTY,
        }
    }

    /// The calls, as they came, when none was spilled (the spool is left
    /// empty); `None` when some were.
    pub fn take_buffer(&mut self) -> Option<Vec<Pending>> {
        if self.runs.is_empty() {
            self.arrival = Arrival::EMPTY;
            Some(std::mem::take(&mut self.buffer))
        } else {
            None
        }
    }

    pub fn push(&mut self, call: Pending) -> Result<(), SpoolError> {
        self.arrival.note(sort_key(&call));
        if self.buffer.len() == SMALL_BUFFER {
            // Grow once to a whole run, not by doubling (each doubling
            // copies every call and touches fresh pages).
            self.buffer
                .reserve_exact(self.limit - SMALL_BUFFER.min(self.limit));
        }
        self.buffer.push(call);
        if self.buffer.len() >= self.limit {
            self.write_run()?;
        }
        Ok(())
    }

    /// Writes the buffered calls as a sorted run and frees the buffer (the
    /// calls wait on disk).
    pub fn spill(&mut self) -> Result<(), SpoolError> {
        self.write_run()?;
        self.buffer = Vec::new();
        Ok(())
    }

    /// Writes the buffer as a sorted run, if it holds any call; the buffer
    /// keeps its room for the next run.
    fn write_run(&mut self) -> Result<(), SpoolError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let (path, file) = self.dir.new_file()?;
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        if self.arrival.buffer_in_order {
            for call in &self.buffer {
                bincode::serde::encode_into_std_write(call, &mut out, config())?;
            }
        } else {
            // Sorted by key and position, not moved: a call is hundreds of
            // bytes, a key and position 32.
            let mut order: Vec<(SortKey, usize)> = self
                .buffer
                .iter()
                .enumerate()
                .map(|(i, call)| (sort_key(call), i))
                .collect();
            order.sort_unstable();
            for (_, i) in order {
                bincode::serde::encode_into_std_write(&self.buffer[i], &mut out, config())?;
            }
        }
        out.flush()?;
        self.buffer.clear();
        self.runs.push(Run {
            path,
            line_offset: 0,
        });
        self.arrival.buffer_in_order = true;
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
        self.arrival.shift(offset);
    }

    /// Takes over another spool's calls, which come after this one's.
    pub fn merge(&mut self, mut other: Spool) -> Result<(), SpoolError> {
        if other.runs.is_empty() {
            // Each call is noted as it comes.
            for call in other.buffer.drain(..) {
                self.push(call)?;
            }
            return Ok(());
        }
        let follows = match (self.arrival.last, other.arrival.first) {
            (Some(last), Some(first)) => first >= last,
            _ => true,
        };
        // This buffer's calls come before the other's runs.
        self.spill()?;
        self.runs.append(&mut other.runs);
        self.buffer = std::mem::take(&mut other.buffer);
        self.arrival = Arrival {
            in_order: self.arrival.in_order && other.arrival.in_order && follows,
            buffer_in_order: other.arrival.buffer_in_order,
            first: self.arrival.first.or(other.arrival.first),
            last: other.arrival.last,
        };
        Ok(())
    }

    /// Every call, in time order. Calls that came in order are handed back
    /// as they came: the buffer as it is, the runs one after the other.
    pub fn into_sorted(mut self) -> Result<Sorted, SpoolError> {
        if self.runs.is_empty() {
            let mut calls = std::mem::take(&mut self.buffer);
            if !self.arrival.buffer_in_order {
                // Stable: calls of one line share a key and keep their order,
                // as they do in a run written to disk.
                calls.sort_by_key(sort_key);
            }
            return Ok(Sorted::Memory(calls.into_iter()));
        }
        self.spill()?;
        if self.arrival.in_order {
            let runs = std::mem::take(&mut self.runs);
            return Ok(Sorted::Chain(Chain::open(runs), self.dir));
        }
        let mut runs = std::mem::take(&mut self.runs);
        while runs.len() > FAN_IN {
            // Merge just enough runs into one that the rest fit in a
            // final merge: each extra round rewrites the calls it takes.
            let take = FAN_IN.min(runs.len() - FAN_IN + 1);
            let rest = runs.split_off(take);
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

/// Buffers of calls handed back once their calls are taken, so that the
/// pieces of a run read one after another reuse memory already touched
/// rather than fresh pages.
#[derive(Debug)]
pub struct Buffers {
    kept: std::sync::Mutex<Vec<Vec<Pending>>>,
    /// Buffers kept for reuse at most.
    limit: usize,
}

impl Buffers {
    /// A pool that keeps up to `limit` buffers.
    pub fn new(limit: usize) -> Self {
        Buffers {
            kept: Default::default(),
            limit,
        }
    }

    /// An empty buffer, with room if one was handed back.
    pub fn take(&self) -> Vec<Pending> {
        self.kept
            .lock()
            .ok()
            .and_then(|mut kept| kept.pop())
            .unwrap_or_default()
    }

    /// Keeps an emptied buffer's room for the next `take`.
    pub fn give(&self, mut buffer: Vec<Pending>) {
        buffer.clear();
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() < self.limit && buffer.capacity() > 0 {
                kept.push(buffer);
            }
        }
    }
}

/// Calls in time order, from memory, from runs read one after the other,
/// or merged from runs.
pub enum Sorted {
    Memory(std::vec::IntoIter<Pending>),
    /// The directory is kept alive until the runs are read.
    Chain(Chain, Arc<SpoolDir>),
    Merge(Merge, Arc<SpoolDir>),
}

impl Iterator for Sorted {
    type Item = Result<Pending, SpoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Sorted::Memory(calls) => calls.next().map(Ok),
            Sorted::Chain(chain, _) => chain.next(),
            Sorted::Merge(merge, _) => merge.next(),
        }
    }
}

/// Runs whose calls follow each other in time order, read in turn.
pub struct Chain {
    runs: std::vec::IntoIter<Run>,
    current: Option<RunReader>,
}

impl Chain {
    fn open(runs: Vec<Run>) -> Chain {
        Chain {
            runs: runs.into_iter(),
            current: None,
        }
    }
}

impl Iterator for Chain {
    type Item = Result<Pending, SpoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(reader) = &mut self.current {
                match reader.read() {
                    Ok(Some(call)) => return Some(Ok(call)),
                    Ok(None) => self.current = None,
                    Err(e) => return Some(Err(e)),
                }
            }
            let run = self.runs.next()?;
            match RunReader::open(run) {
                Ok(reader) => self.current = Some(reader),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

struct RunReader {
    input: BufReader<File>,
    line_offset: u64,
}

impl RunReader {
    fn open(run: Run) -> Result<RunReader, SpoolError> {
        let reader = RunReader {
            input: BufReader::with_capacity(RUN_READ_BUFFER, File::open(&run.path)?),
            line_offset: run.line_offset,
        };
        // A run's file is read once: unlinking it now frees its space as
        // soon as it is read to the end.
        let _ = std::fs::remove_file(&run.path);
        Ok(reader)
    }

    fn read(&mut self) -> Result<Option<Pending>, SpoolError> {
        // End of file shows as an empty buffer before decoding.
        if io::BufRead::fill_buf(&mut self.input)?.is_empty() {
            return Ok(None);
        }
        // Through the buffer's own reader, which lets bincode read a varint
        // from the buffered bytes instead of one `read_exact` per byte.
        let mut call: Pending = bincode::serde::decode_from_reader(&mut self.input, config())?;
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
            let mut reader = RunReader::open(run)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn call(seconds: i64, line: u64) -> Pending {
        Pending {
            order: (0, line),
            ts: Utc.timestamp_opt(1_780_000_000 + seconds, 0).unwrap(),
            keys: Vec::new(),
            model: None,
            model_key: "m".to_string(),
            account: "default".to_string(),
            session: None,
            id: None,
            step: None,
            success: None,
            tags: Default::default(),
            usage: Default::default(),
            batch: false,
            shape: Default::default(),
            billed: None,
            requests: 1,
            undated: false,
            options: None,
            format: crate::replay::evaluate::FormatName("canonical"),
            copy: None,
            latency_ms: None,
            prompt_hash: None,
        }
    }

    /// (seconds, line) of every call handed back, and whether the runs were
    /// read one after the other (no merge).
    fn drain(spool: Spool) -> (Vec<(i64, u64)>, bool) {
        let sorted = spool.into_sorted().unwrap();
        let chained = matches!(sorted, Sorted::Chain(..) | Sorted::Memory(_));
        let calls = sorted
            .map(|c| {
                let c = c.unwrap();
                (c.ts.timestamp() - 1_780_000_000, c.order.1)
            })
            .collect();
        (calls, chained)
    }

    /// A spool of calls at `times` (seconds), spilling every `limit` calls.
    /// Spools of one run share their folder, as a replay's do.
    fn spool_of(times: &[i64], limit: usize) -> Spool {
        thread_local!(static DIR: Arc<SpoolDir> = Arc::new(SpoolDir::default()));
        let mut spool = Spool::new(DIR.with(Arc::clone), limit);
        for (line, &t) in times.iter().enumerate() {
            spool.push(call(t, line as u64 + 1)).unwrap();
        }
        spool
    }

    #[test]
    fn calls_in_time_order_are_read_back_without_a_merge() {
        let times: Vec<i64> = (0..10).map(|i| i / 2).collect();
        let (calls, chained) = drain(spool_of(&times, 3));
        assert!(chained);
        let want: Vec<(i64, u64)> = times.iter().zip(1..).map(|(&t, l)| (t, l)).collect();
        assert_eq!(calls, want);
    }

    #[test]
    fn calls_out_of_order_are_sorted_and_merged() {
        let (calls, chained) = drain(spool_of(&[5, 1, 4, 2, 3, 0, 9, 7], 3));
        assert!(!chained);
        let times: Vec<i64> = calls.iter().map(|c| c.0).collect();
        assert_eq!(times, [0, 1, 2, 3, 4, 5, 7, 9]);
        // In memory only: sorted too.
        let (calls, _) = drain(spool_of(&[3, 1, 2], 10));
        assert_eq!(calls, [(1, 2), (2, 3), (3, 1)]);
    }

    #[test]
    fn more_runs_than_one_merge_takes_are_merged_in_rounds() {
        // One call per run: FAN_IN + 88 runs, out of order.
        let times: Vec<i64> = (0..FAN_IN as i64 + 88).map(|i| (i * 7919) % 1000).collect();
        let (calls, chained) = drain(spool_of(&times, 1));
        assert!(!chained);
        let mut want: Vec<(i64, u64)> = times.iter().zip(1..).map(|(&t, l)| (t, l)).collect();
        want.sort();
        assert_eq!(calls, want);
    }

    #[test]
    fn merged_spools_stay_chained_only_when_they_follow_each_other() {
        for (second, chained_want) in [(vec![4, 5, 6, 7], true), (vec![2, 5, 6, 7], false)] {
            let mut first = spool_of(&[0, 1, 2, 3, 4], 2);
            let mut next = spool_of(&second, 2);
            next.shift_lines(5);
            first.merge(next).unwrap();
            let (calls, chained) = drain(first);
            assert_eq!(chained, chained_want, "{second:?}");
            let mut want: Vec<(i64, u64)> = [0, 1, 2, 3, 4]
                .into_iter()
                .chain(second.iter().copied())
                .zip(1..)
                .collect();
            want.sort();
            assert_eq!(calls, want);
        }
        // A small spool merged into one with runs: the calls are noted as
        // they come.
        let mut first = spool_of(&[0, 1, 2, 3], 2);
        first.merge(spool_of(&[1], 2)).unwrap();
        let (calls, chained) = drain(first);
        assert!(!chained);
        assert_eq!(calls, [(0, 1), (1, 1), (1, 2), (2, 3), (3, 4)]);
    }
}
