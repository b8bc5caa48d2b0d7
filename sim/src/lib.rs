//! The deterministic core: the world that routes messages and timers between DCs.
//!
//! Invariants:
//! - Only `step`, `advance_to` and `apply` change a `Sim`; each records what happened as
//!   `Event`s and folds it into the trace hash.
//! - Events run in `(time, seq)` order; `seq` is a counter, so a run is a pure function of
//!   (config, seed, user commands and the instants they were applied at).
//! - The only randomness is `rng` (network jitter and loss) and the workload's forked
//!   stream; nothing here reads a clock, iterates a hash map, or uses floating point.
//! - No web dependency: this module compiles and is tested natively.

pub mod balancer;
pub mod bench;
pub mod checker;
pub mod config;
pub mod detector;
pub mod failover;
pub mod fields;
pub mod ids;
pub mod msg;
pub mod net;
pub mod node;
pub mod pacing;
pub mod placement;
pub mod replication;
pub mod rng;
pub mod scenario;
pub mod session;
pub mod snapshot;
pub mod table;
pub mod time;
pub mod trace;
pub mod txn;
pub mod workload;

// The public surface the app (and any other front end) uses: every name it needs is here,
// at the crate root, so the module tree behind it can change without breaking callers.
pub use checker::{Finding, FindingKind};
pub use config::{
    region_dc, ConfigError, KeyDistribution, PlacementKind, ReadConsistency, ReadPolicy,
    ReplicationMode, SimConfig, MAX_DCS, MIN_DCS,
};
pub use detector::PeerState;
pub use fields::{Field, FieldError, FIELDS};
pub use ids::{DcId, ReqId, ShardId, TableId, TxnId};
pub use msg::MsgKind;
pub use node::{ClientOp, CoordState, PartState};
pub use pacing::{pos_of_speed, speed_of, Pacing, SPEED_MAX};
pub use placement::MoveReport;
pub use scenario::{
    config_from_query, parse_form, parse_mode, parse_scenario, scenario_json, FormOp, InputError,
    Scenario, ScheduledCommand,
};
pub use session::{Hit, Progress, Session};
pub use snapshot::{LinkSnap, RingKey, RingPoint, Snapshot, TableSnap};
pub use time::SimTime;

use checker::{CheckCtx, Checker};
use config::DcSpec;
use msg::{Msg, OpResult};
use net::{DropReason, Envelope, Network};
use node::{Ctx, Fact, Node, Out, Timer};
use placement::{Member, Placement};
use rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use table::{LogEntry, LogPos, Pk, ShardStore, WriteKind, WriteOp};
use trace::TraceHasher;
use workload::Workload;

/// Deliberately broken protocol variants. They exist only so tests can show the checker
/// catches each kind of bug; the page never turns them on.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bugs {
    /// The coordinator commits on the first YES vote.
    pub commit_without_all_votes: bool,
    /// Primaries acknowledge writes before replicating them, whatever the mode.
    pub ack_before_sync: bool,
    /// A revived DC does not replay its 2PC records.
    pub skip_log_replay_on_revive: bool,
    /// Replicas append whatever they are sent without checking the entry before it.
    pub replica_skips_prev_check: bool,
    /// A quorum read returns the first answer instead of the newest of a majority.
    pub quorum_read_takes_first: bool,
}

/// Where `advance_to` may stop early, so a person can act at the interesting instant.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Breakpoint {
    /// A 2PC coordinator has durably decided (commit or abort) but not yet sent it.
    TxnDecision,
    /// A DC issued a failover.
    Failover,
    /// The checker reported a finding.
    Finding,
}

/// Every action a person (or a test) can take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserCommand {
    Kill(DcId),
    Revive(DcId),
    /// Cut one direction of a link.
    CutLink {
        from: DcId,
        to: DcId,
    },
    HealLink {
        from: DcId,
        to: DcId,
    },
    /// Cut both directions between `group` and every other DC.
    Partition(Vec<DcId>),
    /// Heal every link.
    HealAll,
    SetLatency {
        from: DcId,
        to: DcId,
        ms: u32,
    },
    AddDc(DcSpec),
    RemoveDc(DcId),
    /// Change settings: everything but the DC list, the latency matrix and the seed,
    /// which have their own commands (or need a new run).
    Configure(Box<SimConfig>),
    /// A client at `home` issues `op`.
    Issue {
        home: DcId,
        op: ClientOp,
    },
}

/// Why a command was refused; the simulation is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    UnknownDc(DcId),
    AlreadyDown(DcId),
    AlreadyUp(DcId),
    SameDc,
    Config(ConfigError),
    TooFewDcs,
    TooManyDcs,
    BadOp(String),
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
                write!(f, "At least {} datacenters must remain.", config::MIN_DCS)
            }
            CommandError::TooManyDcs => write!(f, "At most {} datacenters.", config::MAX_DCS),
            CommandError::BadOp(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for CommandError {}

/// What happened, for the event log (and the trace hash).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    Killed,
    Revived,
    LinkCut {
        from: DcId,
        to: DcId,
    },
    LinkHealed {
        from: DcId,
        to: DcId,
    },
    LatencySet {
        from: DcId,
        to: DcId,
        ms: u32,
    },
    Dropped {
        src: DcId,
        dst: DcId,
        kind: MsgKind,
        reason: DropReason,
    },
    View {
        target: DcId,
        from: PeerState,
        to: PeerState,
    },
    FailoverIssued {
        table: TableId,
        shard: ShardId,
        term: u32,
        old: DcId,
        new: DcId,
    },
    Promoted {
        table: TableId,
        shard: ShardId,
        term: u32,
        last_index: u64,
    },
    SteppedDown {
        table: TableId,
        shard: ShardId,
        term: u32,
    },
    Truncated {
        table: TableId,
        shard: ShardId,
        entries: u64,
    },
    Op {
        req: ReqId,
        label: String,
        ok: bool,
        detail: String,
        latency_ms: u64,
    },
    Coord {
        txn: TxnId,
        state: CoordState,
    },
    Part {
        txn: TxnId,
        state: PartState,
    },
    Recovered {
        in_doubt: usize,
        redo: usize,
    },
    Finding {
        index: usize,
        kind: FindingKind,
    },
    Reconfigured {
        text: String,
    },
    Setting {
        text: String,
    },
}

