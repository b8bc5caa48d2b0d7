//! An exhaustive, breadth-first explorer over any `Model`: every state reachable from the
//! initial one by the model's actions, each checked against the model's properties.
//!
//! Invariants:
//! - States are identified by a 64-bit fingerprint (`fingerprint`, a fixed hash function:
//!   the same state gives the same fingerprint in every run, natively and in wasm up to
//!   the width of `usize`). The explorer keeps only fingerprint → (parent fingerprint,
//!   action index) for visited states and a queue of states still to expand: a path is
//!   rebuilt by walking parents back to the initial state and replaying the action
//!   indices forward (`path_to`). Two different states with the same fingerprint would be
//!   merged (a 64-bit collision: ~n²/2⁶⁵, negligible below billions of states).
//! - Breadth-first: states are visited in order of depth, and properties are checked when
//!   a state is first generated, so the first discovery of each property is at the least
//!   depth — its path is as short as any.
//! - Two orders, the same answer once done. Breadth-first (`Order::Breadth`, the default)
//!   keeps every state still to expand in a queue (memory ∝ the widest level). Depth-first
//!   (`Order::Depth`) keeps only the current path's states: memory ∝ the visited map
//!   (24 bytes a state). Its map also records each state's depth, and a state reached again
//!   by a shorter path takes that path and is expanded again — so when the search ends
//!   every recorded path is as short as breadth-first's and the state set is the same.
//!   Stopped early (a violation, `max_states`), a depth-first path may be longer.
//! - Step-wise: `explore_some(budget)` expands at most `budget` states and returns the
//!   progress, so a caller (a CLI loop, a Web Worker between messages) can report,
//!   cancel (just stop calling), or go on. The result does not depend on the budgets.
//! - No hash-map order reaches a result: the visited map is looked up and inserted into,
//!   and read whole only once, when a depth-first search ends, for the greatest depth (a
//!   max, the same in any order).
//!
//! Models: `twophase` (TLA+'s TwoPhase, the explorer's calibration) and `real` (the
//! Table Store nodes themselves, driven through the same `Sim` the timed world runs).

pub mod api;
pub mod real;
pub mod twophase;

pub use crate::fp::{fingerprint, FpHasher};
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// What a property asks of every reachable state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// Holds in every reachable state (a safety invariant): a state where it fails is a
    /// counterexample.
    Always,
    /// Holds in at least one reachable state: a run that never reaches it proves
    /// nothing about the behaviour it stands for.
    Sometimes,
}

/// A named property of a model's states.
pub struct Property<M: Model + ?Sized> {
    /// Short name (the CLI and the page key results by it).
    pub name: &'static str,
    /// Always or sometimes.
    pub expectation: Expectation,
    /// Whether the property's condition holds in a state.
    pub condition: fn(&M, &M::State) -> bool,
}

/// A transition system the explorer can search.
pub trait Model {
    /// A state: hashed for its fingerprint; cloned only when a successor is made.
    type State: Clone + Hash;
    /// An action: what leads from a state to a successor.
    type Action: Clone + std::fmt::Debug;

    /// The initial state.
    fn init(&self) -> Self::State;
    /// The actions enabled in `s`, in a fixed order (an action is named by its index).
    fn actions(&self, s: &Self::State, out: &mut Vec<Self::Action>);
    /// The successor of `s` by `a`; `None` if `a` changes nothing worth a state.
    fn next(&self, s: &Self::State, a: &Self::Action) -> Option<Self::State>;
    /// The same from a state the caller no longer needs (its last action): a model whose
    /// states are costly to copy steps it in place.
    fn next_owned(&self, s: Self::State, a: &Self::Action) -> Option<Self::State> {
        self.next(&s, a)
    }
    /// The properties checked in every state.
    fn properties(&self) -> Vec<Property<Self>>;
    /// The state's fingerprint (by default its `Hash`).
    fn fingerprint(&self, s: &Self::State) -> u64 {
        fingerprint(s)
    }
    /// Whether to expand `s` (by default always); a model bounds its search here (e.g. a
    /// time horizon). States not expanded are still counted and checked.
    fn within_bounds(&self, _s: &Self::State) -> bool {
        true
    }
}

