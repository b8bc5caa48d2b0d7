//! The Table Store nodes themselves as an explorer `Model`: the same `Sim` the timed world
//! runs — the same node state machines, routing, fault commands and live checker — with
//! the explorer, not the clock, choosing what happens next.
//!
//! A state is a `Sim` (nodes' durable and volatile state, the messages in flight, the
//! pending timers, the links cut, the checker's knowledge) plus the client's progress
//! (which operations were issued), the fault budget used, and which *sometimes* events
//! happened. Its fingerprint hashes the nodes, the pending events (timed: every event in
//! queue order, messages by content; untimed: the in-flight messages as an unordered
//! multiset and the timers in queue order — sequence numbers always left out), the cut
//! links, the clock, and the checker's `digest` — not the event log — and, once an
//! isolation or a membership change was used, those budgets, the members and any change
//! still draining (the layout follows from the members). Invariant, tested:
//! two paths to one fingerprint have the same successors (else the order of the search
//! would change what it finds), and an action index names the same action on every path
//! to a state (messages are listed by content, not by sequence number).
//!
//! Actions: issue a client operation (each once, at its home DC), deliver an in-flight
//! message (one of each set of identical ones), drop one (`drops`), fire the timers due
//! next, crash a DC and recover it (≤ `crashes` crashes), cut a link direction and heal it
//! (≤ `cuts` cuts), cut one DC off from every other in one step (≤ `isolations`; its links
//! heal one by one), add a DC — a membership change, the page's Add DC (≤ `reconfigs`).
//! The last two are 0 by default, so the default spec's state space is unchanged.
//!
//! Time, the abstraction and its limits:
//! - Nodes read `SimTime`, so the state keeps a clock. Only firing timers moves it: the
//!   "fire" action takes the earliest pending timer instant `t`, moves the clock there
//!   and runs every timer due at `t` (in queue order: timers of different DCs at the same
//!   instant touch different nodes, so their order does not matter; the checker's tick
//!   only reads). Timers therefore fire exactly in deadline order, as in the timed world.
//! - Messages are untimed: one may be delivered at any clock value from its sending on —
//!   earlier than its latency (a faster network) or later — but never more than
//!   `max_delay_ms` after it was sent: the clock cannot pass `send + max_delay_ms` while
//!   it is in flight (deliver or drop it first). With `max_delay_ms` ≥ the configured
//!   latency + jitter, every timed run is one of the explored paths; the explorer also
//!   explores faster deliveries, which the protocol must survive anyway.
//! - Fire is enabled only up to `horizon_ms`: the search covers every behaviour of the
//!   first `horizon_ms` of simulated time, not beyond (heartbeats re-arm forever, so the
//!   unbounded state space is infinite). Findings that need a long quiet period (the
//!   settled-state checks: divergence, stuck in doubt) lie past any small horizon.
//! - Symmetry is not reduced: DCs are told apart by their SHA-1 placement.

use super::{fingerprint, Expectation, FpHasher, Model, Property};
use crate::checker::FindingKind;
use crate::config::{ReadConsistency, ReplicationMode, SimConfig, TableSpec};
use crate::ids::{DcId, TableId};
use crate::node::Bugs;
use crate::record::EventKind;
use crate::sim::Sim;
use crate::table::{Value, WriteKind, WriteOp};
use crate::time::SimTime;
use crate::vocab::{ClientOp, CoordState, MsgKind, PartState};
use crate::world::Ev;
use crate::UserCommand;
use std::hash::{Hash, Hasher};