impl EventKind {
    /// A coarse category for filtering the log.
    pub fn category(&self) -> &'static str {
        match self {
            EventKind::Killed | EventKind::Revived => "fault",
            EventKind::LinkCut { .. }
            | EventKind::LinkHealed { .. }
            | EventKind::LatencySet { .. } => "fault",
            EventKind::Dropped { .. } => "network",
            EventKind::View { .. } => "detector",
            EventKind::FailoverIssued { .. }
            | EventKind::Promoted { .. }
            | EventKind::SteppedDown { .. } => "failover",
            EventKind::Truncated { .. } => "replication",
            EventKind::Op { .. } => "client",
            EventKind::Coord { .. } | EventKind::Part { .. } | EventKind::Recovered { .. } => "2pc",
            EventKind::Finding { .. } => "checker",
            EventKind::Reconfigured { .. } | EventKind::Setting { .. } => "config",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub at: SimTime,
    /// The DC it happened at, if any.
    pub dc: Option<DcId>,
    pub kind: EventKind,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub ops_ok: u64,
    pub ops_failed: u64,
    pub reads: u64,
    pub writes: u64,
    pub txns_committed: u64,
    pub txns_aborted: u64,
    pub stale_reads: u64,
    pub msgs_sent: u64,
    pub msgs_delivered: u64,
    pub msgs_dropped: u64,
    pub failovers: u64,
    pub events: u64,
}

/// One second of simulated time, for the plots.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricPoint {
    pub t: SimTime,
    pub ops_ok: u32,
    pub ops_failed: u32,
    pub p50_ms: u32,
    pub p99_ms: u32,
    pub stale_reads: u32,
    pub aborted: u32,
    pub in_doubt: u32,
    /// Worst replication lag (ms) of any shard replica at each DC.
    pub lag_ms: Vec<(DcId, u64)>,
}

/// One message of a transaction, for the sequence diagram.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnMsg {
    pub kind: MsgKind,
    pub src: DcId,
    pub dst: DcId,
    pub send_at: SimTime,
    pub deliver_at: SimTime,
    pub commit: Option<bool>,
    pub yes: Option<bool>,
    /// None while in flight.
    pub delivered: Option<bool>,
}

/// Everything the 2PC diagram draws for one transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnTrace {
    pub id: TxnId,
    pub coordinator: DcId,
    pub started: SimTime,
    pub participants: Vec<DcId>,
    pub coord_states: Vec<(SimTime, CoordState)>,
    pub part_states: BTreeMap<DcId, Vec<(SimTime, PartState)>>,
    pub locks: BTreeMap<DcId, usize>,
    pub msgs: Vec<TxnMsg>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Deliver(u64),
    Timer { dc: DcId, inc: u32, timer: Timer },
    Arrival { gen: u32 },
    Tick,
}

pub const EVENT_LOG_CAP: usize = 4_000;
pub const TXN_TRACE_CAP: usize = 200;
pub const METRIC_POINTS: usize = 600;

pub struct Sim {
    cfg: SimConfig,
    now: SimTime,
    rng: Rng,
    workload: Workload,
    arrival_gen: u32,
    queue: BTreeMap<(SimTime, u64), Ev>,
    seq: u64,
    nodes: BTreeMap<DcId, Node>,
    dcs: BTreeMap<DcId, DcSpec>,
    next_dc: u16,
    placement: Placement,
    net: Network,
    checker: Checker,
    events: VecDeque<Event>,
    trace: TraceHasher,
    counters: Counters,
    metrics: VecDeque<MetricPoint>,
    bucket: MetricPoint,
    bucket_latencies: Vec<u32>,
    txns: BTreeMap<TxnId, TxnTrace>,
    next_req: u64,
    healthy_since: Option<SimTime>,
    bugs: Bugs,
    last_moves: Option<MoveReport>,
    config_version: u32,
    breakpoint: Option<Breakpoint>,
    hit: bool,
    /// When each DC was last killed, revived, cut or healed.
    last_fault: BTreeMap<DcId, SimTime>,
    steps: u64,
}

impl Sim {
    pub fn new(cfg: SimConfig) -> Result<Sim, ConfigError> {
        Sim::with_bugs(cfg, Bugs::default())
    }