/// Keys are fingerprints already: the visited map uses them as they are.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}

/// No parent: the initial state's entry in the visited map.
const ROOT: u64 = u64::MAX;

/// A property's result so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// An `Always` property with no failing state found (yet).
    Holds,
    /// An `Always` property failed in the state with this fingerprint.
    Violated(u64),
    /// A `Sometimes` property held in the state with this fingerprint.
    Reached(u64),
    /// A `Sometimes` property held in no state found (yet).
    Unreached,
}

impl Verdict {
    /// `holds`, `violated`, `reached` or `unreached` (the page's `data-result`).
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated(_) => "violated",
            Verdict::Reached(_) => "reached",
            Verdict::Unreached => "unreached",
        }
    }

    /// The state that decided it, if any.
    pub fn witness(&self) -> Option<u64> {
        match self {
            Verdict::Violated(f) | Verdict::Reached(f) => Some(*f),
            _ => None,
        }
    }
}

/// How far an exploration got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Distinct states found (the initial one included).
    pub states: u64,
    /// States expanded.
    pub expanded: u64,
    /// Transitions tried (successors generated, duplicates included).
    pub transitions: u64,
    /// The greatest depth (actions from the initial state) of a state found.
    pub depth: u32,
    /// Nothing is left to expand (or a limit or the stop rule ended the search).
    pub done: bool,
    /// The search stopped at `max_states` with states still queued: not exhaustive.
    pub truncated: bool,
}

/// The order states are expanded in (see the module header).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Order {
    /// Level by level: the first violation found is at the least depth.
    #[default]
    Breadth,
    /// Path by path, memory ∝ the states visited: for the larger configurations.
    Depth,
}

/// Options of a search.
#[derive(Clone, Debug)]
pub struct Options {
    /// Breadth- or depth-first.
    pub order: Order,
    /// Stop (truncated) once this many states are found.
    pub max_states: u64,
    /// Stop as soon as an `Always` property is violated.
    pub stop_on_violation: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            order: Order::Breadth,
            max_states: u64::MAX,
            stop_on_violation: false,
        }
    }
}

/// A breadth-first search in progress over model `M`.
pub struct Explorer<M: Model> {
    model: M,
    props: Vec<Property<M>>,
    verdicts: Vec<Verdict>,
    /// The depth of each verdict's witness (a shallower one replaces it).
    witness_depth: Vec<u32>,
    opts: Options,
    /// Fingerprint → (parent's fingerprint, action index, depth).
    visited: HashMap<u64, (u64, u32, u32), BuildHasherDefault<IdHasher>>,
    queue: VecDeque<(M::State, u64, u32)>,
    /// Depth-first: the current path, each state with its actions and the next to try.
    stack: Vec<Frame<M>>,
    progress: Progress,
    actions: Vec<M::Action>,
}

impl<M: Model> Explorer<M> {
    /// A search of `model` from its initial state (checked at once).
    pub fn new(model: M, opts: Options) -> Explorer<M> {
        let props = model.properties();
        let verdicts: Vec<Verdict> = props
            .iter()
            .map(|p| match p.expectation {
                Expectation::Always => Verdict::Holds,
                Expectation::Sometimes => Verdict::Unreached,
            })
            .collect();
        let mut e = Explorer {
            model,
            props,
            witness_depth: vec![u32::MAX; verdicts.len()],
            verdicts,
            opts,
            visited: HashMap::default(),
            queue: VecDeque::new(),
            stack: Vec::new(),
            progress: Progress {
                states: 0,
                expanded: 0,
                transitions: 0,
                depth: 0,
                done: false,
                truncated: false,
            },
            actions: Vec::new(),
        };
        let s = e.model.init();
        let fp = e.model.fingerprint(&s);
        e.visited.insert(fp, (ROOT, 0, 0));
        e.progress.states = 1;
        let keep = e.check(&s, fp, 0);
        if keep {
            match e.opts.order {
                Order::Breadth => e.queue.push_back((s, fp, 0)),
                Order::Depth => e.push_frame(s, fp, 0),
            }
        }
        e
    }

