//! A layout change waiting for open transactions to finish (a drain), as data.
//!
//! Invariants: at most one drain at a time (`Sim::drain`); while it waits, new
//! transactions are refused at admission and no other layout change is accepted; it
//! holds only the layout part of a command (settings apply at once). Kept apart from
//! `admin` so `Sim` can hold it without importing the admin code.

use crate::config::{DcSpec, PlacementKind};
use crate::ids::{DcId, TxnId};
use crate::time::SimTime;

/// A layout change waiting for open transactions to finish. While it waits, new
/// transactions are refused at admission (`Sim::issue`); single-row operations and
/// settings changes that keep the layout go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Drain {
    /// The change.
    pub(crate) change: LayoutChange,
    /// The change, in words.
    pub(crate) what: String,
    /// When it started waiting.
    pub(crate) since: SimTime,
}

/// The layout part of a command: what a drain defers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LayoutChange {
    AddDc(DcSpec),
    RemoveDc(DcId),
    /// Placement, replication factor and vnodes; the rest of the settings are whatever
    /// is in force when the change runs (a `Configure` applies its other settings at once).
    Placement {
        kind: PlacementKind,
        r: u8,
        vnodes: u32,
    },
}

/// Up to eight transaction ids, then "…".
pub(crate) fn txn_list(txns: &[TxnId]) -> String {
    let names: Vec<String> = txns.iter().take(8).map(|t| t.to_string()).collect();
    let more = if txns.len() > names.len() {
        ", …"
    } else {
        ""
    };
    format!("{}{more}", names.join(", "))
}