    pub fn with_bugs(cfg: SimConfig, bugs: Bugs) -> Result<Sim, ConfigError> {
        cfg.validate()?;
        let mut rng = Rng::new(cfg.seed);
        let workload = Workload::new(rng.fork(), &cfg.workload);
        let dcs: BTreeMap<DcId, DcSpec> = cfg
            .dcs
            .iter()
            .enumerate()
            .map(|(i, d)| (DcId(i as u16), d.clone()))
            .collect();
        let mut net = Network {
            jitter_ms: cfg.jitter_ms,
            loss_permille: cfg.loss_permille,
            ..Default::default()
        };
        for (i, row) in cfg.latency_ms.iter().enumerate() {
            for (j, &ms) in row.iter().enumerate() {
                if i != j {
                    net.latency.insert((DcId(i as u16), DcId(j as u16)), ms);
                }
            }
        }
        let members = dcs
            .iter()
            .map(|(&id, d)| Member {
                id,
                name: d.name.clone(),
            })
            .collect();
        let placement = Placement::new(cfg.placement, members, cfg.replication_factor, cfg.vnodes);
        let mut sim = Sim {
            now: SimTime::ZERO,
            rng,
            workload,
            arrival_gen: 0,
            queue: BTreeMap::new(),
            seq: 0,
            nodes: BTreeMap::new(),
            next_dc: dcs.len() as u16,
            dcs,
            placement,
            net,
            checker: Checker::default(),
            events: VecDeque::new(),
            trace: TraceHasher::new(),
            counters: Counters::default(),
            metrics: VecDeque::new(),
            bucket: MetricPoint::default(),
            bucket_latencies: Vec::new(),
            txns: BTreeMap::new(),
            next_req: 1,
            healthy_since: Some(SimTime::ZERO),
            bugs,
            last_moves: None,
            config_version: 0,
            breakpoint: None,
            hit: false,
            last_fault: BTreeMap::new(),
            steps: 0,
            cfg,
        };
        let ids: Vec<DcId> = sim.dcs.keys().copied().collect();
        for id in ids {
            let mut out = Vec::new();
            let node = {
                let ctx = sim.ctx();
                let mut n = Node::new(id, &ctx, bugs);
                n.start(&ctx, &mut out);
                n
            };
            sim.nodes.insert(id, node);
            sim.route(id, out);
        }
        sim.schedule_arrival();
        sim.push(SimTime(1000), Ev::Tick);
        Ok(sim)
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            now: self.now,
            cfg: &self.cfg,
            placement: &self.placement,
            latency: &self.net.latency,
        }
    }

    fn push(&mut self, at: SimTime, ev: Ev) {
        self.seq += 1;
        self.queue.insert((at, self.seq), ev);
    }

    fn record(&mut self, dc: Option<DcId>, kind: EventKind) {
        self.hit |= match (self.breakpoint, &kind) {
            (Some(Breakpoint::TxnDecision), EventKind::Coord { state, .. }) => {
                matches!(state, CoordState::Committed | CoordState::Aborted)
            }
            (Some(Breakpoint::Failover), EventKind::FailoverIssued { .. }) => true,
            (Some(Breakpoint::Finding), EventKind::Finding { .. }) => true,
            _ => false,
        };
        self.counters.events += 1;
        self.trace.event(self.now, dc, &kind);
        let e = Event {
            seq: self.counters.events,
            at: self.now,
            dc,
            kind,
        };
        if self.events.len() == EVENT_LOG_CAP {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    fn schedule_arrival(&mut self) {
        self.arrival_gen += 1;
        let rate = self.cfg.workload.ops_per_sec;
        if rate == 0 {
            return;
        }
        let now_us = self.now.0 * 1000;
        self.workload.next_at_us =
            self.workload.next_at_us.max(now_us) + self.workload.gap_us(rate);
        let at = SimTime(self.workload.next_at_us / 1000);
        let gen = self.arrival_gen;
        self.push(at, Ev::Arrival { gen });
    }

    // ------------------------------------------------------------ running

    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Instant of the next pending event.
    pub fn next_event_at(&self) -> Option<SimTime> {
        self.queue.keys().next().map(|k| k.0)
    }

    /// Stop `advance_to` at the next instance of `bp` (None: never stop early).
    pub fn set_breakpoint(&mut self, bp: Option<Breakpoint>) {
        self.breakpoint = bp;
    }

    pub fn breakpoint(&self) -> Option<Breakpoint> {
        self.breakpoint
    }

    /// Events processed since the start (for benchmarks).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Runs the next event. Returns false if nothing is pending.
    pub fn step(&mut self) -> bool {
        let Some(((at, _), ev)) = self.queue.pop_first() else {
            return false;
        };
        self.steps += 1;
        self.now = self.now.max(at);
        match ev {
            Ev::Deliver(seq) => self.deliver(seq),
            Ev::Timer { dc, inc, timer } => {
                let mut out = Vec::new();
                {
                    let ctx = Ctx {
                        now: self.now,
                        cfg: &self.cfg,
                        placement: &self.placement,
                        latency: &self.net.latency,
                    };
                    match self.nodes.get_mut(&dc) {
                        Some(n) if n.is_up() && n.incarnation == inc => {
                            n.on_timer(&ctx, timer, &mut out)
                        }
                        _ => {}
                    }
                }
                self.route(dc, out);
            }
            Ev::Arrival { gen } => {
                if gen == self.arrival_gen {
                    let members = self.placement.member_ids();
                    let (home, op) = self.workload.next_op(&self.cfg, &members);
                    self.issue(home, op);
                    self.schedule_arrival();
                }
            }
            Ev::Tick => {
                self.tick();
                self.push(self.now.plus(1000), Ev::Tick);
            }
        }
        true
    }

    /// Runs every event up to and including `t`, then sets the clock to `t`. With a
    /// breakpoint set, stops right after the event that hits it and returns true (the
    /// clock then stays at that event's instant).
    pub fn advance_to(&mut self, t: SimTime) -> bool {
        self.hit = false;
        while let Some(&(at, _)) = self.queue.keys().next() {
            if at > t {
                break;
            }
            self.step();
            if self.hit {
                self.hit = false;
                return true;
            }
        }
        self.now = self.now.max(t);
        false
    }

    /// Replays up to the moment a command was recorded at: events up to `at`, but no
    /// more than `after_events` events in all (when given). Returns true if it stopped
    /// at the breakpoint instead.
    pub fn run_until(&mut self, at: SimTime, after_events: Option<u64>) -> bool {
        let Some(limit) = after_events else {
            return self.advance_to(at);
        };
        self.hit = false;
        while self.steps < limit {
            match self.queue.keys().next() {
                Some(&(t, _)) if t <= at => {}
                _ => break,
            }
            self.step();
            if self.hit {
                self.hit = false;
                return true;
            }
        }
        self.now = self.now.max(at);
        false
    }

    pub fn advance_by(&mut self, ms: u64) -> bool {
        self.advance_to(self.now.plus(ms))
    }

    fn deliver(&mut self, seq: u64) {
        let Some(env) = self.net.in_flight.remove(&seq) else {
            return;
        };
        let up = self.nodes.get(&env.dst).is_some_and(|n| n.is_up());
        let reason = if self.net.is_cut(env.src, env.dst) {
            Some(DropReason::LinkCut)
        } else if !up {
            Some(DropReason::DestinationDown)
        } else {
            None
        };
        self.note_txn_msg(&env, reason.is_none());
        if let Some(reason) = reason {
            self.drop_msg(&env, reason);
            return;
        }
        self.counters.msgs_delivered += 1;
        self.trace.delivery(&env);
        let mut out = Vec::new();
        {
            let ctx = Ctx {
                now: self.now,
                cfg: &self.cfg,
                placement: &self.placement,
                latency: &self.net.latency,
            };
            if let Some(n) = self.nodes.get_mut(&env.dst) {
                n.on_message(&ctx, env.src, env.msg, &mut out);
            }
        }
        self.route(env.dst, out);
    }

    fn drop_msg(&mut self, env: &Envelope, reason: DropReason) {
        self.counters.msgs_dropped += 1;
        self.record(
            Some(env.dst),
            EventKind::Dropped {
                src: env.src,
                dst: env.dst,
                kind: env.msg.kind(),
                reason,
            },
        );
    }

    fn send(&mut self, src: DcId, dst: DcId, msg: Msg) {
        self.counters.msgs_sent += 1;
        let deliver_at = if src == dst {
            self.now
        } else {
            let j = if self.net.jitter_ms > 0 {
                self.rng.below(u64::from(self.net.jitter_ms) + 1)
            } else {
                0
            };
            self.now.plus(u64::from(self.net.latency(src, dst)) + j)
        };
        self.seq += 1;
        let env = Envelope {
            seq: self.seq,
            src,
            dst,
            send_at: self.now,
            deliver_at,
            msg,
        };
        if src != dst {
            let reason = if self.net.is_cut(src, dst) {
                Some(DropReason::LinkCut)
            } else if self.rng.chance_permille(self.net.loss_permille) {
                Some(DropReason::Loss)
            } else {
                None
            };
            if let Some(reason) = reason {
                self.note_txn_msg(&env, false);
                self.drop_msg(&env, reason);
                return;
            }
        }
        self.note_txn_msg_sent(&env);
        self.queue
            .insert((deliver_at, env.seq), Ev::Deliver(env.seq));
        self.net.in_flight.insert(env.seq, env);
    }

    /// Carries out a node's commands.
    fn route(&mut self, dc: DcId, out: Vec<Out>) {
        let inc = self.nodes.get(&dc).map(|n| n.incarnation).unwrap_or(0);
        for o in out {
            match o {
                Out::Send { dst, msg } => self.send(dc, dst, msg),
                Out::Timer { after, timer } => {
                    self.push(self.now.plus(after), Ev::Timer { dc, inc, timer })
                }
                Out::Fact(f) => self.on_fact(dc, f),
            }
        }
    }

    /// Runs `f` with the checker and the god's-eye view of the world it checks.
    fn checking<R>(
        &mut self,
        stable_live: Option<usize>,
        f: impl FnOnce(&mut Checker, &CheckCtx) -> R,
    ) -> R {
        let modes: Vec<ReplicationMode> = self.cfg.tables.iter().map(|t| t.mode).collect();
        let names: Vec<String> = self.cfg.tables.iter().map(|t| t.name.clone()).collect();
        let c = CheckCtx {
            now: self.now,
            nodes: &self.nodes,
            modes: &modes,
            placement: &self.placement,
            replication_factor: self.placement.replication_factor as usize,
            consistency: self.cfg.read_consistency,
            stable_live,
            table_names: &names,
        };
        f(&mut self.checker, &c)
    }

    fn on_fact(&mut self, dc: DcId, f: Fact) {
        let before = self.checker.findings.len();
        let kind = match f {
            Fact::View { target, from, to } => Some(EventKind::View { target, from, to }),
            Fact::FailoverIssued {
                table,
                shard,
                epoch,
                old,
                new,
            } => {
                self.counters.failovers += 1;
                Some(EventKind::FailoverIssued {
                    table,
                    shard,
                    term: epoch.term,
                    old,
                    new,
                })
            }
            Fact::Promoted {
                table,
                shard,
                epoch,
                last,
            } => {
                let old = self.checker_old_primary((table, shard), dc);
                self.checking(None, |ch, c| ch.on_epoch(c, (table, shard), epoch, dc, old));
                Some(EventKind::Promoted {
                    table,
                    shard,
                    term: epoch.term,
                    last_index: last.index,
                })
            }
            Fact::SteppedDown {
                table,
                shard,
                epoch,
            } => Some(EventKind::SteppedDown {
                table,
                shard,
                term: epoch.term,
            }),
            Fact::Appended {
                table,
                shard,
                pos,
                write_id,
            } => {
                self.checker
                    .on_appended(self.now, (table, shard), pos, write_id);
                None
            }
            Fact::Truncated {
                table,
                shard,
                dropped,
            } => Some(EventKind::Truncated {
                table,
                shard,
                entries: dropped.len() as u64,
            }),
            Fact::OpDone {
                req,
                op,
                invoked,
                result,
                served_by,
            } => {
                let stable_live = match (&op, served_by) {
                    (ClientOp::Write(w), Some(p)) => Some(self.stable_live_replicas(&w.pk, p)),
                    _ => None,
                };
                self.checking(stable_live, |ch, c| {
                    ch.on_op_done(c, req, &op, invoked, &result, served_by)
                });
                let ok = !matches!(result, OpResult::Err(_));
                let latency = self.now.since(invoked);
                self.count_op(&op, &result, latency);
                let detail = describe_result(&result, served_by);
                Some(EventKind::Op {
                    req,
                    label: op.label().to_string(),
                    ok,
                    detail,
                    latency_ms: latency,
                })
            }
            Fact::Coord {
                txn,
                state,
                participants,
            } => {
                self.note_coord(dc, txn, state, participants);
                match state {
                    CoordState::Committed => self.counters.txns_committed += 1,
                    CoordState::Aborted => {
                        self.counters.txns_aborted += 1;
                        self.bucket.aborted += 1;
                    }
                    _ => {}
                }
                Some(EventKind::Coord { txn, state })
            }
            Fact::Part {
                txn, state, locks, ..
            } => {
                self.checker.on_part(self.now, dc, txn, state);
                if let Some(t) = self.txns.get_mut(&txn) {
                    t.part_states.entry(dc).or_default().push((self.now, state));
                    t.locks.insert(dc, locks);
                }
                Some(EventKind::Part { txn, state })
            }
            Fact::Recovered {
                in_doubt,
                redo_decisions,
            } => Some(EventKind::Recovered {
                in_doubt,
                redo: redo_decisions,
            }),
        };
        if let Some(k) = kind {
            self.record(Some(dc), k);
        }
        self.record_new_findings(before);
    }

    /// The primary a promotion replaced, as the checker explains it: the DC most
    /// recently named primary of the shard by any node other than the new one.
    fn checker_old_primary(&self, key: node::ShardKey, new: DcId) -> Option<DcId> {
        self.nodes
            .values()
            .filter(|n| n.id != new)
            .filter_map(|n| n.meta(key).map(|m| (m.epoch, m.primary)))
            .filter(|(_, p)| *p != new)
            .max()
            .map(|(_, p)| p)
            .or_else(|| Some(self.placement.replicas(key.1)[0]))
    }

    /// Replicas of a row's shard, other than `primary`, that are up, linked both ways to
    /// it, and untouched by any fault for longer than the detector needs to notice —
    /// so any correct primary counts them live. Under message loss none are sure.
    fn stable_live_replicas(&self, pk: &Pk, primary: DcId) -> usize {
        if self.net.loss_permille > 0 {
            return 0;
        }
        let horizon = self.cfg.dead_after_ms + 2 * self.cfg.heartbeat_interval_ms;
        let shard = self.shard_of(pk);
        self.placement
            .replicas(shard)
            .into_iter()
            .filter(|&d| d != primary)
            .filter(|&d| {
                self.is_up(d) && !self.net.is_cut(primary, d) && !self.net.is_cut(d, primary)
            })
            .filter(|d| {
                self.last_fault
                    .get(d)
                    .is_none_or(|&t| self.now.since(t) > horizon)
            })
            .count()
    }

    fn touch(&mut self, dcs: &[DcId]) {
        for &d in dcs {
            self.last_fault.insert(d, self.now);
        }
    }

    fn record_new_findings(&mut self, before: usize) {
        for i in before..self.checker.findings.len() {
            let kind = self.checker.findings[i].kind;
            self.record(None, EventKind::Finding { index: i, kind });
        }
    }

    fn count_op(&mut self, op: &ClientOp, result: &OpResult, latency: u64) {
        let ok = !matches!(result, OpResult::Err(_));
        if ok {
            self.counters.ops_ok += 1;
            self.bucket.ops_ok += 1;
            self.bucket_latencies
                .push(latency.min(u64::from(u32::MAX)) as u32);
        } else {
            self.counters.ops_failed += 1;
            self.bucket.ops_failed += 1;
        }
        match op {
            ClientOp::Get { .. } | ClientOp::Range { .. } => self.counters.reads += 1,
            ClientOp::Write(_) => self.counters.writes += 1,
            ClientOp::Txn(_) => {}
        }
        self.counters.stale_reads = self.checker.stale_reads;
    }

    fn note_coord(&mut self, dc: DcId, txn: TxnId, state: CoordState, participants: Vec<DcId>) {
        let now = self.now;
        let t = self.txns.entry(txn).or_insert_with(|| TxnTrace {
            id: txn,
            coordinator: dc,
            started: now,
            participants: participants.clone(),
            coord_states: vec![],
            part_states: BTreeMap::new(),
            locks: BTreeMap::new(),
            msgs: vec![],
        });
        t.coord_states.push((now, state));
        while self.txns.len() > TXN_TRACE_CAP {
            self.txns.pop_first();
        }
    }

    fn txn_msg(env: &Envelope) -> Option<(TxnId, TxnMsg)> {
        let txn = env.msg.txn()?;
        let (commit, yes) = match &env.msg {
            Msg::Decision { commit, .. } => (Some(*commit), None),
            Msg::Vote { yes, .. } => (None, Some(*yes)),
            _ => (None, None),
        };
        Some((
            txn,
            TxnMsg {
                kind: env.msg.kind(),
                src: env.src,
                dst: env.dst,
                send_at: env.send_at,
                deliver_at: env.deliver_at,
                commit,
                yes,
                delivered: None,
            },
        ))
    }

    fn note_txn_msg_sent(&mut self, env: &Envelope) {
        if let Some((txn, m)) = Self::txn_msg(env) {
            if let Some(t) = self.txns.get_mut(&txn) {
                if t.msgs.len() < 400 {
                    t.msgs.push(m);
                }
            }
        }
    }

    fn note_txn_msg(&mut self, env: &Envelope, delivered: bool) {
        if let Some((txn, mut m)) = Self::txn_msg(env) {
            if let Some(t) = self.txns.get_mut(&txn) {
                if let Some(existing) = t.msgs.iter_mut().find(|x| {
                    x.src == m.src
                        && x.dst == m.dst
                        && x.send_at == m.send_at
                        && x.kind == m.kind
                        && x.delivered.is_none()
                }) {
                    existing.delivered = Some(delivered);
                } else if t.msgs.len() < 400 {
                    m.delivered = Some(delivered);
                    t.msgs.push(m);
                }
            }
        }
    }

    /// Once a second: close the metrics bucket, run the settled-state checks, prune.
    fn tick(&mut self) {
        let mut lat = std::mem::take(&mut self.bucket_latencies);
        lat.sort_unstable();
        let pct = |p: usize| {
            if lat.is_empty() {
                0
            } else {
                lat[((lat.len() - 1) * p) / 100]
            }
        };
        let mut point = std::mem::take(&mut self.bucket);
        point.t = self.now;
        point.p50_ms = pct(50);
        point.p99_ms = pct(99);
        point.in_doubt = self.in_doubt_count() as u32;
        point.stale_reads = (self.checker.stale_reads
            - self
                .metrics
                .iter()
                .map(|m| u64::from(m.stale_reads))
                .sum::<u64>()
                .min(self.checker.stale_reads)) as u32;
        point.lag_ms = self.lag_by_dc();
        if self.metrics.len() == METRIC_POINTS {
            self.metrics.pop_front();
        }
        self.metrics.push_back(point);

        let before = self.checker.findings.len();
        let healthy_since = self.healthy_since;
        let settle = self.settle_ms();
        self.checking(None, |ch, c| {
            if let Some(since) = healthy_since {
                ch.check_settled(c, since, settle);
            }
            ch.prune(c);
        });
        self.record_new_findings(before);
    }

    /// How long after a full heal the settled-state invariants must hold: long enough
    /// for every detector to see everyone alive again, decisions to be re-asked, and
    /// replicas to catch up.
    pub fn settle_ms(&self) -> u64 {
        2 * self.cfg.dead_after_ms
            + 3 * self.cfg.txn_timeout_ms
            + 3 * self.cfg.replication_interval_ms
            + 2_000
    }

    fn in_doubt_count(&self) -> usize {
        self.nodes
            .values()
            .map(|n| {
                n.durable
                    .part
                    .values()
                    .filter(|r| matches!(r.state, PartState::Prepared | PartState::InDoubt))
                    .count()
            })
            .sum()
    }

    fn lag_by_dc(&self) -> Vec<(DcId, u64)> {
        let ctx = self.ctx();
        let mut worst: BTreeMap<DcId, u64> = self.nodes.keys().map(|&d| (d, 0)).collect();
        for n in self.nodes.values().filter(|n| n.is_up()) {
            for key in n.vol.primaries.keys() {
                for (d, _, ms) in n.replica_lag(&ctx, *key) {
                    let w = worst.entry(d).or_insert(0);
                    *w = (*w).max(ms);
                }
            }
        }
        worst.into_iter().collect()
    }

    fn update_health(&mut self) {
        let healthy = self.nodes.values().all(|n| n.is_up()) && self.net.cut.is_empty();
        match (healthy, self.healthy_since) {
            (true, None) => self.healthy_since = Some(self.now),
            (false, Some(_)) => self.healthy_since = None,
            _ => {}
        }
    }

    // ------------------------------------------------------------ commands

    fn known(&self, d: DcId) -> Result<(), CommandError> {
        if self.nodes.contains_key(&d) {
            Ok(())
        } else {
            Err(CommandError::UnknownDc(d))
        }
    }

    fn dc_name(&self, d: DcId) -> String {
        self.dcs
            .get(&d)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| d.to_string())
    }

    pub fn apply(&mut self, cmd: UserCommand) -> Result<(), CommandError> {
        match cmd {
            UserCommand::Kill(d) => {
                self.known(d)?;
                let n = self.nodes.get_mut(&d).ok_or(CommandError::UnknownDc(d))?;
                if !n.is_up() {
                    return Err(CommandError::AlreadyDown(d));
                }
                n.crash();
                self.touch(&[d]);
                let text = format!("{} ({d}) was killed", self.dc_name(d));
                self.checker.note_fault(self.now, text, vec![d]);
                self.record(Some(d), EventKind::Killed);
            }
            UserCommand::Revive(d) => {
                self.known(d)?;
                let mut out = Vec::new();
                {
                    let ctx = Ctx {
                        now: self.now,
                        cfg: &self.cfg,
                        placement: &self.placement,
                        latency: &self.net.latency,
                    };
                    let n = self.nodes.get_mut(&d).ok_or(CommandError::UnknownDc(d))?;
                    if n.is_up() {
                        return Err(CommandError::AlreadyUp(d));
                    }
                    n.recover(&ctx, &mut out);
                }
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
                if self.net.cut.insert((from, to)) {
                    let text =
                        format!("link {} → {} was cut", self.dc_name(from), self.dc_name(to));
                    self.checker.note_fault(self.now, text, vec![from, to]);
                    self.record(None, EventKind::LinkCut { from, to });
                }
            }
            UserCommand::HealLink { from, to } => {
                self.known(from)?;
                self.known(to)?;
                self.touch(&[from, to]);
                if self.net.cut.remove(&(from, to)) {
                    self.record(None, EventKind::LinkHealed { from, to });
                }
            }
            UserCommand::Partition(group) => {
                for &d in &group {
                    self.known(d)?;
                }
                let all: Vec<DcId> = self.nodes.keys().copied().collect();
                self.touch(&all);
                let group: BTreeSet<DcId> = group.into_iter().collect();
                let rest: Vec<DcId> = self
                    .nodes
                    .keys()
                    .copied()
                    .filter(|d| !group.contains(d))
                    .collect();
                let names: Vec<String> = group.iter().map(|&d| self.dc_name(d)).collect();
                self.checker.note_fault(
                    self.now,
                    format!("{{{}}} was partitioned from the rest", names.join(", ")),
                    group.iter().copied().collect(),
                );
                for &a in &group {
                    for &b in &rest {
                        for (x, y) in [(a, b), (b, a)] {
                            if self.net.cut.insert((x, y)) {
                                self.record(None, EventKind::LinkCut { from: x, to: y });
                            }
                        }
                    }
                }
            }
            UserCommand::HealAll => {
                let cut: Vec<(DcId, DcId)> =
                    std::mem::take(&mut self.net.cut).into_iter().collect();
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
                if ms == 0 || ms > config::MAX_LATENCY_MS {
                    return Err(CommandError::Config(ConfigError::Latency {
                        from: self.dc_name(from),
                        to: self.dc_name(to),
                        ms,
                    }));
                }
                self.net.latency.insert((from, to), ms);
                self.record(None, EventKind::LatencySet { from, to, ms });
            }
            UserCommand::AddDc(spec) => {
                if self.nodes.len() >= config::MAX_DCS {
                    return Err(CommandError::TooManyDcs);
                }
                let mut dcs: Vec<DcSpec> = self.dcs_in_order();
                dcs.push(spec.clone());
                let mut probe = self.cfg.clone();
                probe.latency_ms = config::latency_matrix(&dcs);
                probe.dcs = dcs;
                probe.workload.client_dcs.clear();
                probe.validate().map_err(CommandError::Config)?;
                let id = DcId(self.next_dc);
                self.next_dc += 1;
                for (&o, other) in &self.dcs {
                    let ms = config::default_latency(&spec, other);
                    self.net.latency.insert((id, o), ms);
                    self.net.latency.insert((o, id), ms);
                }
                self.dcs.insert(id, spec.clone());
                let mut out = Vec::new();
                let node = {
                    let ctx = self.ctx();
                    let mut n = Node::new(id, &ctx, self.bugs);
                    n.start(&ctx, &mut out);
                    n
                };
                self.nodes.insert(id, node);
                self.route(id, out);
                let members = self.members();
                self.reconfigure(
                    self.placement.with_members(members),
                    format!("added {} ({id})", spec.name),
                );
            }
            UserCommand::RemoveDc(d) => {
                self.known(d)?;
                if self.nodes.len() <= config::MIN_DCS {
                    return Err(CommandError::TooFewDcs);
                }
                let name = self.dc_name(d);
                let members: Vec<Member> =
                    self.members().into_iter().filter(|m| m.id != d).collect();
                let placement = self.placement.with_members(members);
                self.reconfigure(placement, format!("removed {name} ({d})"));
                self.nodes.remove(&d);
                self.dcs.remove(&d);
                self.net.cut.retain(|&(a, b)| a != d && b != d);
                self.net.latency.retain(|&(a, b), _| a != d && b != d);
                self.cfg.workload.client_dcs.retain(|&c| c != d);
                // Peers forget the removed DC.
                for n in self.nodes.values_mut() {
                    n.vol.detector.peers.remove(&d);
                    n.vol.gossip.remove(&d);
                }
            }
            UserCommand::Configure(new) => self.configure(*new)?,
            UserCommand::Issue { home, op } => {
                self.known(home)?;
                validate_op(&self.cfg, &op).map_err(CommandError::BadOp)?;
                self.issue(home, op);
            }
        }
        self.update_health();
        Ok(())
    }

    fn dcs_in_order(&self) -> Vec<DcSpec> {
        self.dcs.values().cloned().collect()
    }

    fn members(&self) -> Vec<Member> {
        self.dcs
            .iter()
            .map(|(&id, d)| Member {
                id,
                name: d.name.clone(),
            })
            .collect()
    }

    fn configure(&mut self, mut new: SimConfig) -> Result<(), CommandError> {
        // The DC list, latencies and seed are not changed here; validate against them.
        new.dcs = self.dcs_in_order();
        let ids: Vec<DcId> = self.dcs.keys().copied().collect();
        new.latency_ms = ids
            .iter()
            .map(|&a| {
                ids.iter()
                    .map(|&b| self.net.latency(a, b).max(u32::from(a == b)))
                    .collect()
            })
            .collect();
        new.seed = self.cfg.seed;
        // Client DCs are ids; validate them against the live set rather than by index.
        let clients = std::mem::take(&mut new.workload.client_dcs);
        new.validate().map_err(CommandError::Config)?;
        if let Some(&bad) = clients.iter().find(|d| !self.dcs.contains_key(d)) {
            return Err(CommandError::Config(ConfigError::ClientDc(bad.0)));
        }
        if new.tables.len() != self.cfg.tables.len()
            || new
                .tables
                .iter()
                .zip(&self.cfg.tables)
                .any(|(a, b)| a.name != b.name || a.pk != b.pk || a.columns != b.columns)
        {
            return Err(CommandError::BadOp(
                "Table schemas can only change in a new run.".into(),
            ));
        }
        new.workload.client_dcs = clients;
        let old = std::mem::replace(&mut self.cfg, new);
        self.net.jitter_ms = self.cfg.jitter_ms;
        self.net.loss_permille = self.cfg.loss_permille;
        if old.loss_permille != self.cfg.loss_permille && self.cfg.loss_permille > 0 {
            self.checker.note_fault(
                self.now,
                format!("message loss set to {}‰", self.cfg.loss_permille),
                self.dcs.keys().copied().collect(),
            );
        }
        if old.workload != self.cfg.workload {
            self.workload.reshape(&self.cfg.workload);
            self.workload.next_at_us = self.now.0 * 1000;
            self.schedule_arrival();
        }
        let text = describe_changes(&old, &self.cfg);
        if !text.is_empty() {
            self.record(None, EventKind::Setting { text });
        }
        let placement_changed = old.placement != self.cfg.placement
            || old.vnodes != self.cfg.vnodes
            || old.replication_factor != self.cfg.replication_factor;
        if placement_changed {
            let p = Placement::new(
                self.cfg.placement,
                self.members(),
                self.cfg.replication_factor,
                self.cfg.vnodes,
            );
            self.reconfigure(
                p,
                format!(
                    "placement {:?}, R={}, {} vnodes",
                    self.cfg.placement, self.cfg.replication_factor, self.cfg.vnodes
                ),
            );
        }
        Ok(())
    }

    /// A membership or placement change. This is an administrative, stop-the-world
    /// operation: each row's newest copy (from the current primary, or the most
    /// up-to-date live replica) is copied to the DCs that hold it under the new placement,
    /// new shard logs start in a fresh epoch, and replication traffic for the old shards
    /// is discarded. A DC that is down gets its new copies when it comes back, by the
    /// usual log shipping.
    fn reconfigure(&mut self, new: Placement, why: String) {
        let keys: Vec<String> = self.all_partition_keys();
        let report = placement::move_report(
            &self.placement,
            new.members.clone(),
            keys.iter().map(|s| s.as_str()),
        );
        let old_p = std::mem::replace(&mut self.placement, new);
        // Gather each row's authoritative copy.
        let mut rows: BTreeMap<(TableId, Pk), table::Row> = BTreeMap::new();
        let mut moved = 0u64;
        for t in 0..self.cfg.tables.len() as u16 {
            for s in 0..old_p.shard_count() {
                let key = (TableId(t), ShardId(s));
                let source = self.best_copy(&old_p, key);
                if let Some(store) = source {
                    for (pk, row) in &store.rows {
                        let text = pk.first().map(|v| v.hash_text()).unwrap_or_default();
                        if old_p.owner_of(&text) != self.placement.owner_of(&text) {
                            moved += 1;
                        }
                        rows.insert((TableId(t), pk.clone()), row.clone());
                    }
                }
            }
        }
        self.config_version += 1;
        let term = self.config_version;
        // Build the new shards' logs: one entry per row, in a fresh epoch.
        let mut stores: BTreeMap<(TableId, ShardId), ShardStore> = BTreeMap::new();
        for ((t, pk), row) in rows {
            let text = pk.first().map(|v| v.hash_text()).unwrap_or_default();
            let s = self.placement.shard_of(&text);
            let st = stores.entry((t, s)).or_default();
            let epoch = table::Epoch { term, by: u16::MAX };
            let pos = LogPos {
                epoch,
                index: st.last_index() + 1,
            };
            let kind = if row.deleted {
                WriteKind::Delete
            } else {
                WriteKind::Put(
                    row.cells
                        .iter()
                        .map(|(c, (v, _))| (c.clone(), v.clone()))
                        .collect(),
                )
            };
            st.append(LogEntry {
                pos,
                op: WriteOp { table: t, pk, kind },
                origin: row.version.origin,
                at: row.version.at,
                write_id: row.write_id,
            });
        }
        let ids: Vec<DcId> = self.nodes.keys().copied().collect();
        for id in ids {
            let out = Vec::new();
            {
                let ctx = Ctx {
                    now: self.now,
                    cfg: &self.cfg,
                    placement: &self.placement,
                    latency: &self.net.latency,
                };
                let Some(n) = self.nodes.get_mut(&id) else {
                    continue;
                };
                n.durable.stores.clear();
                n.install_placement(&ctx);
                for m in n.durable.meta.values_mut() {
                    m.epoch = table::Epoch { term, by: u16::MAX };
                }
                let mine: Vec<_> = n.durable.stores.keys().copied().collect();
                for key in mine {
                    if n.is_up() {
                        n.durable
                            .stores
                            .insert(key, stores.get(&key).cloned().unwrap_or_default());
                    }
                }
                n.vol.primaries.clear();
                n.vol.progress.clear();
            }
            self.route(id, out);
        }
        // Replication traffic for old shard ids is meaningless now.
        let stale: Vec<u64> = self
            .net
            .in_flight
            .iter()
            .filter(|(_, e)| {
                matches!(
                    e.msg,
                    Msg::Replicate { .. }
                        | Msg::ReplicateAck { .. }
                        | Msg::NewEpoch { .. }
                        | Msg::Heartbeat { .. }
                )
            })
            .map(|(&s, _)| s)
            .collect();
        for s in stale {
            self.net.in_flight.remove(&s);
        }
        self.checker.reset_shards();
        let text = format!(
            "{why}: {moved} row(s) moved owner; over {} keys, modulo would move {} and ring {}",
            report.keys, report.modulo_moved, report.ring_moved
        );
        self.last_moves = Some(report);
        self.record(None, EventKind::Reconfigured { text });
    }

    /// The newest copy of a shard: the primary's if it is up, else the live replica with
    /// the highest log position.
    fn best_copy(&self, p: &Placement, key: node::ShardKey) -> Option<ShardStore> {
        let reps = p.replicas(key.1);
        let primary = reps
            .iter()
            .copied()
            .filter_map(|d| self.nodes.get(&d))
            .filter(|n| n.is_up())
            .find(|n| n.is_primary(key));
        if let Some(n) = primary {
            return n.durable.stores.get(&key).cloned();
        }
        reps.iter()
            .filter_map(|d| self.nodes.get(d))
            .filter(|n| n.is_up())
            .filter_map(|n| n.durable.stores.get(&key))
            .max_by_key(|s| s.last())
            .cloned()
    }

    fn all_partition_keys(&self) -> Vec<String> {
        let mut keys: BTreeSet<String> = BTreeSet::new();
        for n in self.nodes.values() {
            for s in n.durable.stores.values() {
                for pk in s.rows.keys() {
                    keys.insert(pk.first().map(|v| v.hash_text()).unwrap_or_default());
                }
            }
        }
        keys.into_iter().collect()
    }

    fn issue(&mut self, home: DcId, op: ClientOp) {
        let req = ReqId(self.next_req);
        self.next_req += 1;
        let up = self.nodes.get(&home).is_some_and(|n| n.is_up());
        if !up {
            let result = OpResult::Err(msg::OpError::Unavailable(format!(
                "client's home {home} is down"
            )));
            self.on_fact(
                home,
                Fact::OpDone {
                    req,
                    op,
                    invoked: self.now,
                    result,
                    served_by: None,
                },
            );
            return;
        }
        let mut out = Vec::new();
        {
            let ctx = Ctx {
                now: self.now,
                cfg: &self.cfg,
                placement: &self.placement,
                latency: &self.net.latency,
            };
            if let Some(n) = self.nodes.get_mut(&home) {
                n.on_client(&ctx, req, op, &mut out);
            }
        }
        self.route(home, out);
    }

    // ------------------------------------------------------------ reading

    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    pub fn trace_hash(&self) -> u64 {
        self.trace.value()
    }

    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    pub fn findings(&self) -> &[Finding] {
        &self.checker.findings
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }

    pub fn placement(&self) -> &Placement {
        &self.placement
    }

    pub fn node(&self, d: DcId) -> Option<&Node> {
        self.nodes.get(&d)
    }

    pub fn dc_ids(&self) -> Vec<DcId> {
        self.nodes.keys().copied().collect()
    }

    pub fn dc_id_by_name(&self, name: &str) -> Option<DcId> {
        self.dcs
            .iter()
            .find(|(_, d)| d.name == name)
            .map(|(&id, _)| id)
    }

    pub fn is_up(&self, d: DcId) -> bool {
        self.nodes.get(&d).is_some_and(|n| n.is_up())
    }

    pub fn view(&self, observer: DcId, target: DcId) -> Option<PeerState> {
        let n = self.nodes.get(&observer)?;
        if !n.is_up() {
            return None;
        }
        Some(n.view_of(target))
    }

    pub fn txn(&self, t: TxnId) -> Option<&TxnTrace> {
        self.txns.get(&t)
    }

    pub fn txns(&self) -> impl DoubleEndedIterator<Item = &TxnTrace> {
        self.txns.values()
    }

    pub fn last_moves(&self) -> Option<&MoveReport> {
        self.last_moves.as_ref()
    }

    pub fn metrics(&self) -> impl Iterator<Item = &MetricPoint> {
        self.metrics.iter()
    }

    pub fn in_flight(&self) -> impl Iterator<Item = &Envelope> {
        self.net.in_flight.values()
    }

    pub fn network(&self) -> &Network {
        &self.net
    }

    pub fn dc_spec(&self, d: DcId) -> Option<&DcSpec> {
        self.dcs.get(&d)
    }

    /// The shard a row of `table` with partition key `pk` lives in.
    pub fn shard_of(&self, pk: &Pk) -> ShardId {
        self.placement
            .shard_of(&pk.first().map(|v| v.hash_text()).unwrap_or_default())
    }

    /// Runs the settled-state checks right now, as if the settle period had passed
    /// (for tests that heal and wait themselves).
    pub fn check_settled_now(&mut self) {
        let before = self.checker.findings.len();
        self.checking(None, |ch, c| ch.check_settled(c, SimTime::ZERO, 0));
        self.record_new_findings(before);
    }

    /// The copy of a row that `dc` stores, if any.
    pub fn row_at(&self, dc: DcId, table: TableId, pk: &Pk) -> Option<&table::Row> {
        let key = (table, self.shard_of(pk));
        self.nodes.get(&dc)?.durable.stores.get(&key)?.rows.get(pk)
    }

    /// The shard's primary and epoch as the live DCs know it (newest epoch wins).
    pub fn primary_for(&self, table: TableId, pk: &Pk) -> (DcId, table::Epoch) {
        let key = (table, self.shard_of(pk));
        self.nodes
            .values()
            .filter(|n| n.is_up())
            .filter_map(|n| n.meta(key).map(|m| (m.epoch, m.primary)))
            .max()
            .map(|(e, p)| (p, e))
            .unwrap_or_else(|| (self.placement.replicas(key.1)[0], table::Epoch::default()))
    }

    /// A client request id's next value (the next op issued gets this id).
    pub fn next_req(&self) -> ReqId {
        ReqId(self.next_req)
    }
}

