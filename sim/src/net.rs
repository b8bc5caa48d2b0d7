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
use std::collections::{BTreeMap, BTreeSet};
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

/// The WAN between the DCs.
#[derive(Clone, Debug, Default)]
pub struct Network {
    /// One-way latency in ms for each ordered pair of distinct DCs.
    pub latency: BTreeMap<(DcId, DcId), u32>,
    /// Directions that are cut.
    pub cut: BTreeSet<(DcId, DcId)>,
    /// Each message's extra delay is drawn from 0 to this many ms.
    pub jitter_ms: u32,
    /// Chance in a thousand that a message is lost.
    pub loss_permille: u32,
    /// Messages on the wire, by `seq`. Behind an `Rc`: the map's nodes hold a pointer,
    /// not a ~150-byte envelope moved on every insert and removal, and the explorer's
    /// branches share a message until one of them delivers it.
    pub in_flight: BTreeMap<u64, Rc<Envelope>>,
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
            self.latency.get(&(src, dst)).copied().unwrap_or(100)
        }
    }
}
