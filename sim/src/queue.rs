//! The event queue: pending items by `(instant, seq)`, popped in that order.
//!
//! Invariants:
//! - Items come out in `(time, seq)` order. `seq` only grows, so appending an item to its
//!   instant's list keeps each list in `seq` order.
//! - Nothing pending is earlier than `cursor` (the instant of the last in-order pop, or
//!   lower).
//! - Small queues (the explorer's worlds) are a map of instant → list. Once a queue has
//!   held `WHEEL_AFTER` items it also has a timing wheel: `WHEEL` one-millisecond slots
//!   for the instants `cursor .. cursor + WHEEL`, each slot that instant's list, with a bit
//!   per non-empty slot; the map then holds only the instants at or after
//!   `cursor + WHEEL`, and moves each into its slot as the cursor comes within reach —
//!   before anything else can be queued at that instant, which keeps the `seq` order.
//!   Queueing and popping are then an index and a bit scan instead of a tree search per
//!   item (the busiest queue in a timed run: every message and timer passes through).

use crate::time::SimTime;
use std::collections::{BTreeMap, VecDeque};

/// Slots of the wheel (ms ahead of the cursor it covers); a power of two.
const WHEEL: usize = 4096;
const WORDS: usize = WHEEL / 64;
/// Items a queue holds before it builds its wheel (a small queue stays cheap to clone).
const WHEEL_AFTER: usize = 64;

fn slot(t: SimTime) -> usize {
    (t.0 as usize) & (WHEEL - 1)
}

/// Pending items of type `T` by `(instant, seq)`.
#[derive(Clone, Debug)]
pub(crate) struct EventQueue<T> {
    /// No pending item is earlier; with a wheel, its first slot's instant.
    cursor: SimTime,
    /// Empty, or `WHEEL` lists: slot `slot(t)` holds instant `t` for `t` in
    /// `cursor .. cursor + WHEEL`.
    wheel: Vec<VecDeque<(u64, T)>>,
    /// Bit `s` set: `wheel[s]` is not empty.
    bits: Vec<u64>,
    /// Items in the wheel.
    in_wheel: usize,
    /// Instants beyond the wheel (all of them while there is none), each with its list.
    far: BTreeMap<SimTime, VecDeque<(u64, T)>>,
    /// Items in `far`.
    in_far: usize,
    /// Emptied lists, reused for the next new instant in `far` (an allocation per instant
    /// saved). Always empty; not part of the state.
    spare: Vec<VecDeque<(u64, T)>>,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            cursor: SimTime::ZERO,
            wheel: Vec::new(),
            bits: Vec::new(),
            in_wheel: 0,
            far: BTreeMap::new(),
            in_far: 0,
            spare: Vec::new(),
        }
    }
}

impl<T> EventQueue<T> {
    /// Items pending.
    pub(crate) fn len(&self) -> usize {
        self.in_wheel + self.in_far
    }

    fn in_reach(&self, at: SimTime) -> bool {
        !self.wheel.is_empty() && at.0 - self.cursor.0 < WHEEL as u64
    }

    /// Queues `item` at `at` with sequence number `seq`, above every `seq` queued before.
    pub(crate) fn push(&mut self, at: SimTime, seq: u64, item: T) {
        if at < self.cursor {
            // Never in a run (nothing is queued in the past); kept correct regardless.
            self.drop_wheel();
            self.cursor = at;
        }
        if self.in_reach(at) {
            let s = slot(at);
            self.wheel[s].push_back((seq, item));
            self.bits[s / 64] |= 1 << (s % 64);
            self.in_wheel += 1;
        } else {
            let spare = &mut self.spare;
            self.far
                .entry(at)
                .or_insert_with(|| spare.pop().unwrap_or_default())
                .push_back((seq, item));
            self.in_far += 1;
            if self.wheel.is_empty() && self.in_far >= WHEEL_AFTER {
                self.build_wheel();
            }
        }
    }

    /// The instant of the next item.
    pub(crate) fn next_at(&self) -> Option<SimTime> {
        match self.first_slot() {
            Some(t) => Some(t),
            None => self.far.first_key_value().map(|(&t, _)| t),
        }
    }

    /// Takes the next item if it is due at or before `t` (`next_at` and `pop` in one: the
    /// event loop's step, with one scan of the wheel's bits instead of two).
    pub(crate) fn pop_until(&mut self, t: SimTime) -> Option<(SimTime, T)> {
        if self.in_wheel > 0 {
            let at = self.first_slot()?;
            if at > t {
                return None;
            }
            return self.take_at(at);
        }
        if *self.far.first_key_value()?.0 > t {
            return None;
        }
        self.pop()
    }