/// What to explore: the world's size, the client's operations, the fault budget, and the
/// time bounds (see the module header).
#[derive(Clone, Debug)]
pub struct Spec {
    /// Datacenters (2 to 5 are sensible).
    pub dcs: usize,
    /// Rows the operations touch (a transaction writes all of them).
    pub keys: u32,
    /// Transactions, each over every key, issued at `home`.
    pub txns: u32,
    /// Single-row writes, round-robin over the keys, issued at `home`.
    pub writes: u32,
    /// Single-row reads (GetRow), round-robin over the keys, issued at `home`, after every
    /// write the client issues (so a read can be judged against them).
    pub reads: u32,
    /// The client's home DC (index among the DCs). Key k is owned by DC k + 1 (mod the
    /// DCs) whatever the home: home 0 reaches every primary over the network, home 1 is
    /// the primary of key 0 (its writes are acknowledged without a network hop).
    pub home: u32,
    /// How reads are served.
    pub consistency: ReadConsistency,
    /// At most this many DC crashes (each may be recovered).
    pub crashes: u8,
    /// At most this many link directions cut (each may be healed).
    pub cuts: u8,
    /// At most this many messages lost (heartbeats are never chosen: a cut or a crash
    /// silences them).
    pub drops: u8,
    /// The table's replication mode.
    pub mode: ReplicationMode,
    /// Seeded protocol bugs.
    pub bugs: Bugs,
    /// No timer fires after this instant.
    pub horizon_ms: u64,
    /// Untimed messages (`quantum_ms` = 0): a message is delivered or dropped at most this
    /// long after it was sent.
    pub max_delay_ms: u64,
    /// Timed messages (> 0): the world runs on its own clock, messages arriving at their
    /// latency; the explorer chooses faults, losses and client operations at every
    /// multiple of this many ms (0: untimed, every delivery order explored).
    pub quantum_ms: u64,
    /// Timed messages: the explorer may also let this long pass in one step (the same
    /// states as several quanta; shorter counterexamples). At most `quantum_ms`: no such
    /// step.
    pub long_ms: u64,
    /// Where the reads are issued (a DC index; `None`: at `home`), e.g. at key 0's
    /// primary (1) while the writes go through DC0.
    pub read_home: Option<u32>,
    /// At most this many DCs cut off from all the others in one step (both directions of
    /// each of its links, as the page's Partition of one DC; each link heals on its own).
    pub isolations: u8,
    /// At most this many membership changes: a DC added (the page's Add DC, the next
    /// region), every shard copied to the layout that includes it.
    pub reconfigs: u8,
    /// Log compaction: entries a primary keeps below what every live replica holds, and
    /// how many must be compactable before it compacts (`SimConfig::compact_keep` and
    /// `compact_every`; small values make a snapshot install fit a small world).
    pub compact_keep: u64,
    /// See `compact_keep`.
    pub compact_every: u64,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            dcs: 3,
            keys: 2,
            txns: 1,
            writes: 1,
            reads: 0,
            home: 0,
            consistency: ReadConsistency::One,
            crashes: 1,
            cuts: 1,
            drops: 0,
            mode: ReplicationMode::Quorum(2),
            bugs: Bugs::default(),
            horizon_ms: 400,
            max_delay_ms: 20,
            // Faults every 100 ms: the issue's configuration then finishes (286,846
            // states); every 50 ms it has 5.1 M, every 10 ms far more. No longer step: it
            // reaches no new state (two quanta reach the same one) and here shortens no
            // path (depth 10 either way), while simulating twice a quantum per state —
            // it was 46 % of the transitions and half the time.
            quantum_ms: 100,
            long_ms: 100,
            read_home: None,
            isolations: 0,
            reconfigs: 0,
            compact_keep: crate::table::COMPACT_KEEP,
            compact_every: crate::table::COMPACT_EVERY,
        }
    }
}

impl Spec {
    /// The world explored: `dcs` DCs 10 ms apart, no jitter, no loss, no background
    /// workload, one table in `mode`, and short timers (heartbeat 50 ms, suspect after
    /// 100, dead after 150) so a failover fits a small horizon.
    pub fn config(&self) -> SimConfig {
        let mut c = SimConfig::with_dcs(self.dcs);
        c.seed = 1;
        for (i, row) in c.latency_ms.iter_mut().enumerate() {
            for (j, ms) in row.iter_mut().enumerate() {
                *ms = if i == j { 0 } else { 10 };
            }
        }
        c.jitter_ms = 0;
        c.loss_permille = 0;
        c.tables = vec![TableSpec {
            name: "t".into(),
            pk: vec!["id".into()],
            columns: vec!["v".into()],
            mode: self.mode,
        }];
        c.heartbeat_interval_ms = 50;
        c.suspect_after_ms = 100;
        c.dead_after_ms = 150;
        c.replication_interval_ms = 50;
        c.txn_timeout_ms = 100;
        c.request_timeout_ms = 300;
        c.workload.ops_per_sec = 0;
        c.read_consistency = self.consistency;
        c.compact_keep = self.compact_keep;
        c.compact_every = self.compact_every;
        c
    }
}

/// A step of the real-node model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The client issues operation `i` (of `Real::ops`).
    Issue(usize),
    /// In-flight message `seq` arrives now (`what`: its kind, sender and receiver).
    Deliver {
        /// The message's sequence number in this path.
        seq: u64,
        /// Sender → receiver: kind.
        what: String,
    },
    /// In-flight message `seq` is lost.
    Drop {
        /// The message's sequence number in this path.
        seq: u64,
        /// Sender → receiver: kind.
        what: String,
    },
    /// The clock moves to instant `at` and the timers due then fire.
    Fire {
        /// The instant, in ms.
        at: u64,
    },
    /// Timed messages: the world runs to instant `to` (every event up to it, in order).
    Advance {
        /// The instant, in ms.
        to: u64,
    },
    /// A DC crashes.
    Crash(DcId),
    /// A crashed DC recovers.
    Recover(DcId),
    /// The link direction from → to is cut.
    Cut(DcId, DcId),
    /// The link direction from → to is healed.
    Heal(DcId, DcId),
    /// Every link to and from a DC is cut (`isolations`).
    Isolate(DcId),
    /// A DC joins (`reconfigs`): the next region, as the page's Add DC.
    AddDc,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Issue(i) => write!(f, "client issues op #{i}"),
            Step::Deliver { what, .. } => write!(f, "deliver {what}"),
            Step::Drop { what, .. } => write!(f, "drop {what}"),
            Step::Fire { at } => write!(f, "timers fire at {at} ms"),
            Step::Advance { to } => write!(f, "run to {to} ms"),
            Step::Crash(d) => write!(f, "crash {d}"),
            Step::Recover(d) => write!(f, "recover {d}"),
            Step::Cut(a, b) => write!(f, "cut {a} → {b}"),
            Step::Heal(a, b) => write!(f, "heal {a} → {b}"),
            Step::Isolate(d) => write!(f, "cut {d} off from every DC"),
            Step::AddDc => f.write_str("add a DC"),
        }
    }
}

