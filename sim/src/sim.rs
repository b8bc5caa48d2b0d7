//! The `Sim` handle: owns the world, the recording and the checker, and runs the event
//! loop — pop the next event, hand it to its node, route the node's effects.
//!
//! Invariants:
//! - Only `step`, `advance_to` / `run_until` and `apply` (see `commands`) change a `Sim`;
//!   each records what happened as `Event`s and folds it into the trace hash.
//! - Events run in `(time, seq)` order (see `world`), so a run is a pure function of
//!   (config, seed, user commands and the instants they were applied at).
//! - The only randomness is the world's `rng` (network jitter and loss) and the workload's
//!   forked stream; nothing here reads a clock, iterates a hash map, or uses floating point.
//! - No web dependency: the crate compiles and is tested natively.
//!
//! The rest of `Sim` lives by responsibility: `facts` (what the world makes of what nodes
//! report), `commands` (user commands), `admin` (settings and membership), `queries` and
//! `snapshot` (read-only).

use crate::checker::Checker;
use crate::config::{ConfigError, SimConfig};
use crate::ids::DcId;
use crate::net::{DropReason, Envelope};
use crate::node::Bugs;
use crate::placement::MoveReport;
use crate::record::{EventKind, Recorder};
use crate::rng::Rng;
use crate::time::SimTime;
use crate::vecmap::VecMap;
use crate::vocab::{Effect, Msg, Out};
use crate::workload::Workload;
use crate::world::{Ev, World};

/// A running simulation: the world, what is recorded of it, and the checker watching it.
/// Clone: the timeline keeps checkpoints, the explorer branches a simulation per action.
#[derive(Clone)]
pub struct Sim {
    /// Clock, queue, nodes, network, placement and settings.
    pub(crate) world: World,
    /// Event log, trace hash, counters, metrics, 2PC traces, breakpoint.
    pub(crate) rec: Recorder,
    /// The live invariant checker.
    pub(crate) checker: Checker,
    /// The seeded client workload.
    pub(crate) workload: Workload,
    /// Bumped when the workload's rate changes, so the arrival already queued is ignored.
    pub(crate) arrival_gen: u32,
    /// The next client request id.
    pub(crate) next_req: u64,
    /// The next DC id (ids are never reused).
    pub(crate) next_dc: u16,
    /// The term of the last layout's epoch (0: the initial placement); a new layout goes
    /// above it and above every term any DC holds (see `admin::reconfigure`).
    pub(crate) config_version: u32,
    /// What the last membership change moved.
    pub(crate) last_moves: Option<MoveReport>,
    /// Deliberate protocol bugs for every node (tests only).
    pub(crate) bugs: Bugs,
    /// When each DC was last killed, revived, cut or healed.
    pub(crate) last_fault: VecMap<DcId, SimTime>,
    /// Since when every DC is up and every link healed (None: not now).
    pub(crate) healthy_since: Option<SimTime>,
    /// A layout change waiting for open transactions to finish (see `admin::Drain`).
    pub(crate) drain: Option<crate::drain::Drain>,
    /// The tables' modes and names as the checker reads them, refreshed when the settings
    /// change (see `facts::checking`; copying them per client operation cost allocations).
    /// (The names shared with the checker's history records.)
    pub(crate) check_tables: (Vec<crate::config::ReplicationMode>, std::rc::Rc<[String]>),
    /// The settings `check_tables` was last read from (see `checking`).
    pub(crate) check_cfg: Option<std::rc::Rc<SimConfig>>,
    /// The last `CheckCtx::stable_live` list, reused by the next write's (an allocation
    /// per operation saved). Always cleared before use; not part of the state.
    pub(crate) live_buf: Vec<usize>,
}

impl Sim {
    /// A simulation of `cfg`, at time zero.
    pub fn new(cfg: SimConfig) -> Result<Sim, ConfigError> {
        Sim::with_bugs(cfg, Bugs::default())
    }

