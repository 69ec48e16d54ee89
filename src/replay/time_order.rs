//! The scenarios that keep state from call to call (a simulated cache,
//! capped sessions, compaction) step through the calls in time order. Calls
//! are offered in input order; a window holds the latest of them, so that
//! logs written nearly in time order (concurrent requests logged as they
//! end, a big file read in pieces) are put in order here, with no spool.

use rayon::prelude::*;

use super::evaluate::{Evaluated, LazyKeys, Pending};
use super::spool::{sort_key, SortKey};
use super::{Progress, ReplayError, Stepper};
use crate::report::line_items::LineItemsWriter;

/// Calls handed to the steppers at a time; the window holds up to twice
/// this, so a call may arrive this many calls after one it precedes.
pub const BATCH: usize = 16 * 1024;

/// Calls held before the window's room is set aside (small runs never
/// reserve it).
const SMALL_WINDOW: usize = 4096;

/// One call waiting in the window: its time-order key, then its arrival
/// number (calls of one line share a key and keep their order), and its slot.
type Waiting = (SortKey, u64, u32);

pub struct TimeOrder<'a, 'w> {
    steppers: Vec<Stepper<'a>>,
    /// The window's calls, in slots that are reused as calls are stepped,
    /// so a call is never moved once offered.
    slots: Vec<Option<Pending>>,
    free: Vec<u32>,
    waiting: Vec<Waiting>,
    arrivals: u64,
    /// The key of the latest call stepped: nothing earlier can be stepped now.
    stepped_to: Option<SortKey>,
    /// A call came after later ones were stepped: the results are void.
    late: bool,
    items: Option<&'w mut LineItemsWriter>,
    /// Where pricing progress goes, when pricing is a phase of its own.
    progress: Option<&'a (dyn Fn(Progress) + Sync)>,
}

impl<'a, 'w> TimeOrder<'a, 'w> {
    pub fn new(
        steppers: Vec<Stepper<'a>>,
        items: Option<&'w mut LineItemsWriter>,
        progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    ) -> Self {
        TimeOrder {
            steppers,
            slots: Vec::new(),
            free: Vec::new(),
            waiting: Vec::new(),
            arrivals: 0,
            stepped_to: None,
            late: false,
            items,
            progress,
        }
    }

    /// Takes the next call in input order. A call earlier than one already
    /// stepped cannot be taken: the order is then [`TimeOrder::is_late`] and
    /// every later offer is ignored.
    pub fn offer(&mut self, call: Pending) -> Result<(), ReplayError> {
        if self.late {
            return Ok(());
        }
        let key = sort_key(&call);
        if self.stepped_to.is_some_and(|stepped| key < stepped) {
            self.late = true;
            self.slots = Vec::new();
            self.waiting = Vec::new();
            return Ok(());
        }
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(call);
                slot
            }
            None => {
                if self.slots.len() == SMALL_WINDOW {
                    // Grow once to the whole window, not by doubling (each
                    // doubling copies every call and touches fresh pages).
                    self.slots.reserve_exact(2 * BATCH - SMALL_WINDOW);
                }
                self.slots.push(Some(call));
                (self.slots.len() - 1) as u32
            }
        };
        self.waiting.push((key, self.arrivals, slot));
        self.arrivals += 1;
        if self.waiting.len() >= 2 * BATCH {
            self.step_earliest(BATCH)?;
        }
        Ok(())
    }

    /// Whether a call came too late to be stepped in time order.
    pub fn is_late(&self) -> bool {
        self.late
    }

    /// Steps the `n` earliest calls waiting and frees their slots.
    fn step_earliest(&mut self, n: usize) -> Result<(), ReplayError> {
        // Keys, not calls, are sorted: a call is hundreds of bytes.
        self.waiting.sort_unstable();
        let n = n.min(self.waiting.len());
        let batch: Vec<&Pending> = self.waiting[..n]
            .iter()
            .filter_map(|&(_, _, slot)| self.slots[slot as usize].as_ref())
            .collect();
        step_batch(&mut self.steppers, &batch, self.items.as_deref_mut())?;
        if let Some(progress) = self.progress {
            progress(Progress::Priced(batch.len() as u64));
        }
        if let Some(&(key, _, _)) = self.waiting[..n].last() {
            self.stepped_to = Some(key);
        }
        for (_, _, slot) in self.waiting.drain(..n) {
            self.slots[slot as usize] = None;
            self.free.push(slot);
        }
        Ok(())
    }

    /// Steps every call still waiting and hands back what each scenario
    /// produced, by scenario number.
    pub fn finish(mut self) -> Result<Vec<(usize, Evaluated)>, ReplayError> {
        debug_assert!(!self.late, "results of a late order are void");
        while !self.waiting.is_empty() {
            self.step_earliest(BATCH)?;
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
            .try_for_each(|(call, keys)| e.step(call, keys))
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
