//! The WAN: latency, jitter, loss, per-direction links, and the messages in flight.
//!
//! Invariants: every message between two DCs is an `Envelope` with a unique, increasing
//! `seq`; it is either in `in_flight` until its delivery instant or dropped (and the drop
//! is reported). A cut applies to one direction only. Messages a DC sends to itself are
//! local: no latency, no loss, never drawn.

use crate::ids::DcId;
use crate::ids::TxnId;
use crate::time::SimTime;
use crate::vocab::{Msg, MsgKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};
use std::rc::Rc;

/// A message on the wire.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// Unique and increasing over the run (shared with the event queue's tie-breaker).
    pub seq: u64,
    /// Its sender.
    pub src: DcId,
    /// Its destination.
    pub dst: DcId,
    /// When it left.
    pub send_at: SimTime,
    /// When it arrives (unless dropped on the way).
    pub deliver_at: SimTime,
    pub(crate) msg: Msg,
}

impl Envelope {
    /// What kind of message it carries.
    pub fn kind(&self) -> MsgKind {
        self.msg.kind()
    }

    /// The transaction it belongs to, for a 2PC message.
    pub fn txn(&self) -> Option<TxnId> {
        self.msg.txn()
    }
}

/// Why a message was dropped.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DropReason {
    /// The link was cut when the message was sent or while it travelled.
    LinkCut,
    /// Random loss.
    Loss,
    /// The destination was down on arrival.
    DestinationDown,
}

impl DropReason {
    /// The name the page shows.
    pub fn label(self) -> &'static str {
        match self {
            DropReason::LinkCut => "link cut",
            DropReason::Loss => "lost",
            DropReason::DestinationDown => "destination down",
        }
    }
}

/// The messages on the wire, by `seq`: a window of slots from the oldest message still in
/// flight to the newest (sequence numbers only grow, and a message leaves within its
/// latency, so the window stays short), where a map cost a tree search and rebalancing
/// per message sent and delivered. Each envelope behind an `Rc`: a slot is a pointer, and
/// the explorer's branches share a message until one of them delivers it.
#[derive(Debug, Default)]
pub struct InFlight {
    /// The `seq` of `slots[0]`.
    base: u64,
    /// `slots[i]`: message `base + i`, if still in flight. Never starts with `None`.
    slots: VecDeque<Option<Rc<Envelope>>>,
    /// Messages in flight.
    len: usize,
    /// Boxes of delivered messages, each unshared and holding `placeholder()`, reused by
    /// the next messages sent (`wrap`): an allocation and a free per message saved. Not
    /// part of the state; a clone starts without.
    spare: Vec<Rc<Envelope>>,
}

/// Boxes `InFlight` keeps for reuse (about the messages delivered between two sends).
const SPARE_CAP: usize = 64;

impl Clone for InFlight {
    fn clone(&self) -> Self {
        InFlight {
            base: self.base,
            slots: self.slots.clone(),
            len: self.len,
            spare: Vec::new(),
        }
    }
}

/// What a spare box holds: an envelope with nothing to free.
fn placeholder() -> Envelope {
    Envelope {
        seq: 0,
        src: DcId(0),
        dst: DcId(0),
        send_at: SimTime::ZERO,
        deliver_at: SimTime::ZERO,
        msg: Msg::Decision {
            txn: TxnId(0),
            key: (crate::ids::TableId(0), crate::ids::ShardId(0)),
            commit: false,
            asked: false,
        },
    }
}

impl InFlight {
    /// Puts `env` in flight; its `seq` must be above every `seq` given before.
    pub(crate) fn insert(&mut self, env: Rc<Envelope>) -> &Envelope {
        let seq = env.seq;
        if self.slots.is_empty() {
            self.base = seq;
        }
        let i = (seq - self.base) as usize;
        debug_assert!(i >= self.slots.len(), "seq {seq} is not new");
        self.slots.resize(i, None);
        self.slots.push_back(Some(env));
        self.len += 1;
        self.slots[i].as_deref().expect("just put")
    }

    fn index(&self, seq: u64) -> Option<usize> {
        let i = seq.checked_sub(self.base)?;
        (i < self.slots.len() as u64).then_some(i as usize)
    }

    /// `env` behind an `Rc`, in a spare box when there is one.
    pub(crate) fn wrap(&mut self, env: Envelope) -> Rc<Envelope> {
        if let Some(mut rc) = self.spare.pop() {
            if let Some(slot) = Rc::get_mut(&mut rc) {
                *slot = env;
                return rc;
            }
        }
        Rc::new(env)
    }

    /// Takes message `seq` off the wire, by value: moved out of its box (kept for reuse)
    /// unless an explorer branch shares it.
    pub(crate) fn take(&mut self, seq: u64) -> Option<Envelope> {
        let mut rc = self.remove(&seq)?;
        let Some(env) = Rc::get_mut(&mut rc) else {
            return Some((*rc).clone());
        };
        let env = std::mem::replace(env, placeholder());
        if self.spare.len() < SPARE_CAP {
            self.spare.push(rc);
        }
        Some(env)
    }