    /// The same with deliberate protocol bugs, to prove the checker sees them.
    pub fn with_bugs(cfg: SimConfig, bugs: Bugs) -> Result<Sim, ConfigError> {
        cfg.validate()?;
        let mut rng = Rng::new(cfg.seed);
        let workload = Workload::new(rng.fork(), &cfg.workload);
        let world = World::new(cfg, rng);
        let mut sim = Sim {
            next_dc: world.dcs.len() as u16,
            world,
            rec: Recorder::default(),
            checker: Checker::default(),
            workload,
            arrival_gen: 0,
            next_req: 1,
            config_version: 0,
            last_moves: None,
            bugs,
            last_fault: VecMap::new(),
            healthy_since: Some(SimTime::ZERO),
            drain: None,
            check_tables: (Vec::new(), std::rc::Rc::from(Vec::new())),
            check_cfg: None,
            live_buf: Vec::new(),
        };
        let ids: Vec<DcId> = sim.world.dcs.keys().copied().collect();
        for id in ids {
            let out = sim.world.add_node(id, bugs);
            sim.route(id, out);
        }
        sim.schedule_arrival();
        sim.world.push(SimTime(1000), Ev::Tick);
        Ok(sim)
    }

    // ------------------------------------------------------------ running

    /// Runs the next event. Returns false if nothing is pending.
    pub fn step(&mut self) -> bool {
        let Some(ev) = self.world.pop() else {
            return false;
        };
        self.run_event(ev);
        true
    }

    /// Runs one event taken off the queue (the clock is already at its instant).
    fn run_event(&mut self, ev: Ev) {
        match ev {
            Ev::Deliver(seq) => self.deliver(seq),
            Ev::Timer { dc, inc, timer } => {
                let out = self.world.on_node(dc, |n, ctx, out| {
                    if n.is_up() && n.incarnation == inc {
                        n.on_timer(ctx, timer, out)
                    }
                });
                self.route(dc, out);
            }
            Ev::Arrival { gen } => {
                if gen == self.arrival_gen {
                    let (home, op) = self
                        .workload
                        .next_op(&self.world.cfg, self.world.placement.ids());
                    self.issue(home, op);
                    self.schedule_arrival();
                }
            }
            Ev::Tick => {
                self.tick();
                self.world.push(self.world.now.plus(1000), Ev::Tick);
            }
        }
        if self.drain.is_some() {
            self.finish_drain();
        }
    }

    // ------------------------------------------------------------ the explorer's steps
    //
    // The explorer (see `explore::real`) chooses which pending event runs next instead of
    // the clock: these run one event out of `(time, seq)` order, each exactly as `step`
    // would run it.

    /// Delivers in-flight message `seq` now (or drops it, as on arrival, if its link is
    /// cut or its destination down).
    pub(crate) fn deliver_now(&mut self, seq: u64) {
        if let Some(at) = self.world.net.in_flight.get(&seq).map(|e| e.deliver_at) {
            self.world.unqueue((at, seq));
        }
        self.deliver(seq);
        if self.drain.is_some() {
            self.finish_drain();
        }
    }

    /// Loses in-flight message `seq` (as random loss would).
    pub(crate) fn drop_now(&mut self, seq: u64) {
        if let Some(env) = self.world.net.in_flight.remove(&seq) {
            self.world.unqueue((env.deliver_at, seq));
            self.rec.note_txn_msg(&env, false);
            self.drop_msg(&env, DropReason::Loss);
        }
    }

    /// Runs the queued event with key `key` (a timer or the tick), moving the clock to
    /// its instant.
    pub(crate) fn fire_now(&mut self, key: (SimTime, u64)) {
        if let Some(ev) = self.world.take_event(key) {
            self.run_event(ev);
        }
    }

    /// Runs every event up to and including `t`, then sets the clock to `t`. With a
    /// breakpoint set, stops right after the event that hits it and returns true (the
    /// clock then stays at that event's instant).
    pub fn advance_to(&mut self, t: SimTime) -> bool {
        self.run(t, u64::MAX)
    }