    /// The model searched.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// Checks every property in `s`, found at `depth`; returns whether to expand it (a
    /// state that violates a property is a counterexample's end, not a way through). A
    /// witness at a lesser depth than the verdict's replaces it: breadth-first never
    /// finds one (depths only grow), depth-first does, so both end with witnesses as
    /// shallow as any.
    fn check(&mut self, s: &M::State, fp: u64, depth: u32) -> bool {
        let mut keep = true;
        for ((p, v), wd) in self
            .props
            .iter()
            .zip(self.verdicts.iter_mut())
            .zip(self.witness_depth.iter_mut())
        {
            let better = depth < *wd || v.witness() == Some(fp);
            match p.expectation {
                Expectation::Always if !(p.condition)(&self.model, s) => {
                    keep = false;
                    if better {
                        *v = Verdict::Violated(fp);
                        *wd = depth;
                    }
                }
                Expectation::Sometimes if better && (p.condition)(&self.model, s) => {
                    *v = Verdict::Reached(fp);
                    *wd = depth;
                }
                _ => {}
            }
        }
        keep && self.model.within_bounds(s)
    }

    fn push_frame(&mut self, state: M::State, fp: u64, depth: u32) {
        let mut actions = Vec::new();
        self.model.actions(&state, &mut actions);
        self.progress.expanded += 1;
        self.stack.push(Frame {
            state,
            fp,
            depth,
            actions,
            next: 0,
        });
    }

    /// Ends the search at the first violation (when asked to) or at `max_states` (then
    /// truncated if states were left to expand); whether it is over.
    fn stop_early(&mut self) -> bool {
        if self.opts.stop_on_violation && self.any_violation() {
            self.progress.done = true;
        } else if self.progress.states >= self.opts.max_states {
            self.progress.truncated = !self.queue.is_empty() || !self.stack.is_empty();
            self.progress.done = true;
        }
        self.progress.done
    }

    fn any_violation(&self) -> bool {
        self.verdicts
            .iter()
            .any(|v| matches!(v, Verdict::Violated(_)))
    }

    /// Expands at most `budget` states (depth-first: tries at most `budget` actions);
    /// returns the progress so far.
    pub fn explore_some(&mut self, budget: u64) -> Progress {
        if self.opts.order == Order::Depth {
            return self.explore_depth(budget);
        }
        let mut left = budget;
        while left > 0 && !self.progress.done {
            if self.stop_early() {
                break;
            }
            let Some((s, fp, depth)) = self.queue.pop_front() else {
                self.progress.done = true;
                break;
            };
            left -= 1;
            self.progress.expanded += 1;
            let mut actions = std::mem::take(&mut self.actions);
            actions.clear();
            self.model.actions(&s, &mut actions);
            let mut s = Some(s);
            for (i, a) in actions.iter().enumerate() {
                // The last action steps the state itself rather than a copy.
                let next = match &s {
                    Some(st) if i + 1 < actions.len() => self.model.next(st, a),
                    _ => s.take().and_then(|st| self.model.next_owned(st, a)),
                };
                let Some(next) = next else {
                    continue;
                };
                self.progress.transitions += 1;
                let nfp = self.model.fingerprint(&next);
                if self.visited.contains_key(&nfp) {
                    continue;
                }
                self.visited.insert(nfp, (fp, i as u32, depth + 1));
                self.progress.states += 1;
                self.progress.depth = self.progress.depth.max(depth + 1);
                if self.check(&next, nfp, depth + 1) {
                    self.queue.push_back((next, nfp, depth + 1));
                }
            }
            self.actions = actions;
        }
        if self.queue.is_empty() {
            self.progress.done = true;
        }
        self.progress.clone()
    }

