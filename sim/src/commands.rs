//! Every action a person (or a test) can take, and how it is checked and carried out.
//!
//! Invariants: a command is validated before it changes anything — a refused command
//! (`CommandError`) leaves the simulation exactly as it was; a command that changes the
//! world records what it did as events, notes the fault for the checker's explanations,
//! and re-evaluates whether the world is healthy (all up, all healed). Nodes change only
//! through their own methods (`crash`, `recover`, `on_client`).

use crate::config::{ConfigError, DcSpec, SimConfig, MAX_DCS, MAX_LATENCY_MS, MIN_DCS};
use crate::ids::{DcId, ReqId, TableId};
use crate::record::EventKind;
use crate::sim::Sim;
use crate::table::{Pk, Value, WriteKind, WriteOp};
use crate::vocab::{ClientOp, Fact, OpError, OpResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Every action a person (or a test) can take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserCommand {
    /// Crash a DC: it keeps its durable state and loses the rest.
    Kill(DcId),
    /// Restart a DC from its durable state.
    Revive(DcId),
    /// Cut one direction of a link.
    CutLink {
        /// Sending side.
        from: DcId,
        /// Receiving side.
        to: DcId,
    },
    /// Heal one direction of a link.
    HealLink {
        /// Sending side.
        from: DcId,
        /// Receiving side.
        to: DcId,
    },
    /// Cut both directions between `group` and every other DC.
    Partition(Vec<DcId>),
    /// Heal every link.
    HealAll,
    /// Set a one-way latency.
    SetLatency {
        /// Sending side.
        from: DcId,
        /// Receiving side.
        to: DcId,
        /// 1 to `MAX_LATENCY_MS`.
        ms: u32,
    },
    /// Add a DC (a membership change: rows move to the new placement).
    AddDc(DcSpec),
    /// Remove a DC (a membership change).
    RemoveDc(DcId),
    /// Change settings: everything but the DC list, the latency matrix and the seed,
    /// which have their own commands (or need a new run).
    Configure(Box<SimConfig>),
    /// A client at `home` issues `op`.
    Issue {
        /// The client's home DC (its front end).
        home: DcId,
        /// The operation.
        op: ClientOp,
    },
}

/// Why a command was refused; the simulation is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// No DC has this id.
    UnknownDc(DcId),
    /// Kill of a DC that is down.
    AlreadyDown(DcId),
    /// Revive of a DC that is up.
    AlreadyUp(DcId),
    /// A link from a DC to itself.
    SameDc,
    /// The settings (or latency) are invalid.
    Config(ConfigError),
    /// Removing would leave fewer than `MIN_DCS`.
    TooFewDcs,
    /// Adding would make more than `MAX_DCS`.
    TooManyDcs,
    /// The operation does not fit the schema (the text says how).
    BadOp(String),
    /// A membership or placement change that could lose an acknowledged write or a
    /// transaction's state (the text names what blocks it and what to do).
    Refused(String),
    /// A layout change must wait for these transactions to finish. `Sim::apply` never
    /// returns it: it turns the change into a drain (`Sim::admin`).
    Unresolved {
        /// The change, in words.
        what: String,
        /// The transactions it waits for.
        txns: Vec<crate::ids::TxnId>,
    },
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::UnknownDc(d) => write!(f, "There is no datacenter {d}."),
            CommandError::AlreadyDown(d) => write!(f, "{d} is already down."),
            CommandError::AlreadyUp(d) => write!(f, "{d} is already up."),
            CommandError::SameDc => write!(f, "A link joins two different datacenters."),
            CommandError::Config(e) => write!(f, "{e}"),
            CommandError::TooFewDcs => {
                write!(f, "At least {MIN_DCS} datacenters must remain.")
            }
            CommandError::TooManyDcs => write!(f, "At most {MAX_DCS} datacenters."),
            CommandError::BadOp(s) | CommandError::Refused(s) => write!(f, "{s}"),
            CommandError::Unresolved { what, txns } => write!(
                f,
                "Cannot {what} while {} transaction(s) are unresolved ({}).",
                txns.len(),
                crate::drain::txn_list(txns)
            ),
        }
    }
}

impl std::error::Error for CommandError {}