/// Sometimes-events seen on the way to a state (bits).
const SEEN_COMMIT: u8 = 1;
const SEEN_ABORT: u8 = 2;
const SEEN_FAILOVER: u8 = 4;
const SEEN_IN_DOUBT: u8 = 8;
const SEEN_RECOVERY: u8 = 16;

/// A state of the real-node model.
#[derive(Clone)]
pub struct State {
    /// The simulation (its event log, metrics and 2PC traces are emptied after every
    /// step: they are not state).
    pub sim: Sim,
    /// Operations issued (bit per operation).
    pub issued: u32,
    /// Crashes used.
    pub crashes: u8,
    /// Cuts used.
    pub cuts: u8,
    /// Messages dropped.
    pub drops: u8,
    /// Sometimes-events seen (the `SEEN_*` bits).
    pub seen: u8,
    /// Isolations used.
    pub isolations: u8,
    /// Membership changes made.
    pub reconfigs: u8,
    /// Timed messages (the spec's `quantum_ms` > 0): what the fingerprint keeps of the
    /// queue depends on it.
    timed: bool,
}

impl State {
    /// The fingerprint's parts, each named: what a state is, piece by piece (a test that
    /// finds two paths with one fingerprint and different futures names the piece).
    pub fn fingerprint_parts(&self) -> Vec<(String, u64)> {
        let mut v = Vec::new();
        self.parts(&mut |name, fp| v.push((name.to_string(), fp)));
        v
    }

    /// Each part's fingerprint, in a fixed order, to `f` (no allocation for the names:
    /// the hot path hashes every state this way).
    fn parts(&self, f: &mut dyn FnMut(Part, u64)) {
        let w = &self.sim.world;
        f(
            Part::Basics,
            fingerprint(&(
                w.now,
                self.issued,
                self.crashes,
                self.cuts,
                self.drops,
                self.seen,
            )),
        );
        for (d, n) in &w.nodes {
            f(Part::Node(*d), fingerprint(n));
        }
        let mut h = FpHasher::default();
        if self.timed {
            // Timed: the world delivers and fires in queue order, so the order of events
            // due at one instant decides what happens — it is state. Every pending event
            // in that order, messages by content (sequence numbers left out).
            for ((at, _), ev) in w.events() {
                match ev {
                    Ev::Deliver(seq) => {
                        // (A lost message's event stays queued and does nothing.)
                        if let Some(e) = w.net.in_flight.get(seq) {
                            (at, e.src, e.dst, e.send_at, &e.msg).hash(&mut h);
                        }
                    }
                    other => (at, other).hash(&mut h),
                }
            }
        } else {
            // Untimed: the explorer picks which message arrives next, so in-flight
            // messages are a multiset (each one's content, sorted). Timers fire in queue
            // order (all those due at one instant in one step): their order is state.
            let mut msgs: Vec<u64> = w
                .net
                .in_flight
                .values()
                .map(|e| fingerprint(&(e.src, e.dst, e.send_at, &e.msg)))
                .collect();
            msgs.sort_unstable();
            msgs.hash(&mut h);
            for ((at, _), ev) in w.events() {
                if !matches!(ev, Ev::Deliver(_)) {
                    (at, ev).hash(&mut h);
                }
            }
        }
        f(Part::Events, h.finish());
        f(Part::Cut, fingerprint(&w.net.cut));
        let mut h = FpHasher::default();
        self.sim.checker.digest(&mut h);
        f(Part::Checker, h.finish());
        f(
            Part::Faults,
            fingerprint(&(self.sim.healthy_since, &self.sim.last_fault)),
        );
        if self.isolations > 0 || self.reconfigs > 0 {
            // Budgets used, and what a membership change leaves besides the nodes: the
            // members (the layout follows from them) and a change still draining.
            f(
                Part::Admin,
                fingerprint(&(
                    self.isolations,
                    self.reconfigs,
                    self.sim.world.placement.member_ids(),
                    self.sim.drain.as_ref().map(|d| format!("{d:?}")),
                )),
            );
        }
    }
}

impl Hash for State {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.parts(&mut |_, fp| h.write_u64(fp));
    }
}

/// A piece of a state's fingerprint.
#[derive(Clone, Copy)]
enum Part {
    Basics,
    Node(DcId),
    Events,
    Cut,
    Checker,
    Faults,
    Admin,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::Basics => f.write_str("clock, client, budgets, seen"),
            Part::Node(d) => write!(f, "node {d}"),
            Part::Events => f.write_str("pending events"),
            Part::Cut => f.write_str("links cut"),
            Part::Checker => f.write_str("checker"),
            Part::Faults => f.write_str("faults"),
            Part::Admin => f.write_str("isolations, membership changes"),
        }
    }
}

