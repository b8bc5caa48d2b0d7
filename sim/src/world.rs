//! The world the event loop runs over: the clock, the event queue, the nodes, the network,
//! the placement and the settings — what turmoil calls the `World`, apart from the `Sim`
//! handle that drives it and records what happens.
//!
//! Invariants:
//! - Events run in `(time, seq)` order; `seq` is a counter, so a run is a pure function of
//!   (config, seed, user commands and the instants they were applied at).
//! - The only randomness here is `rng` (network jitter and loss); nothing reads a clock,
//!   iterates a hash map, or uses floating point.
//! - A node is reached only through `on_node`, the one place a `Ctx` is lent to a node: it
//!   borrows the settings, the placement and the latency table, never the other nodes.
//! - The world knows nothing of recording: it reports drops to its caller.

use crate::config::{DcSpec, SimConfig};
use crate::fp::Shared;
use crate::ids::DcId;
use crate::net::{DropReason, Envelope, Network};
use crate::node::{Bugs, Ctx, Node};
use crate::placement::{Member, Placement};
use crate::queue::EventQueue;
use crate::rng::Rng;
use crate::time::SimTime;
use crate::vecmap::VecMap;
use crate::vocab::{Effect, Msg, Out, Timer};
use std::rc::Rc;

/// What the event queue holds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Ev {
    /// The message in flight with this `seq` arrives.
    Deliver(u64),
    /// A node's timer, armed in incarnation `inc` (ignored if the node crashed since).
    Timer { dc: DcId, inc: u32, timer: Timer },
    /// The workload's next client operation (stale unless `gen` is current).
    Arrival { gen: u32 },
    /// Once a simulated second: metrics and settled-state checks.
    Tick,
}

/// The simulated world (Clone for the timeline's checkpoints and the explorer's branches).
#[derive(Clone)]
pub(crate) struct World {
    /// Simulated time; never goes back.
    pub(crate) now: SimTime,
    /// Last sequence number given to an event or a message.
    seq: u64,
    /// Pending events in `(time, seq)` order (see `queue`).
    queue: EventQueue<Ev>,
    /// Events processed since the start.
    pub(crate) steps: u64,
    /// Network jitter and loss draws.
    rng: Rng,
    /// Behind an `Rc` (as `dcs` and `placement`): the explorer's branches share it; a
    /// settings change replaces it whole.
    pub(crate) cfg: Rc<SimConfig>,
    /// The DCs' names and map positions, by id (ids are never reused).
    pub(crate) dcs: Rc<VecMap<DcId, DcSpec>>,
    /// Each node behind an `Rc`: never shared in a timed run (so `make_mut` is free),
    /// shared between the explorer's branches until one of them changes it.
    pub(crate) nodes: VecMap<DcId, Shared<Node>>,
    pub(crate) net: Network,
    pub(crate) placement: Rc<Placement>,
    /// The last routed `Out`'s buffer, reused by the next handler (one allocation per
    /// handler call saved; see `Sim::route`).
    pub(crate) spare: Vec<Effect>,
}

impl World {
    /// The world a valid `cfg` describes, with no node yet (see `add_node`).
    pub(crate) fn new(cfg: SimConfig, rng: Rng) -> World {
        // `extend`, not `collect`: no sort instantiated for this map (sort.rs).
        let mut dcs: VecMap<DcId, DcSpec> = VecMap::new();
        dcs.extend(
            cfg.dcs
                .iter()
                .enumerate()
                .map(|(i, d)| (DcId(i as u16), d.clone())),
        );
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
        let placement = Placement::new(
            cfg.placement,
            members(&dcs),
            cfg.replication_factor,
            cfg.vnodes,
        );
        World {
            now: SimTime::ZERO,
            seq: 0,
            queue: EventQueue::default(),
            steps: 0,
            rng,
            cfg: Rc::new(cfg),
            dcs: Rc::new(dcs),
            nodes: VecMap::new(),
            net,
            placement: Rc::new(placement),
            spare: Vec::new(),
        }
    }