fn describe_result(r: &OpResult, by: Option<DcId>) -> String {
    let by = by.map(|d| format!(" by {d}")).unwrap_or_default();
    match r {
        OpResult::Row(Some(row)) if !row.deleted => format!(
            "row at #{} ({}){by}",
            row.version.pos.index, row.version.pos.epoch
        ),
        OpResult::Row(_) => format!("no row{by}"),
        OpResult::Written { pos, copies, .. } => {
            if pos.index == 0 {
                format!("committed{by}")
            } else {
                format!(
                    "written at #{} ({}), {copies} cop{}{by}",
                    pos.index,
                    pos.epoch,
                    if *copies == 1 { "y" } else { "ies" }
                )
            }
        }
        OpResult::Rows(rows) => format!("{} row(s)", rows.len()),
        OpResult::Err(e) => format!("{e:?}{by}"),
    }
}

fn describe_changes(a: &SimConfig, b: &SimConfig) -> String {
    let mut parts = Vec::new();
    if a.read_policy != b.read_policy {
        parts.push(format!("read policy {:?}", b.read_policy));
    }
    if a.read_consistency != b.read_consistency {
        parts.push(format!("read consistency {:?}", b.read_consistency));
    }
    for (x, y) in a.tables.iter().zip(&b.tables) {
        if x.mode != y.mode {
            parts.push(format!("{} replication {:?}", y.name, y.mode));
        }
    }
    if a.loss_permille != b.loss_permille {
        parts.push(format!("loss {}‰", b.loss_permille));
    }
    if a.workload != b.workload {
        parts.push(format!("workload {} ops/s", b.workload.ops_per_sec));
    }
    if (a.heartbeat_interval_ms, a.suspect_after_ms, a.dead_after_ms)
        != (b.heartbeat_interval_ms, b.suspect_after_ms, b.dead_after_ms)
    {
        parts.push(format!(
            "heartbeat {} ms, suspect {} ms, dead {} ms",
            b.heartbeat_interval_ms, b.suspect_after_ms, b.dead_after_ms
        ));
    }
    if a.failover != b.failover {
        parts.push(format!(
            "failover {}",
            if b.failover { "on" } else { "off" }
        ));
    }
    parts.join("; ")
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
        let cols: Vec<&String> = match &w.kind {
            WriteKind::Put(c) => c.iter().map(|(n, _)| n).collect(),
            WriteKind::Update { set, delete } => {
                set.iter().map(|(n, _)| n).chain(delete.iter()).collect()
            }
            WriteKind::Delete => vec![],
        };
        if let Some(c) = cols.iter().find(|c| !spec.columns.contains(c)) {
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
        ClientOp::Range { table, limit, .. } => {
            check_pk(
                *table,
                &vec![
                    table::Value::Int(0);
                    cfg.tables
                        .get(table.0 as usize)
                        .map(|t| t.pk.len())
                        .unwrap_or(0)
                ],
            )?;
            if *limit == 0 || *limit > 1000 {
                return Err("A range limit must be 1 to 1000.".into());
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
            keys.sort();
            keys.dedup();
            if keys.len() != n {
                return Err("A transaction may write each row once.".into());
            }
            Ok(())
        }
    }
}