    fn explore_depth(&mut self, budget: u64) -> Progress {
        let mut left = budget;
        while left > 0 && !self.progress.done {
            if self.stop_early() {
                break;
            }
            let Some(top) = self.stack.last_mut() else {
                self.progress.done = true;
                break;
            };
            let Some(a) = top.actions.get(top.next) else {
                self.stack.pop();
                continue;
            };
            let i = top.next;
            top.next += 1;
            left -= 1;
            let (fp, depth) = (top.fp, top.depth + 1);
            let next = if top.next < top.actions.len() {
                self.model.next(&top.state, a)
            } else {
                // Its last action: the frame's state is stepped, not copied.
                let Some(f) = self.stack.pop() else { break };
                self.model.next_owned(f.state, &f.actions[i])
            };
            let Some(next) = next else {
                continue;
            };
            self.progress.transitions += 1;
            let nfp = self.model.fingerprint(&next);
            let keep = match self.visited.get_mut(&nfp) {
                Some(seen) if seen.2 <= depth => continue,
                Some(seen) => {
                    // A shorter path: take it, and expand again so the states below
                    // get their shorter paths too.
                    *seen = (fp, i as u32, depth);
                    self.check(&next, nfp, depth)
                }
                None => {
                    self.visited.insert(nfp, (fp, i as u32, depth));
                    self.progress.states += 1;
                    // (An upper bound until the search ends; exact then.)
                    self.progress.depth = self.progress.depth.max(depth);
                    self.check(&next, nfp, depth)
                }
            };
            if keep {
                self.push_frame(next, nfp, depth);
            }
        }
        if self.stack.is_empty() && !self.progress.done {
            self.progress.done = true;
        }
        if self.progress.done {
            // Depths only fall as shorter paths are found: the greatest is known at the
            // end. (A max over the map's values: its iteration order does not matter.)
            self.progress.depth = self.visited.values().map(|v| v.2).max().unwrap_or(0);
        }
        self.progress.clone()
    }

    /// Runs to the end (or a limit).
    pub fn run(&mut self) -> Progress {
        loop {
            let p = self.explore_some(4096);
            if p.done {
                return p;
            }
        }
    }

    /// States held to expand: the queue (breadth-first) or the current path (depth-first).
    pub fn queued(&self) -> usize {
        self.queue.len() + self.stack.len()
    }

    /// The progress so far.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Each property's name, expectation and verdict, in the model's order.
    pub fn results(&self) -> Vec<(&'static str, Expectation, Verdict)> {
        self.props
            .iter()
            .zip(&self.verdicts)
            .map(|(p, v)| (p.name, p.expectation, v.clone()))
            .collect()
    }

    /// The path from the initial state to the state with fingerprint `fp`: each action
    /// with the state it leads to, rebuilt by replaying action indices. `None` if `fp`
    /// was never visited (or a replay disagrees: a nondeterministic model).
    pub fn path_to(&self, fp: u64) -> Option<Vec<(M::Action, M::State)>> {
        let mut indices = Vec::new();
        let mut at = fp;
        loop {
            let &(parent, i, _) = self.visited.get(&at)?;
            if parent == ROOT {
                break;
            }
            indices.push(i);
            at = parent;
        }
        indices.reverse();
        let mut s = self.model.init();
        let mut path = Vec::with_capacity(indices.len());
        let mut actions = Vec::new();
        for i in indices {
            actions.clear();
            self.model.actions(&s, &mut actions);
            let a = actions.get(i as usize)?.clone();
            s = self.model.next(&s, &a)?;
            path.push((a, s.clone()));
        }
        (self.model.fingerprint(&s) == fp).then_some(path)
    }
}

/// A state on the depth-first path.
struct Frame<M: Model> {
    state: M::State,
    fp: u64,
    depth: u32,
    actions: Vec<M::Action>,
    /// The index of the next action to try.
    next: usize,
}