    /// What a node may read, for read-only use outside a handler.
    pub(crate) fn ctx(&self) -> Ctx<'_> {
        Ctx::new(self.now, &self.cfg, &self.placement, &self.net.latency)
    }

    /// Runs `f` on node `dc` (if it exists) with the context nodes may read; returns the
    /// effects it asked for. Destructures `self` so the node is borrowed mutably while the
    /// context borrows only the settings, the placement and the latencies.
    pub(crate) fn on_node(
        &mut self,
        dc: DcId,
        f: impl FnOnce(&mut Node, &Ctx<'_>, &mut Out),
    ) -> Out {
        let World {
            now,
            cfg,
            placement,
            net,
            nodes,
            spare,
            ..
        } = self;
        let ctx = Ctx::new(*now, cfg, placement, &net.latency);
        let mut out = Out::reusing(std::mem::take(spare));
        if let Some(n) = nodes.get_mut(&dc) {
            f(n, &ctx, &mut out);
        }
        out
    }

    /// Creates and starts node `id`; returns its first effects (its timers).
    pub(crate) fn add_node(&mut self, id: DcId, bugs: Bugs) -> Out {
        let mut out = Out::default();
        let ctx = self.ctx();
        let mut n = Node::new(id, &ctx, bugs);
        n.start(&ctx, &mut out);
        self.nodes.insert(id, Shared::new(n));
        out
    }

    /// The members of the placement, in id order.
    pub(crate) fn members(&self) -> Vec<Member> {
        members(&self.dcs)
    }

    pub(crate) fn is_up(&self, d: DcId) -> bool {
        self.nodes.get(&d).is_some_and(|n| n.is_up())
    }

    // ------------------------------------------------------------ the queue

    pub(crate) fn push(&mut self, at: SimTime, ev: Ev) {
        self.seq += 1;
        let seq = self.seq;
        self.enqueue(at, seq, ev);
    }

    /// Queues `ev` at `at`; `seq` is the newest sequence number (so it sorts last there).
    fn enqueue(&mut self, at: SimTime, seq: u64, ev: Ev) {
        self.queue.push(at, seq, ev);
    }

    /// Arms `timer` for node `dc` in incarnation `inc`, `after` ms from now.
    pub(crate) fn arm(&mut self, dc: DcId, inc: u32, after: u64, timer: Timer) {
        self.push(self.now.plus(after), Ev::Timer { dc, inc, timer });
    }

    /// Instant of the next pending event.
    pub(crate) fn next_at(&self) -> Option<SimTime> {
        self.queue.next_at()
    }

    /// Events queued (see `Sim::memory_stats`).
    pub(crate) fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Takes the next event and moves the clock to it.
    pub(crate) fn pop(&mut self) -> Option<Ev> {
        self.pop_until(SimTime(u64::MAX))
    }

    /// Takes the next event if it is due at or before `t`, moving the clock to it.
    pub(crate) fn pop_until(&mut self, t: SimTime) -> Option<Ev> {
        let (at, ev) = self.queue.pop_until(t)?;
        self.steps += 1;
        self.now = self.now.max(at);
        Some(ev)
    }

    /// Takes the event with key `key` off the queue out of order (the explorer's choice),
    /// moving the clock to its instant if that is later.
    pub(crate) fn take_event(&mut self, key: (SimTime, u64)) -> Option<Ev> {
        let ev = self.queue.remove(key)?;
        self.steps += 1;
        self.now = self.now.max(key.0);
        Some(ev)
    }

    /// Removes the event with key `key` without running it or moving the clock (a message
    /// the explorer delivers early or drops).
    pub(crate) fn unqueue(&mut self, key: (SimTime, u64)) {
        self.queue.remove(key);
    }

    /// The queued events with their `(time, seq)` keys, in that order.
    pub(crate) fn events(&self) -> impl Iterator<Item = ((SimTime, u64), &Ev)> {
        self.queue.iter()
    }

    // ------------------------------------------------------------ the network

    /// Puts `msg` on the wire from `src` to `dst`: it is in flight until its delivery
    /// instant, or dropped at once (a cut link or random loss; never between a DC and
    /// itself).
    // The dropped envelope comes back by value for the event log; boxing it would cost an
    // allocation per drop on the hot path.
    #[allow(clippy::result_large_err)]
    pub(crate) fn transmit(
        &mut self,
        src: DcId,
        dst: DcId,
        msg: Msg,
    ) -> Result<&Envelope, (Envelope, DropReason)> {
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
            if self.net.is_cut(src, dst) {
                return Err((env, DropReason::LinkCut));
            }
            if self.rng.chance_permille(self.net.loss_permille) {
                return Err((env, DropReason::Loss));
            }
        }
        let seq = env.seq;
        self.enqueue(deliver_at, seq, Ev::Deliver(seq));
        let env = self.net.in_flight.wrap(env);
        Ok(self.net.in_flight.insert(env))
    }

    /// Takes message `seq` off the wire at its delivery instant; `Err` when it cannot be
    /// delivered (the link is cut now, or the destination is down). `None`: no such
    /// message (it was discarded by a reconfiguration).
    pub(crate) fn arrive(&mut self, seq: u64) -> Option<Result<Envelope, (Envelope, DropReason)>> {
        // Shared only by the explorer's branches; a timed run moves it out.
        let env = self.net.in_flight.take(seq)?;
        Some(if self.net.is_cut(env.src, env.dst) {
            Err((env, DropReason::LinkCut))
        } else if !self.is_up(env.dst) {
            Err((env, DropReason::DestinationDown))
        } else {
            Ok(env)
        })
    }
}

fn members(dcs: &VecMap<DcId, DcSpec>) -> Vec<Member> {
    dcs.iter()
        .map(|(&id, d)| Member {
            id,
            name: d.name.clone(),
        })
        .collect()
}