/// The real-node model of a `Spec`.
pub struct Real {
    spec: Spec,
    init: State,
    /// The client's operations, each issued once at its home DC.
    pub ops: Vec<(DcId, ClientOp)>,
    /// Operations from this index on are reads, issued only after every other one.
    reads_from: usize,
}

impl Real {
    /// The model of `spec`; `Err` if its configuration is invalid.
    pub fn new(spec: Spec) -> Result<Real, crate::ConfigError> {
        let mut sim = Sim::with_bugs(spec.config(), spec.bugs)?;
        sim.rec.events.clear();
        let dcs = sim.world.placement.member_ids();
        // Keys owned by DCs other than DC 0 (the default home), in turn, so a transaction
        // over two keys spans two primaries besides its coordinator.
        let mut keys: Vec<String> = Vec::new();
        for k in 0..spec.keys as usize {
            let want = dcs[(k + 1) % dcs.len()];
            let found = (0..10_000)
                .map(|i| format!("k{i}"))
                .filter(|name| !keys.contains(name))
                .find(|name| {
                    sim.primary_for(TableId(0), &vec![Value::Str(name.as_str().into())])
                        .0
                        == want
                })
                .unwrap_or_else(|| format!("k{k}"));
            keys.push(found);
        }
        let write = |k: &str, v: i64| WriteOp {
            table: TableId(0),
            pk: vec![Value::Str(k.into())],
            kind: WriteKind::Put(vec![("v".into(), Value::Int(v))]),
        };
        let home = dcs[spec.home as usize % dcs.len()];
        let mut ops = Vec::new();
        for t in 0..spec.txns {
            let ws = keys.iter().map(|k| write(k, 100 + t as i64)).collect();
            ops.push((home, ClientOp::Txn(ws)));
        }
        let mut reads_from = ops.len();
        if !keys.is_empty() {
            for w in 0..spec.writes as usize {
                ops.push((
                    home,
                    ClientOp::Write(write(&keys[w % keys.len()], w as i64 + 1)),
                ));
            }
            reads_from = ops.len();
            let home = spec.read_home.map_or(home, |h| dcs[h as usize % dcs.len()]);
            for r in 0..spec.reads as usize {
                let pk = vec![Value::Str(keys[r % keys.len()].as_str().into())];
                ops.push((
                    home,
                    ClientOp::Get {
                        table: TableId(0),
                        pk,
                    },
                ));
            }
        }
        let timed = spec.quantum_ms > 0;
        Ok(Real {
            reads_from,
            spec,
            init: State {
                sim,
                issued: 0,
                crashes: 0,
                cuts: 0,
                drops: 0,
                seen: 0,
                isolations: 0,
                reconfigs: 0,
                timed,
            },
            ops,
        })
    }

    /// The DC an `AddDc` step adds to `s`: the next region after its DCs.
    fn new_dc(&self, s: &State) -> crate::config::DcSpec {
        crate::config::region_dc(s.sim.world.nodes.len())
    }

    /// The spec explored.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// The instant of the next timers, if the clock may move there.
    fn next_fire(&self, s: &State) -> Option<SimTime> {
        let w = &s.sim.world;
        let ((at, _), _) = w.events().find(|(_, ev)| !matches!(ev, Ev::Deliver(_)))?;
        if at.0 > self.spec.horizon_ms {
            return None;
        }
        let overdue = w
            .net
            .in_flight
            .values()
            .any(|e| e.send_at.0 + self.spec.max_delay_ms < at.0);
        (!overdue).then_some(at)
    }

    /// Notes the sometimes-events among the events just recorded, then empties the log.
    fn observe(s: &mut State) {
        for e in s.sim.rec.events.iter() {
            s.seen |= match &e.kind {
                EventKind::Coord {
                    state: CoordState::Committed,
                    ..
                } => SEEN_COMMIT,
                EventKind::Coord {
                    state: CoordState::Aborted,
                    ..
                } => SEEN_ABORT,
                EventKind::Promoted { .. } => SEEN_FAILOVER,
                EventKind::Part {
                    state: PartState::InDoubt,
                    ..
                } => SEEN_IN_DOUBT,
                EventKind::Recovered { in_doubt, redo } if *in_doubt > 0 || *redo > 0 => {
                    SEEN_RECOVERY
                }
                _ => 0,
            };
        }
        // What the recorder keeps of the past (the log, the plots' points, the 2PC
        // diagrams) is not state: dropping it keeps every branch's copy small.
        s.sim.rec.events.clear();
        s.sim.rec.metrics.clear();
        s.sim.rec.txns.clear();
    }
}

fn what(e: &crate::net::Envelope) -> String {
    format!("{} → {}: {:?}", e.src, e.dst, e.msg.kind())
}

/// The always-properties: one per kind of checker finding that breaks a promise.
const ALWAYS: [(&str, FindingKind); 5] = [
    ("atomicity", FindingKind::Atomicity),
    ("durability", FindingKind::Durability),
    ("stale-read", FindingKind::StaleRead),
    ("divergence", FindingKind::Divergence),
    ("stuck-in-doubt", FindingKind::StuckInDoubt),
];