impl Sim {
    /// Carries out `cmd` now, or refuses it and changes nothing.
    pub fn apply(&mut self, cmd: UserCommand) -> Result<(), CommandError> {
        match cmd {
            UserCommand::Kill(d) => {
                self.known(d)?;
                let n = self
                    .world
                    .nodes
                    .get_mut(&d)
                    .map(|n| &mut **n)
                    .ok_or(CommandError::UnknownDc(d))?;
                if !n.is_up() {
                    return Err(CommandError::AlreadyDown(d));
                }
                n.crash();
                self.touch(&[d]);
                let text = format!("{} ({d}) was killed", self.dc_name(d));
                self.checker.note_fault(self.world.now, text, vec![d]);
                self.record(Some(d), EventKind::Killed);
            }
            UserCommand::Revive(d) => {
                self.known(d)?;
                if self.world.is_up(d) {
                    return Err(CommandError::AlreadyUp(d));
                }
                let out = self.world.on_node(d, |n, ctx, out| n.recover(ctx, out));
                self.touch(&[d]);
                self.record(Some(d), EventKind::Revived);
                self.route(d, out);
            }
            UserCommand::CutLink { from, to } => {
                self.known(from)?;
                self.known(to)?;
                if from == to {
                    return Err(CommandError::SameDc);
                }
                self.touch(&[from, to]);
                if self.world.net.cut.insert((from, to)) {
                    let text =
                        format!("link {} → {} was cut", self.dc_name(from), self.dc_name(to));
                    self.checker
                        .note_fault(self.world.now, text, vec![from, to]);
                    self.record(None, EventKind::LinkCut { from, to });
                }
            }
            UserCommand::HealLink { from, to } => {
                self.known(from)?;
                self.known(to)?;
                self.touch(&[from, to]);
                if self.world.net.cut.remove(&(from, to)) {
                    self.record(None, EventKind::LinkHealed { from, to });
                }
            }
            UserCommand::Partition(group) => {
                for &d in &group {
                    self.known(d)?;
                }
                let all: Vec<DcId> = self.world.nodes.keys().copied().collect();
                self.touch(&all);
                // `extend`, not `collect`: no sort instantiated for this set (sort.rs).
                let mut set = BTreeSet::new();
                set.extend(group);
                let group = set;
                let rest: Vec<DcId> = self
                    .world
                    .nodes
                    .keys()
                    .copied()
                    .filter(|d| !group.contains(d))
                    .collect();
                let names: Vec<String> = group.iter().map(|&d| self.dc_name(d)).collect();
                self.checker.note_fault(
                    self.world.now,
                    format!("{{{}}} was partitioned from the rest", names.join(", ")),
                    group.iter().copied().collect(),
                );
                for &a in &group {
                    for &b in &rest {
                        for (x, y) in [(a, b), (b, a)] {
                            if self.world.net.cut.insert((x, y)) {
                                self.record(None, EventKind::LinkCut { from: x, to: y });
                            }
                        }
                    }
                }
            }
            UserCommand::HealAll => {
                let cut: Vec<(DcId, DcId)> = std::mem::take(&mut self.world.net.cut)
                    .into_iter()
                    .collect();
                let touched: Vec<DcId> = cut.iter().flat_map(|&(a, b)| [a, b]).collect();
                self.touch(&touched);
                for (from, to) in cut {
                    self.record(None, EventKind::LinkHealed { from, to });
                }
            }
            UserCommand::SetLatency { from, to, ms } => {
                self.known(from)?;
                self.known(to)?;
                if from == to {
                    return Err(CommandError::SameDc);
                }
                if ms == 0 || ms > MAX_LATENCY_MS {
                    return Err(CommandError::Config(ConfigError::Latency {
                        from: self.dc_name(from),
                        to: self.dc_name(to),
                        ms,
                    }));
                }
                self.world.net.latency.insert((from, to), ms);
                // A slower link is silent until its first slower message lands: `to`'s
                // detector may see `from` dead meanwhile (a faster one reorders). Neither
                // end is surely live for the checker until then and a detector's span after.
                let until = self
                    .world
                    .now
                    .plus(u64::from(ms) + u64::from(self.world.net.jitter_ms));
                self.touch_until(&[from, to], until);
                self.record(None, EventKind::LatencySet { from, to, ms });
            }
            cmd
            @ (UserCommand::AddDc(_) | UserCommand::RemoveDc(_) | UserCommand::Configure(_)) => {
                self.admin(cmd)?
            }
            UserCommand::Issue { home, op } => {
                self.known(home)?;
                validate_op(&self.world.cfg, &op).map_err(CommandError::BadOp)?;
                self.issue(home, op);
            }
        }
        self.update_health();
        Ok(())
    }