    /// Message `seq`, if in flight.
    pub fn get(&self, seq: &u64) -> Option<&Rc<Envelope>> {
        self.slots.get(self.index(*seq)?)?.as_ref()
    }

    /// Takes message `seq` off the wire.
    pub fn remove(&mut self, seq: &u64) -> Option<Rc<Envelope>> {
        let i = self.index(*seq)?;
        let env = self.slots[i].take()?;
        self.len -= 1;
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            self.base += 1;
        }
        Some(env)
    }

    /// The messages in flight, by `seq`.
    pub fn values(&self) -> impl Iterator<Item = &Rc<Envelope>> {
        self.slots.iter().flatten()
    }

    /// `(seq, message)` of each message in flight, by `seq`.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Rc<Envelope>)> {
        self.values().map(|e| (e.seq, e))
    }

    /// How many messages are in flight.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One-way latencies in ms, by ordered pair of DC ids: a dense square table indexed by id
/// (ids are small and never reused), read per message sent and per replica ranked, where
/// a map cost a tree search each time. A pair never set reads as absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Latency {
    /// Side of the table: every id set so far is below it.
    n: usize,
    /// `cells[a * n + b]`: the latency `a → b`, if set.
    cells: Vec<Option<u32>>,
}

impl Latency {
    /// The latency `a → b`, if set.
    pub fn get(&self, (a, b): &(DcId, DcId)) -> Option<u32> {
        let (a, b) = (usize::from(a.0), usize::from(b.0));
        if a < self.n && b < self.n {
            self.cells[a * self.n + b]
        } else {
            None
        }
    }

    /// Sets the latency `a → b` (growing the table to cover both ids).
    pub fn insert(&mut self, (a, b): (DcId, DcId), ms: u32) {
        let (a, b) = (usize::from(a.0), usize::from(b.0));
        let need = a.max(b) + 1;
        if need > self.n {
            let mut cells = vec![None; need * need];
            for i in 0..self.n {
                cells[i * need..i * need + self.n]
                    .copy_from_slice(&self.cells[i * self.n..(i + 1) * self.n]);
            }
            self.cells = cells;
            self.n = need;
        }
        self.cells[a * self.n + b] = Some(ms);
    }

    /// Forgets every latency from or to `d` (a removed DC).
    pub fn remove_dc(&mut self, d: DcId) {
        let d = usize::from(d.0);
        if d >= self.n {
            return;
        }
        for i in 0..self.n {
            self.cells[d * self.n + i] = None;
            self.cells[i * self.n + d] = None;
        }
    }
}

/// The WAN between the DCs.
#[derive(Clone, Debug, Default)]
pub struct Network {
    /// One-way latency in ms for each ordered pair of distinct DCs.
    pub latency: Latency,
    /// Directions that are cut.
    pub cut: BTreeSet<(DcId, DcId)>,
    /// Each message's extra delay is drawn from 0 to this many ms.
    pub jitter_ms: u32,
    /// Chance in a thousand that a message is lost.
    pub loss_permille: u32,
    /// Messages on the wire, by `seq`.
    pub in_flight: InFlight,
}

impl Network {
    /// Whether the `src → dst` direction is cut (never between a DC and itself).
    pub fn is_cut(&self, src: DcId, dst: DcId) -> bool {
        src != dst && self.cut.contains(&(src, dst))
    }

    /// One-way latency in ms (0 to itself; 100 for a pair it does not know).
    pub fn latency(&self, src: DcId, dst: DcId) -> u32 {
        if src == dst {
            0
        } else {
            self.latency.get(&(src, dst)).unwrap_or(100)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Latency;
    use crate::ids::DcId;

    /// The table reads as the map it replaced: what was set, kept as it grows, forgotten
    /// for a removed DC, absent elsewhere.
    #[test]
    fn latency_reads_what_was_set_as_it_grows_and_forgets_a_removed_dc() {
        let mut l = Latency::default();
        assert_eq!(l.get(&(DcId(0), DcId(1))), None);
        l.insert((DcId(0), DcId(1)), 30);
        l.insert((DcId(1), DcId(0)), 31);
        l.insert((DcId(5), DcId(2)), 70);
        assert_eq!(l.get(&(DcId(0), DcId(1))), Some(30));
        assert_eq!(l.get(&(DcId(1), DcId(0))), Some(31));
        assert_eq!(l.get(&(DcId(5), DcId(2))), Some(70));
        assert_eq!(l.get(&(DcId(2), DcId(5))), None);
        assert_eq!(l.get(&(DcId(9), DcId(0))), None);
        l.insert((DcId(0), DcId(1)), 40);
        l.remove_dc(DcId(5));
        assert_eq!(l.get(&(DcId(0), DcId(1))), Some(40));
        assert_eq!(l.get(&(DcId(5), DcId(2))), None);
        l.remove_dc(DcId(99));
        assert_eq!(l.get(&(DcId(1), DcId(0))), Some(31));
    }
}
