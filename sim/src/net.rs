//! The WAN: latency, jitter, loss, per-direction links, and the messages in flight.
//!
//! Invariants: every message between two DCs is an `Envelope` with a unique, increasing
//! `seq`; it is either in `in_flight` until its delivery instant or dropped (and the drop
//! is reported). A cut applies to one direction only. Messages a DC sends to itself are
//! local: no latency, no loss, never drawn.

use super::ids::DcId;
use super::msg::Msg;
use super::time::SimTime;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug)]
pub struct Envelope {
    pub seq: u64,
    pub src: DcId,
    pub dst: DcId,
    pub send_at: SimTime,
    pub deliver_at: SimTime,
    pub msg: Msg,
}

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
    pub fn label(self) -> &'static str {
        match self {
            DropReason::LinkCut => "link cut",
            DropReason::Loss => "lost",
            DropReason::DestinationDown => "destination down",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Network {
    /// One-way latency in ms for each ordered pair of distinct DCs.
    pub latency: BTreeMap<(DcId, DcId), u32>,
    /// Directions that are cut.
    pub cut: BTreeSet<(DcId, DcId)>,
    pub jitter_ms: u32,
    pub loss_permille: u32,
    pub in_flight: BTreeMap<u64, Envelope>,
}

impl Network {
    pub fn is_cut(&self, src: DcId, dst: DcId) -> bool {
        src != dst && self.cut.contains(&(src, dst))
    }

    pub fn latency(&self, src: DcId, dst: DcId) -> u32 {
        if src == dst {
            0
        } else {
            self.latency.get(&(src, dst)).copied().unwrap_or(100)
        }
    }
}