    /// Takes the next item; returns its instant too.
    pub(crate) fn pop(&mut self) -> Option<(SimTime, T)> {
        if self.in_wheel == 0 {
            let mut first = self.far.first_entry()?;
            let at = *first.key();
            if self.wheel.is_empty() {
                let (_, item) = first.get_mut().pop_front()?;
                if first.get().is_empty() {
                    let list = first.remove();
                    self.recycle(list);
                }
                self.in_far -= 1;
                self.cursor = at;
                return Some((at, item));
            }
            // The wheel ran dry: it jumps to the first far instant.
            self.advance(at);
        }
        let at = self.first_slot()?;
        self.take_at(at)
    }

    /// Takes the first item of the wheel's slot for `at`, the first non-empty one.
    fn take_at(&mut self, at: SimTime) -> Option<(SimTime, T)> {
        self.advance(at);
        let s = slot(at);
        let (_, item) = self.wheel[s].pop_front()?;
        if self.wheel[s].is_empty() {
            self.bits[s / 64] &= !(1 << (s % 64));
        }
        self.in_wheel -= 1;
        Some((at, item))
    }

    /// Removes the item with key `(at, seq)`, out of order (the explorer's choices).
    pub(crate) fn remove(&mut self, (at, seq): (SimTime, u64)) -> Option<T> {
        if at < self.cursor {
            return None;
        }
        if self.in_reach(at) {
            let s = slot(at);
            let list = &mut self.wheel[s];
            let i = list.iter().position(|(q, _)| *q == seq)?;
            let (_, item) = list.remove(i)?;
            if list.is_empty() {
                self.bits[s / 64] &= !(1 << (s % 64));
            }
            self.in_wheel -= 1;
            return Some(item);
        }
        let list = self.far.get_mut(&at)?;
        let i = list.iter().position(|(q, _)| *q == seq)?;
        let (_, item) = list.remove(i)?;
        if list.is_empty() {
            if let Some(l) = self.far.remove(&at) {
                self.recycle(l);
            }
        }
        self.in_far -= 1;
        Some(item)
    }

