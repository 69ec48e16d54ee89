//! The scenarios that keep state from call to call (a simulated cache,
//! capped sessions, compaction) step through the calls in time order. Calls
//! are offered in input order, a buffer at a time; a window holds the latest
//! of them, so that logs written nearly in time order (concurrent requests
//! logged as they end, a big file read in pieces) are put in order here,
//! with no spool.

use rayon::prelude::*;

use super::evaluate::{Evaluated, LazyKeys, Pending};
use super::spool::Buffers;
use super::{Progress, ReplayError, Stepper};
use crate::report::line_items::LineItemsWriter;

/// Calls handed to the steppers at a time, at first: the window holds up
/// to twice the batch, so a call may arrive a batch of calls after one it
/// precedes. A small window stays in the processor's cache (the calls
/// waiting are hundreds of bytes each: a cache scenario holding 32K of them
/// took about 14% more CPU than one holding 8K, benches/README.md); it
/// grows when calls arrive further out of order, up to [`MAX_BATCH`].
pub const MIN_BATCH: usize = 4 * 1024;

/// The largest batch: past it, a call that comes too late makes the run
/// read its inputs again through the spool.
pub const MAX_BATCH: usize = 16 * 1024;

/// Calls offered one by one are gathered into buffers of this many.
const GATHERED: usize = 4096;

/// Calls held in buffers (stepped or not), in batches, past which the
/// calls still waiting are moved out, and the buffers freed: a buffer is
/// freed only once all its calls are stepped, and one call dated far ahead
/// would hold its buffer to the end.
const HELD_BATCHES: usize = 8;

/// One call waiting in the window: its time-order key (see [`order_key`])
/// and where it is (buffer, place).
type Waiting = (u128, u32, u32);

/// Time, then arrival: one 128-bit number, compared in one step (the
/// window sorts it for every call). Calls arrive in input order (source,
/// then line; a spool hands back calls of equal time in that order too),
/// so among calls of equal time the arrival number orders them as their
/// position in the input does, and calls of one line keep their order.
fn order_key(call: &Pending, arrival: u64) -> u128 {
    let nanos = call.ts.timestamp_nanos_opt().unwrap_or(i64::MAX);
    // The sign bit flipped: unsigned order is then the signed order.
    let time = (nanos as u64) ^ (1 << 63);
    (u128::from(time) << 64) | u128::from(arrival)
}

/// A buffer of calls offered together, and how many of them wait.
struct Held {
    calls: Vec<Pending>,
    waiting: usize,
}

pub struct TimeOrder<'a, 'w> {
    steppers: Vec<Stepper<'a>>,
    /// Buffers holding the calls waiting, by number; calls are stepped
    /// where they are, never moved (a call is hundreds of bytes).
    held: Vec<Option<Held>>,
    free: Vec<u32>,
    held_calls: usize,
    /// The calls waiting: the first `sorted` of them in order (what the
    /// last step left), the rest as they came.
    waiting: Vec<Waiting>,
    sorted: usize,
    /// Room to merge the two parts of `waiting` into, kept for reuse.
    merged: Vec<Waiting>,
    /// Calls stepped at a time (see [`MIN_BATCH`]).
    batch: usize,
    arrivals: u64,
    /// Calls offered one by one, not yet a buffer.
    gathered: Vec<Pending>,
    /// The key of the latest call stepped: nothing earlier can be stepped now.
    stepped_to: Option<u128>,
    /// A call came after later ones were stepped: the results are void.
    late: bool,
    /// Where emptied buffers go back for reuse.
    buffers: Option<&'a Buffers>,
    items: Option<&'w mut LineItemsWriter>,
    /// Where pricing progress goes, when pricing is a phase of its own.
    progress: Option<&'a (dyn Fn(Progress) + Sync)>,
}