    /// A client at `home` invokes `op` (a command, or the workload's next arrival).
    pub(crate) fn issue(&mut self, home: DcId, op: ClientOp) {
        let req = ReqId(self.next_req);
        self.next_req += 1;
        let (now, seq) = (self.world.now, self.rec.counters.events);
        // One shared operation for the checker's invocation, the front end and the result.
        let op = std::rc::Rc::new(op);
        self.checker.note_invoked(req, home, seq, now, &op);
        let refused = if !self.world.is_up(home) {
            Some(format!("client's home {home} is down"))
        } else if self.drain.is_some() && matches!(*op, ClientOp::Txn(_)) {
            // Admission control while a layout change drains: no new 2PC state.
            Some("a membership change is waiting for the open transactions to finish; new transactions start once it is done".to_string())
        } else {
            None
        };
        if let Some(why) = refused {
            let result = OpResult::Err(OpError::Unavailable(why));
            let invoked = self.world.now;
            let done = Fact::OpDone {
                req,
                op,
                invoked,
                result,
                served_by: None,
            };
            self.on_fact(home, done);
            return;
        }
        let out = self
            .world
            .on_node(home, |n, ctx, out| n.on_client(ctx, req, op, out));
        self.route(home, out);
    }

    /// `Ok` if DC `d` exists.
    pub(crate) fn known(&self, d: DcId) -> Result<(), CommandError> {
        if self.world.nodes.contains_key(&d) {
            Ok(())
        } else {
            Err(CommandError::UnknownDc(d))
        }
    }

    /// DC `d`'s name (its id when unknown), for fault notes.
    pub(crate) fn dc_name(&self, d: DcId) -> String {
        self.world
            .dcs
            .get(&d)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| d.to_string())
    }
}

/// Checks an operation against the schema.
pub fn validate_op(cfg: &SimConfig, op: &ClientOp) -> Result<(), String> {
    let check_pk = |t: TableId, pk: &Pk| -> Result<(), String> {
        let spec = cfg
            .tables
            .get(t.0 as usize)
            .ok_or_else(|| format!("There is no table #{}.", t.0))?;
        if pk.len() != spec.pk.len() {
            return Err(format!(
                "Table {} needs {} primary-key value(s) ({}); got {}.",
                spec.name,
                spec.pk.len(),
                spec.pk.join(", "),
                pk.len()
            ));
        }
        Ok(())
    };
    let check_write = |w: &WriteOp| -> Result<(), String> {
        check_pk(w.table, &w.pk)?;
        let spec = &cfg.tables[w.table.0 as usize];
        let cols: Vec<&crate::table::Text> = match &w.kind {
            WriteKind::Put(c) => c.iter().map(|(n, _)| n).collect(),
            WriteKind::Update { set, delete } => {
                set.iter().map(|(n, _)| n).chain(delete.iter()).collect()
            }
            WriteKind::Delete => vec![],
        };
        if let Some(c) = cols
            .iter()
            .find(|c| !spec.columns.iter().any(|s| s.as_str() == &***c as &str))
        {
            return Err(format!(
                "Table {} has no column {c} (columns: {}).",
                spec.name,
                spec.columns.join(", ")
            ));
        }
        Ok(())
    };
    match op {
        ClientOp::Get { table, pk } => check_pk(*table, pk),
        ClientOp::Write(w) => check_write(w),
        ClientOp::Range {
            table,
            limit,
            start,
            end,
        } => {
            check_pk(
                *table,
                &vec![
                    Value::Int(0);
                    cfg.tables
                        .get(table.0 as usize)
                        .map(|t| t.pk.len())
                        .unwrap_or(0)
                ],
            )?;
            if *limit == 0 || *limit > 1000 {
                return Err("A range limit must be 1 to 1000.".into());
            }
            // Served with `BTreeMap::range`, which panics on a reversed range.
            if start > end {
                return Err(format!(
                    "A range's start ({}) must not come after its end ({}).",
                    crate::table::pk_text(start),
                    crate::table::pk_text(end)
                ));
            }
            Ok(())
        }
        ClientOp::Txn(ws) => {
            if ws.is_empty() || ws.len() > 16 {
                return Err("A transaction writes 1 to 16 rows.".into());
            }
            for w in ws {
                check_write(w)?;
            }
            let mut keys: Vec<(TableId, &Pk)> = ws.iter().map(|w| (w.table, &w.pk)).collect();
            let n = keys.len();
            crate::sort::sort(&mut keys);
            keys.dedup();
            if keys.len() != n {
                return Err("A transaction may write each row once.".into());
            }
            Ok(())
        }
    }
}