/// The always-property "no finding of kind `ALWAYS[I]`". It reads the checker's counts by
/// kind, not its findings list: that list keeps only the newest `FINDINGS_CAP`.
fn always<const I: usize>() -> Property<Real> {
    Property {
        name: ALWAYS[I].0,
        expectation: Expectation::Always,
        condition: |_, s| s.sim.checker.counts.of(ALWAYS[I].1) == 0,
    }
}

impl Model for Real {
    type State = State;
    type Action = Step;

    fn init(&self) -> State {
        self.init.clone()
    }

    fn actions(&self, s: &State, out: &mut Vec<Step>) {
        let w = &s.sim.world;
        let others = (1u32 << self.reads_from) - 1;
        for i in 0..self.ops.len() {
            let ready = i < self.reads_from || s.issued & others == others;
            if s.issued & (1 << i) == 0 && ready {
                out.push(Step::Issue(i));
            }
        }
        let timed = self.spec.quantum_ms > 0;
        // One of each set of identical messages (a multiset: which copy goes is moot), in
        // the order of their content's fingerprint, not of their sequence numbers: two
        // paths to one state may number its messages differently, and an action index
        // must name the same message in both (`path_to` replays indices).
        let mut msgs: Vec<(u64, &crate::net::Envelope)> = w
            .net
            .in_flight
            .values()
            .map(|e| (fingerprint(&(e.src, e.dst, e.send_at, &e.msg)), &**e))
            .collect();
        msgs.sort_by_key(|&(fp, _)| fp);
        msgs.dedup_by_key(|&mut (fp, _)| fp);
        for (_, e) in msgs {
            if !timed {
                out.push(Step::Deliver {
                    seq: e.seq,
                    what: what(e),
                });
            }
            if s.drops < self.spec.drops && e.msg.kind() != MsgKind::Heartbeat {
                out.push(Step::Drop {
                    seq: e.seq,
                    what: what(e),
                });
            }
        }
        if timed {
            let now = w.now.0;
            let horizon = self.spec.horizon_ms;
            if now < horizon {
                let q = (now + self.spec.quantum_ms).min(horizon);
                out.push(Step::Advance { to: q });
                let l = (now + self.spec.long_ms).min(horizon);
                if l > q {
                    out.push(Step::Advance { to: l });
                }
            }
        } else if let Some(at) = self.next_fire(s) {
            out.push(Step::Fire { at: at.0 });
        }
        for (&d, n) in &w.nodes {
            if n.is_up() {
                if s.crashes < self.spec.crashes {
                    out.push(Step::Crash(d));
                }
            } else {
                out.push(Step::Recover(d));
            }
        }
        let ids: Vec<DcId> = w.nodes.keys().copied().collect();
        for &a in &ids {
            for &b in &ids {
                if a == b {
                    continue;
                }
                if w.net.cut.contains(&(a, b)) {
                    out.push(Step::Heal(a, b));
                } else if s.cuts < self.spec.cuts {
                    out.push(Step::Cut(a, b));
                }
            }
        }
        if s.isolations < self.spec.isolations {
            out.extend(ids.iter().map(|&d| Step::Isolate(d)));
        }
        if s.reconfigs < self.spec.reconfigs {
            out.push(Step::AddDc);
        }
    }

    fn next(&self, s: &State, a: &Step) -> Option<State> {
        self.next_owned(s.clone(), a)
    }

    fn next_owned(&self, mut n: State, a: &Step) -> Option<State> {
        match *a {
            Step::Issue(i) => {
                let (home, op) = self.ops.get(i)?.clone();
                n.issued |= 1 << i;
                n.sim.apply(UserCommand::Issue { home, op }).ok()?;
            }
            Step::Deliver { seq, .. } => n.sim.deliver_now(seq),
            Step::Drop { seq, .. } => {
                n.drops += 1;
                n.sim.drop_now(seq);
            }
            Step::Advance { to } => {
                n.sim.advance_to(SimTime(to));
            }
            Step::Fire { at } => {
                let at = SimTime(at);
                // Every timer due at `at`, including any armed at `at` by those (bounded:
                // a node arms at most a few timers per firing).
                for _ in 0..1_000 {
                    let key = n
                        .sim
                        .world
                        .events()
                        .find(|(_, ev)| !matches!(ev, Ev::Deliver(_)))
                        .map(|(k, _)| k);
                    match key {
                        Some(k) if k.0 == at => n.sim.fire_now(k),
                        _ => break,
                    }
                }
            }
            Step::Crash(d) => {
                n.crashes += 1;
                n.sim.apply(UserCommand::Kill(d)).ok()?;
            }
            Step::Recover(d) => n.sim.apply(UserCommand::Revive(d)).ok()?,
            Step::Cut(from, to) => {
                n.cuts += 1;
                n.sim.apply(UserCommand::CutLink { from, to }).ok()?;
            }
            Step::Heal(from, to) => n.sim.apply(UserCommand::HealLink { from, to }).ok()?,
            Step::Isolate(d) => {
                n.isolations += 1;
                n.sim.apply(UserCommand::Partition(vec![d])).ok()?;
            }
            Step::AddDc => {
                n.reconfigs += 1;
                n.sim.apply(UserCommand::AddDc(self.new_dc(&n))).ok()?;
            }
        }
        Real::observe(&mut n);
        Some(n)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut v: Vec<Property<Self>> = vec![
            always::<0>(),
            always::<1>(),
            always::<2>(),
            always::<3>(),
            always::<4>(),
        ];
        v.extend([
            Property {
                name: "commit",
                expectation: Expectation::Sometimes,
                condition: |_, s: &State| s.seen & SEEN_COMMIT != 0,
            },
            Property {
                name: "abort",
                expectation: Expectation::Sometimes,
                condition: |_, s: &State| s.seen & SEEN_ABORT != 0,
            },
            Property {
                name: "failover",
                expectation: Expectation::Sometimes,
                condition: |_, s: &State| s.seen & SEEN_FAILOVER != 0,
            },
            Property {
                name: "in-doubt",
                expectation: Expectation::Sometimes,
                condition: |_, s: &State| s.seen & SEEN_IN_DOUBT != 0,
            },
            Property {
                name: "recovery",
                expectation: Expectation::Sometimes,
                condition: |_, s: &State| s.seen & SEEN_RECOVERY != 0,
            },
        ]);
        v
    }