impl<'a, 'w> TimeOrder<'a, 'w> {
    pub fn new(
        steppers: Vec<Stepper<'a>>,
        buffers: Option<&'a Buffers>,
        items: Option<&'w mut LineItemsWriter>,
        progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    ) -> Self {
        TimeOrder {
            steppers,
            held: Vec::new(),
            free: Vec::new(),
            held_calls: 0,
            waiting: Vec::new(),
            sorted: 0,
            merged: Vec::new(),
            batch: MIN_BATCH,
            arrivals: 0,
            gathered: Vec::new(),
            stepped_to: None,
            late: false,
            buffers,
            items,
            progress,
        }
    }

    /// Takes the next call in input order (see [`TimeOrder::offer_all`]);
    /// calls offered one by one are gathered first, until [`TimeOrder::flush`].
    pub fn offer(&mut self, call: Pending) -> Result<(), ReplayError> {
        self.gathered.push(call);
        if self.gathered.len() >= GATHERED {
            self.flush()?;
        }
        Ok(())
    }

    /// Offers the calls gathered one by one.
    pub fn flush(&mut self) -> Result<(), ReplayError> {
        let calls = std::mem::take(&mut self.gathered);
        self.offer_all(calls)
    }

    /// Takes the next calls in input order, in any order among themselves.
    /// A call earlier than one already stepped cannot be taken: the order
    /// is then [`TimeOrder::is_late`] and every later offer is ignored.
    pub fn offer_all(&mut self, calls: Vec<Pending>) -> Result<(), ReplayError> {
        if self.late || calls.is_empty() {
            return Ok(());
        }
        let at = match self.free.pop() {
            Some(at) => at,
            None => {
                self.held.push(None);
                (self.held.len() - 1) as u32
            }
        };
        for (place, call) in calls.iter().enumerate() {
            let key = order_key(call, self.arrivals);
            if self.stepped_to.is_some_and(|stepped| key < stepped) {
                self.late = true;
                self.held = Vec::new();
                self.waiting = Vec::new();
                self.sorted = 0;
                return Ok(());
            }
            self.waiting.push((key, at, place as u32));
            self.arrivals += 1;
        }
        self.held_calls += calls.len();
        self.held[at as usize] = Some(Held {
            waiting: calls.len(),
            calls,
        });
        while self.waiting.len() >= 2 * self.batch {
            self.step_earliest(self.batch)?;
        }
        if self.held_calls > HELD_BATCHES * self.batch {
            self.move_waiting_out();
        }
        Ok(())
    }

    /// Whether a call came too late to be stepped in time order.
    pub fn is_late(&self) -> bool {
        self.late
    }

    /// Steps the `n` earliest calls waiting and frees the buffers whose
    /// calls are all stepped.
    fn step_earliest(&mut self, n: usize) -> Result<(), ReplayError> {
        self.put_waiting_in_order();
        let n = n.min(self.waiting.len());
        let batch: Vec<&Pending> = self.waiting[..n]
            .iter()
            .filter_map(|&(_, at, place)| {
                self.held[at as usize]
                    .as_ref()
                    .map(|h| &h.calls[place as usize])
            })
            .collect();
        debug_assert_eq!(batch.len(), n, "every call waiting is held");
        step_batch(&mut self.steppers, &batch, self.items.as_deref_mut())?;
        if let Some(progress) = self.progress {
            progress(Progress::Priced(batch.len() as u64));
        }
        if let Some(&(key, ..)) = self.waiting[..n].last() {
            self.stepped_to = Some(key);
        }
        for (_, at, _) in self.waiting.drain(..n) {
            let slot = &mut self.held[at as usize];
            if let Some(h) = slot {
                h.waiting -= 1;
                if h.waiting == 0 {
                    let done = slot.take().map(|h| h.calls).unwrap_or_default();
                    self.held_calls -= done.len();
                    self.free.push(at);
                    match self.buffers {
                        Some(buffers) => buffers.give(done),
                        None => drop(done),
                    }
                }
            }
        }
        self.sorted = self.waiting.len();
        Ok(())
    }