    /// Replays up to the moment a command was recorded at. The rule: every event before
    /// the instant `at` runs, whatever `after_events` says; events *of* the instant `at`
    /// run while fewer than `after_events` events ran in all (all of them when `None`).
    /// The count only orders a command among the events of its own instant, so a file
    /// with a count that is too small (`after_events: 0` and a far `at`) cannot make the
    /// clock jump past events still pending. Returns true if it stopped at the
    /// breakpoint instead.
    pub fn run_until(&mut self, at: SimTime, after_events: Option<u64>) -> bool {
        let Some(n) = after_events else {
            return self.run(at, u64::MAX);
        };
        if at.0 > 0 && self.run(SimTime(at.0 - 1), u64::MAX) {
            return true;
        }
        self.run(at, n)
    }

    /// `advance_to` `ms` from now.
    pub fn advance_by(&mut self, ms: u64) -> bool {
        self.advance_to(self.world.now.plus(ms))
    }

    /// The one event loop: events up to `t` while fewer than `max_steps` ran in all.
    fn run(&mut self, t: SimTime, max_steps: u64) -> bool {
        self.rec.take_hit();
        while self.world.steps < max_steps {
            // `step`, taking the next event only if it is due by `t`.
            let Some(ev) = self.world.pop_until(t) else {
                break;
            };
            self.run_event(ev);
            if self.rec.take_hit() {
                return true;
            }
        }
        self.world.now = self.world.now.max(t);
        false
    }

    /// Queues the workload's next arrival (none while its rate is 0).
    pub(crate) fn schedule_arrival(&mut self) {
        self.arrival_gen += 1;
        let rate = self.world.cfg.workload.ops_per_sec;
        if rate == 0 {
            return;
        }
        let now_us = self.world.now.0 * 1000;
        self.workload.next_at_us =
            self.workload.next_at_us.max(now_us) + self.workload.gap_us(rate);
        let at = SimTime(self.workload.next_at_us / 1000);
        let gen = self.arrival_gen;
        self.world.push(at, Ev::Arrival { gen });
    }

    // ------------------------------------------------------------ routing

    /// Carries out a node's effects, in order.
    pub(crate) fn route(&mut self, dc: DcId, out: Out) {
        let inc = self
            .world
            .nodes
            .get(&dc)
            .map(|n| n.incarnation)
            .unwrap_or(0);
        let mut effects = out.into_vec();
        for e in effects.drain(..) {
            match e {
                Effect::Send { dst, msg } => self.send(dc, dst, msg),
                Effect::Timer { after, timer } => self.world.arm(dc, inc, after, timer),
                Effect::Fact(f) => self.on_fact(dc, f),
            }
        }
        if effects.capacity() > self.world.spare.capacity() {
            self.world.spare = effects;
        }
    }

    fn send(&mut self, src: DcId, dst: DcId, msg: Msg) {
        self.rec.counters.msgs_sent += 1;
        match self.world.transmit(src, dst, msg) {
            Ok(env) => self.rec.note_txn_msg_sent(env),
            Err((env, reason)) => {
                self.rec.note_txn_msg(&env, false);
                self.drop_msg(&env, reason);
            }
        }
    }

    fn deliver(&mut self, seq: u64) {
        let env = match self.world.arrive(seq) {
            None => return,
            Some(Err((env, reason))) => {
                self.rec.note_txn_msg(&env, false);
                self.drop_msg(&env, reason);
                return;
            }
            Some(Ok(env)) => env,
        };
        self.rec.note_txn_msg(&env, true);
        self.rec.counters.msgs_delivered += 1;
        self.rec.trace.delivery(&env);
        let Envelope { src, dst, msg, .. } = env;
        let out = self
            .world
            .on_node(dst, |n, ctx, out| n.on_message(ctx, src, msg, out));
        self.route(dst, out);
    }

    fn drop_msg(&mut self, env: &Envelope, reason: DropReason) {
        self.rec.counters.msgs_dropped += 1;
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

    /// Records `kind` as happening now.
    pub(crate) fn record(&mut self, dc: Option<DcId>, kind: EventKind) {
        self.rec.record(self.world.now, dc, kind);
    }
}