    /// The pending items with their `(time, seq)` keys, in that order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ((SimTime, u64), &T)> {
        let cursor = self.cursor;
        let reach = if self.in_wheel == 0 { 0 } else { WHEEL as u64 };
        let near = (0..reach).flat_map(move |d| {
            let t = SimTime(cursor.0 + d);
            self.wheel[slot(t)].iter().map(move |(q, x)| ((t, *q), x))
        });
        let far = self
            .far
            .iter()
            .flat_map(|(&t, list)| list.iter().map(move |(q, x)| ((t, *q), x)));
        near.chain(far)
    }

    /// The first non-empty slot's instant, scanning the bits from the cursor's slot.
    fn first_slot(&self) -> Option<SimTime> {
        if self.in_wheel == 0 {
            return None;
        }
        let c = slot(self.cursor);
        let (w0, b0) = (c / 64, c % 64);
        for i in 0..=WORDS {
            let w = (w0 + i) % WORDS;
            let mut word = self.bits[w];
            if i == 0 {
                word &= !0u64 << b0;
            } else if i == WORDS {
                word &= (1u64 << b0).wrapping_sub(1);
            }
            if word != 0 {
                let s = w * 64 + word.trailing_zeros() as usize;
                let ahead = (s + WHEEL - c) % WHEEL;
                return Some(SimTime(self.cursor.0 + ahead as u64));
            }
        }
        None
    }

    /// Moves the cursor to `at` (no item in the wheel is earlier) and pulls the far
    /// instants now within reach into their slots.
    fn advance(&mut self, at: SimTime) {
        if at > self.cursor {
            self.cursor = at;
            self.pull_within_reach();
        }
    }

    /// Builds the wheel at the cursor and moves the instants within reach into it.
    fn build_wheel(&mut self) {
        self.wheel = (0..WHEEL).map(|_| VecDeque::new()).collect();
        self.bits = vec![0; WORDS];
        self.pull_within_reach();
    }

    /// Moves each far instant within reach of the cursor into its slot (which holds no
    /// other instant: the one it held before was earlier than the cursor).
    fn pull_within_reach(&mut self) {
        let at = self.cursor;
        while let Some(first) = self.far.first_entry() {
            let t = *first.key();
            if t.0 - at.0 >= WHEEL as u64 {
                break;
            }
            let list = first.remove();
            let s = slot(t);
            debug_assert!(self.wheel[s].is_empty());
            self.in_far -= list.len();
            self.in_wheel += list.len();
            self.bits[s / 64] |= 1 << (s % 64);
            let old = std::mem::replace(&mut self.wheel[s], list);
            self.recycle(old);
        }
    }

    /// Moves everything back into `far` and drops the wheel.
    fn drop_wheel(&mut self) {
        let cursor = self.cursor;
        let wheel = std::mem::take(&mut self.wheel);
        self.bits.clear();
        for (s, list) in wheel.into_iter().enumerate() {
            if list.is_empty() {
                continue;
            }
            let ahead = (s + WHEEL - slot(cursor)) % WHEEL;
            let t = SimTime(cursor.0 + ahead as u64);
            self.in_far += list.len();
            self.far.insert(t, list);
        }
        self.in_wheel = 0;
    }

    /// Keeps an emptied list for reuse (a few suffice: instants come and go).
    fn recycle(&mut self, list: VecDeque<(u64, T)>) {
        if self.spare.len() < 64 {
            self.spare.push(list);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{EventQueue, WHEEL, WHEEL_AFTER};
    use crate::rng::Rng;
    use crate::time::SimTime;
    use std::collections::BTreeMap;

    /// Random pushes (near, far, at the cursor, now and then in the past), pops and
    /// out-of-order removes, small and large queues: the queue always agrees with a
    /// sorted map of `(time, seq)` — what it pops, its next instant, its length and its
    /// listing.
    #[test]
    fn the_queue_pops_and_lists_in_time_then_seq_order_like_a_sorted_map() {
        for seed in 0..40 {
            let mut rng = Rng::new(seed);
            let mut q: EventQueue<u64> = EventQueue::default();
            let mut model: BTreeMap<(SimTime, u64), u64> = BTreeMap::new();
            let mut now = 0u64;
            let mut seq = 0u64;
            let target = [4, WHEEL_AFTER * 3, 600][seed as usize % 3] as u64;
            for _ in 0..4_000 {
                let r = rng.below(100);
                let len = model.len() as u64;
                if len < target / 2 || (r < 55 && len < target) {
                    let ahead = match rng.below(10) {
                        0 => 0,
                        1 => WHEEL as u64 + rng.below(3 * WHEEL as u64),
                        2 => WHEEL as u64 - 1 - rng.below(3),
                        _ => rng.below(400),
                    };
                    let base = if rng.below(200) == 0 {
                        now.saturating_sub(rng.below(50))
                    } else {
                        now
                    };
                    seq += 1;
                    q.push(SimTime(base + ahead), seq, seq);
                    model.insert((SimTime(base + ahead), seq), seq);
                } else if r < 70 {
                    // Due by an instant near the next one: taken exactly when `next_at`
                    // is at or before it.
                    let by = SimTime(now + rng.below(3));
                    let got = q.pop_until(by);
                    let want = match model.first_key_value() {
                        Some((&(t, _), _)) if t <= by => {
                            model.pop_first().map(|((t, _), v)| (t, v))
                        }
                        _ => None,
                    };
                    assert_eq!(got, want, "seed {seed}");
                    if let Some((t, _)) = got {
                        now = now.max(t.0);
                    }
                } else if r < 90 {
                    let got = q.pop();
                    let want = model.pop_first().map(|((t, _), v)| (t, v));
                    assert_eq!(got, want, "seed {seed}");
                    if let Some((t, _)) = got {
                        now = now.max(t.0);
                    }
                } else if let Some((&k, &v)) = model
                    .iter()
                    .nth(rng.below(model.len().max(1) as u64) as usize)
                {
                    assert_eq!(q.remove(k), Some(v), "seed {seed}");
                    model.remove(&k);
                    now = now.max(k.0 .0);
                }
                assert_eq!(q.len(), model.len());
                assert_eq!(q.next_at(), model.keys().next().map(|k| k.0));
            }
            // The large queues ran with the wheel, the small ones without.
            assert_eq!(
                !q.wheel.is_empty(),
                target > WHEEL_AFTER as u64,
                "seed {seed}"
            );
            let listed: Vec<((SimTime, u64), u64)> = q.iter().map(|(k, v)| (k, *v)).collect();
            let want: Vec<((SimTime, u64), u64)> = model.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(listed, want, "seed {seed}");
            assert_eq!(q.remove((SimTime(u64::MAX / 2), 1)), None);
        }
    }
}