    /// Sorts the calls that came since the last step (keys, not calls) and
    /// merges them with those the last step left in order: each call is
    /// sorted once.
    fn put_waiting_in_order(&mut self) {
        let (old, new) = self.waiting.split_at_mut(self.sorted);
        // By time alone, a radix sort (a few passes over the keys, where
        // a comparison sort takes a dozen compares a call); it is stable
        // and the new calls are in arrival order, so calls of equal time
        // stay in that order, as their keys say.
        radsort::sort_by_key(new, |&(key, ..)| (key >> 64) as u64);
        // A new call that precedes most of what the last step left came
        // nearly a window late: the window grows before one comes too late.
        if let Some(&(earliest, ..)) = new.first() {
            let after = old.len() - old.partition_point(|&(key, ..)| key < earliest);
            if after > old.len() / 2 {
                self.batch = (2 * self.batch).min(MAX_BATCH);
            }
        }
        if old
            .last()
            .is_some_and(|last| new.first().is_some_and(|first| first.0 < last.0))
        {
            let merged = &mut self.merged;
            merged.clear();
            merged.reserve(old.len() + new.len());
            let (mut a, mut b) = (old.iter().peekable(), new.iter().peekable());
            while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
                if x.0 < y.0 {
                    merged.push(**x);
                    a.next();
                } else {
                    merged.push(**y);
                    b.next();
                }
            }
            merged.extend(a.chain(b));
            std::mem::swap(&mut self.waiting, merged);
        }
        self.sorted = self.waiting.len();
    }

    /// Moves the calls still waiting into one buffer and frees the rest.
    fn move_waiting_out(&mut self) {
        // In buffer and place order, to meet each buffer's calls in turn.
        let mut order: Vec<usize> = (0..self.waiting.len()).collect();
        order.sort_unstable_by_key(|&i| (self.waiting[i].1, self.waiting[i].2));
        let mut moved = Vec::with_capacity(order.len());
        let mut next = order.iter().peekable();
        for at in 0..self.held.len() {
            let Some(held) = self.held[at].take() else {
                continue;
            };
            for (place, call) in held.calls.into_iter().enumerate() {
                if let Some(&&i) = next.peek() {
                    if (self.waiting[i].1, self.waiting[i].2) == (at as u32, place as u32) {
                        next.next();
                        self.waiting[i].1 = 0;
                        self.waiting[i].2 = moved.len() as u32;
                        moved.push(call);
                    }
                }
            }
        }
        self.held_calls = moved.len();
        self.free.clear();
        self.held = vec![Some(Held {
            waiting: moved.len(),
            calls: moved,
        })];
    }

    /// Steps every call still waiting and hands back what each scenario
    /// produced, by scenario number.
    pub fn finish(mut self) -> Result<Vec<(usize, Evaluated)>, ReplayError> {
        self.flush()?;
        debug_assert!(!self.late, "results of a late order are void");
        while !self.waiting.is_empty() {
            self.step_earliest(self.batch)?;
        }
        Ok(self
            .steppers
            .into_iter()
            .flat_map(Stepper::finish)
            .collect())
    }
}

/// Steps one batch of calls, in order, through every stepper; each
/// stepper's state is its own, so they run in parallel.
fn step_batch(
    steppers: &mut [Stepper],
    batch: &[&Pending],
    items: Option<&mut LineItemsWriter>,
) -> Result<(), ReplayError> {
    // Made once, by whichever scenario first needs them.
    let keys: Vec<LazyKeys> = batch.iter().map(|call| LazyKeys::new(call)).collect();
    steppers.par_iter_mut().try_for_each(|e| {
        batch
            .iter()
            .zip(&keys)
            .try_for_each(|(call, keys)| e.step(call, keys, None))
    })?;
    if let Some(items) = items {
        for e in steppers {
            if let Stepper::One(e) = e {
                items.write(e.take_line_items())?;
            }
        }
    }
    Ok(())
}