    fn fingerprint(&self, s: &State) -> u64 {
        let mut h = FpHasher::default();
        s.hash(&mut h);
        h.finish()
    }
}

/// A seeded bug (a `Bugs` flag), the property that must catch it, and a small
/// configuration it shows on.
pub struct SeededBug {
    /// Its name (`explore --bug NAME`).
    pub name: &'static str,
    /// What is broken.
    pub about: &'static str,
    /// Sets its flag.
    pub set: fn(&mut Bugs),
    /// The always-property it violates.
    pub property: &'static str,
    /// A small configuration it is found on (the flag set).
    pub spec: fn() -> Spec,
}

impl SeededBug {
    /// Its spec with its flag set.
    pub fn seeded_spec(&self) -> Spec {
        let mut s = (self.spec)();
        (self.set)(&mut s.bugs);
        s
    }
}

/// The seeded bugs the explorer finds, in a fixed order. Not here:
/// `mark_forgets_intents` — it needs a copy that kept only an ended transaction's PREPARE
/// (a replication tick between its PREPARE and COMMIT, its primary crashed before the
/// next) to take over, be kept from asking the coordinator (a cut), apply a second
/// transaction's PREPARE on another row of the shard (here every transaction writes every
/// key: the second is refused on the first's lock), and then a heal and a quiet period
/// for the at-rest durability check: about 17 steps at a 10 ms quantum over a horizon of
/// seconds, far past the states a search reaches in seconds. docs/EXPLORE.md says the
/// same.
pub fn seeded_bugs() -> Vec<SeededBug> {
    vec![
        SeededBug {
            name: "commit-without-all-votes",
            about: "the coordinator commits on the first YES vote",
            set: |b| b.commit_without_all_votes = true,
            // The shortest way it shows: a participant that never prepared (it crashed)
            // leads its shard without the committed row.
            property: "durability",
            spec: || Spec {
                txns: 1,
                writes: 1,
                crashes: 1,
                cuts: 0,
                mode: ReplicationMode::Sync,
                quantum_ms: 10,
                long_ms: 100,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "ack-before-sync",
            about: "a primary acknowledges a write before it has the copies its mode needs",
            set: |b| b.ack_before_sync = true,
            property: "durability",
            spec: || Spec {
                txns: 0,
                writes: 1,
                crashes: 1,
                cuts: 0,
                drops: 2,
                mode: ReplicationMode::Sync,
                quantum_ms: 10,
                long_ms: 100,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "vote-before-prepare-is-durable",
            about: "a participant votes YES before its PREPARE has the copies its mode needs",
            set: |b| b.vote_before_prepare_is_durable = true,
            property: "durability",
            spec: || Spec {
                txns: 1,
                writes: 0,
                crashes: 1,
                cuts: 0,
                drops: 1,
                mode: ReplicationMode::Quorum(2),
                quantum_ms: 10,
                long_ms: 100,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "quorum-read-takes-first",
            about: "a quorum read returns the first answer, not the newest of a majority",
            set: |b| b.quorum_read_takes_first = true,
            property: "stale-read",
            spec: || Spec {
                txns: 0,
                writes: 1,
                reads: 1,
                consistency: ReadConsistency::Quorum,
                crashes: 0,
                cuts: 1,
                drops: 0,
                mode: ReplicationMode::Quorum(2),
                quantum_ms: 10,
                long_ms: 100,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "skip-log-replay-on-revive",
            about: "a revived DC does not replay its 2PC records",
            set: |b| b.skip_log_replay_on_revive = true,
            property: "stuck-in-doubt",
            spec: || Spec {
                txns: 1,
                writes: 0,
                crashes: 1,
                cuts: 0,
                mode: ReplicationMode::Sync,
                horizon_ms: 4_000,
                quantum_ms: 50,
                long_ms: 1_000,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "replica-skips-prev-check",
            about: "replicas append whatever they are sent without checking the entry before",
            set: |b| b.replica_skips_prev_check = true,
            property: "divergence",
            spec: || Spec {
                txns: 0,
                writes: 2,
                crashes: 1,
                cuts: 0,
                drops: 1,
                mode: ReplicationMode::Async,
                horizon_ms: 4_000,
                quantum_ms: 50,
                long_ms: 1_000,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "participant-commits-on-timeout",
            about: "a prepared participant whose decision is overdue commits on its own",
            set: |b| b.participant_commits_on_timeout = true,
            // The shortest way it shows: the link to one shard is cut with its PREPARE on
            // it, so the coordinator's vote timeout aborts; the shard that prepared hears
            // nothing (its link cut too, the ABORT lost) and commits alone. Cuts, not
            // chosen message losses: a scenario replays cuts, so the page can too.
            property: "atomicity",
            spec: || Spec {
                txns: 1,
                writes: 0,
                crashes: 0,
                cuts: 2,
                drops: 0,
                mode: ReplicationMode::Quorum(2),
                quantum_ms: 10,
                long_ms: 100,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "decision-sent-before-persisted",
            about: "the coordinator sends its decision before it is in its durable record",
            set: |b| b.decision_sent_before_persisted = true,
            // Untimed: the crash falls between the COMMIT leaving and being logged (the
            // same instant), so every order of the first instant's messages suffices
            // (horizon 0: no heartbeat); recovery presumes abort while a shard committed.
            property: "atomicity",
            spec: || Spec {
                txns: 1,
                writes: 0,
                crashes: 1,
                cuts: 0,
                mode: ReplicationMode::Async,
                quantum_ms: 0,
                horizon_ms: 0,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "duplicate-ack-counted-twice",
            about:
                "a primary counts acknowledgements, not distinct replicas, toward a write's copies",
            set: |b| b.duplicate_ack_counted_twice = true,
            // Quorum(3) of 3, the client at the key's primary DC1, DC1 → DC0 cut: DC1's
            // replication timer (at 4 ms) resends the batch before DC2's answer is back,
            // DC2 answers twice, the write is acknowledged with 2 copies counted as 3.
            // DC1 crashes; DC0 leads the failover and, as every write is on all three,
            // needs only its own fenced copy — which lacks the write. Faults every 50 ms
            // (150 in one step) suffice and keep the search small.
            property: "durability",
            spec: || Spec {
                keys: 1,
                txns: 0,
                writes: 1,
                home: 1,
                crashes: 1,
                cuts: 1,
                mode: ReplicationMode::Quorum(3),
                quantum_ms: 50,
                long_ms: 150,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "two-primaries-after-cut",
            about: "a replica that sees its primary dead takes over alone, in the same epoch",
            set: |b| b.two_primaries_after_cut = true,
            // Quorum(2): the key's primary DC1 cut off from DC2 acknowledges a write with
            // DC0's copy; DC2, alone seeing DC1 dead, leads the shard without the write.
            property: "durability",
            spec: || Spec {
                txns: 0,
                writes: 1,
                crashes: 0,
                cuts: 1,
                mode: ReplicationMode::Quorum(2),
                quantum_ms: 10,
                long_ms: 100,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "replication-skips-dc0",
            about:
                "the seed's sketch: a primary never ships its log to DC0 yet counts DC0 as a copy",
            set: |b| b.replication_skips_dc0 = true,
            // Quorum(2): the key's primary DC1 counts DC0's phantom copy and acknowledges a
            // write it alone holds; DC1 crashes, and the shard is led without the write.
            property: "durability",
            spec: || Spec {
                keys: 1,
                txns: 0,
                writes: 1,
                crashes: 1,
                cuts: 0,
                mode: ReplicationMode::Quorum(2),
                quantum_ms: 50,
                long_ms: 150,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "promote-without-quorum-intersection",
            about: "a failover promotes from gossiped positions, without a fencing round that intersects every write quorum",
            set: |b| b.promote_without_quorum_intersection = true,
            // Needs 5 DCs: in 3 or 4 a majority that sees the primary dead always hears
            // a replica holding every quorum write (heartbeats carry positions). Key 0 on
            // DC1, DC2, DC3: DC2 down while the write is acknowledged with DC1's and DC3's
            // copies; DC1 and DC3 crash, DC2 recovers; DC0, DC2, DC4 are a majority and
            // DC0 promotes DC2, the only live replica, without the write (the correct
            // code waits for 2 fenced replicas and stays unavailable).
            property: "durability",
            spec: || Spec {
                dcs: 5,
                keys: 1,
                txns: 0,
                writes: 1,
                crashes: 3,
                cuts: 0,
                mode: ReplicationMode::Quorum(2),
                horizon_ms: 300,
                quantum_ms: 50,
                long_ms: 250,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "owner-reads-without-lease",
            about: "a primary serves owner reads without a read lease",
            set: |b| b.owner_reads_without_lease = true,
            // DC1, key 0's primary, is cut off from every DC; the majority fails the shard
            // over and acknowledges a write through DC0; a client at DC1 reads key 0 at
            // Owner from the deposed primary (the correct code has no lease there and
            // refuses).
            property: "stale-read",
            spec: || Spec {
                keys: 1,
                txns: 0,
                writes: 1,
                reads: 1,
                read_home: Some(1),
                consistency: ReadConsistency::Owner,
                crashes: 0,
                cuts: 0,
                isolations: 1,
                mode: ReplicationMode::Quorum(2),
                quantum_ms: 50,
                long_ms: 150,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "copy-from-any-believed-primary",
            about: "a membership change copies each shard from any DC that believes it is the primary",
            set: |b| b.copy_from_any_believed_primary = true,
            // As owner-reads-without-lease, then a DC joins: the change copies key 0's
            // shard from the isolated DC1, which still believes it leads, without the
            // write the new primary acknowledged.
            property: "durability",
            spec: || Spec {
                keys: 1,
                txns: 0,
                writes: 1,
                crashes: 0,
                cuts: 0,
                isolations: 1,
                reconfigs: 1,
                mode: ReplicationMode::Quorum(2),
                quantum_ms: 50,
                long_ms: 150,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "forget-commits",
            about: "at END the coordinator forgets a COMMIT as it forgets an ABORT",
            set: |b| b.forget_commits = true,
            // A participant primary (DC2) crashes just after voting YES, before the
            // COMMIT reaches it, and recovers holding the PREPARE alone; by the time it
            // asks, the coordinator has ended the transaction and (the bug) forgotten its
            // commit, so it answers ABORT (presumed) while the other shard committed.
            property: "atomicity",
            spec: || Spec {
                txns: 1,
                writes: 0,
                crashes: 1,
                cuts: 0,
                mode: ReplicationMode::Async,
                quantum_ms: 10,
                long_ms: 100,
                ..Spec::default()
            },
        },
        SeededBug {
            name: "snapshot-without-intents",
            about: "a snapshot install carries the compacted rows but not the prepared intents and their locks",
            set: |b| b.snapshot_without_intents = true,
            // Compaction after every entry (`compact_keep` 0, `compact_every` 1) so one
            // PREPARE suffices. The coordinator DC0 and DC1 crash as the transaction
            // starts: DC2 prepares and stays in doubt, sees both dead and compacts past the
            // PREPARE; DC1 recovers and installs DC2's snapshot without the intent. The
            // intent check runs on the checker's once-a-second tick: horizon 1 s.
            property: "divergence",
            spec: || Spec {
                txns: 1,
                writes: 0,
                crashes: 2,
                cuts: 0,
                mode: ReplicationMode::Async,
                compact_keep: 0,
                compact_every: 1,
                horizon_ms: 1_000,
                quantum_ms: 50,
                long_ms: 500,
                ..Spec::default()
            },
        },
    ]
}

/// The seeded bug named `name`.
pub fn seeded_bug(name: &str) -> Option<SeededBug> {
    seeded_bugs().into_iter().find(|b| b.name == name)
}

impl Real {
    /// A path of timed steps as a scenario file in the page's format: each client
    /// operation and fault a command at the instant it happened, `until` the path's last
    /// instant; replayed by `tablestore-sim run` (with `--bug` for a seeded bug) or the
    /// page, it runs the same events. `None` for a path the timed world cannot replay: one
    /// in the untimed mode (its delivery order is the explorer's) or with a lost message
    /// (a scenario cannot name one message to lose).
    pub fn scenario(&self, path: &[(Step, State)]) -> Option<crate::Scenario> {
        if self.spec.quantum_ms == 0 {
            return None;
        }
        let mut commands = Vec::new();
        let mut now = SimTime::ZERO;
        let mut prev = &self.init;
        for (step, after) in path {
            let cmd = match *step {
                Step::Issue(i) => {
                    let (home, op) = self.ops.get(i)?.clone();
                    Some(UserCommand::Issue { home, op })
                }
                Step::Crash(d) => Some(UserCommand::Kill(d)),
                Step::Recover(d) => Some(UserCommand::Revive(d)),
                Step::Cut(from, to) => Some(UserCommand::CutLink { from, to }),
                Step::Heal(from, to) => Some(UserCommand::HealLink { from, to }),
                Step::Isolate(d) => Some(UserCommand::Partition(vec![d])),
                // The DC the step added (the state before it is the previous step's).
                Step::AddDc => Some(UserCommand::AddDc(self.new_dc(prev))),
                Step::Advance { .. } => None,
                Step::Deliver { .. } | Step::Drop { .. } | Step::Fire { .. } => return None,
            };
            if let Some(cmd) = cmd {
                commands.push(crate::ScheduledCommand {
                    at: now,
                    after_events: None,
                    cmd,
                });
            }
            now = after.sim.world.now;
            prev = after;
        }
        Some(crate::Scenario {
            config: self.spec.config(),
            commands,
            until: Some(now),
            // The bug is named on the command line (`run --bug`), as before.
            bugs: None,
        })
    }
}
