//! TLA+'s TwoPhase (Lamport and Gray's two-phase commit, the spec TLC and stateright use
//! as their example) as an explorer `Model`: the explorer's calibration. TLC and
//! stateright count 288, 8,832 and 296,448 distinct states for 3, 5 and 7 resource
//! managers; this model run by `Explorer` must give exactly those numbers.
//!
//! Invariants: a faithful transcription of the spec — messages are a set (never removed,
//! never duplicated), the transaction manager (TM) records prepared RMs as a set, every
//! action is enabled exactly when its TLA+ guard holds. One RM's state is two bits; the
//! whole state is a few words (so the explorer's own speed shows, not the model's).

use super::{Expectation, Model, Property};

/// A resource manager's state.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rm {
    /// Not yet prepared.
    Working,
    /// Prepared, waiting for the TM's decision.
    Prepared,
    /// Committed.
    Committed,
    /// Aborted.
    Aborted,
}

/// The transaction manager's state.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Tm {
    /// Collecting `Prepared` messages.
    Init,
    /// Decided commit.
    Committed,
    /// Decided abort.
    Aborted,
}

/// A TwoPhase state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// Each RM's state.
    pub rm: Vec<Rm>,
    /// The TM's state.
    pub tm: Tm,
    /// RMs the TM has received `Prepared` from (bit per RM).
    pub tm_prepared: u32,
    /// `Prepared` messages sent (bit per RM).
    pub msg_prepared: u32,
    /// The `Commit` message was sent.
    pub msg_commit: bool,
    /// The `Abort` message was sent.
    pub msg_abort: bool,
}

/// A TwoPhase action (TLA+'s names).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The TM receives RM `r`'s `Prepared`.
    TmRcvPrepared(usize),
    /// The TM commits (every RM prepared).
    TmCommit,
    /// The TM aborts.
    TmAbort,
    /// RM `r` prepares.
    RmPrepare(usize),
    /// RM `r` decides to abort on its own.
    RmChooseToAbort(usize),
    /// RM `r` receives `Commit`.
    RmRcvCommitMsg(usize),
    /// RM `r` receives `Abort`.
    RmRcvAbortMsg(usize),
}

/// TwoPhase with `rms` resource managers (1 to 32).
#[derive(Clone, Debug)]
pub struct TwoPhase {
    /// How many resource managers.
    pub rms: usize,
}

impl TwoPhase {
    fn all(&self) -> u32 {
        if self.rms >= 32 {
            u32::MAX
        } else {
            (1u32 << self.rms) - 1
        }
    }
}

impl Model for TwoPhase {
    type State = State;
    type Action = Action;

    fn init(&self) -> State {
        State {
            rm: vec![Rm::Working; self.rms],
            tm: Tm::Init,
            tm_prepared: 0,
            msg_prepared: 0,
            msg_commit: false,
            msg_abort: false,
        }
    }

    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        if s.tm == Tm::Init {
            for r in 0..self.rms {
                if s.msg_prepared & (1 << r) != 0 {
                    out.push(Action::TmRcvPrepared(r));
                }
            }
            if s.tm_prepared == self.all() {
                out.push(Action::TmCommit);
            }
            out.push(Action::TmAbort);
        }
        for (r, &st) in s.rm.iter().enumerate() {
            if st == Rm::Working {
                out.push(Action::RmPrepare(r));
                out.push(Action::RmChooseToAbort(r));
            }
            if s.msg_commit {
                out.push(Action::RmRcvCommitMsg(r));
            }
            if s.msg_abort {
                out.push(Action::RmRcvAbortMsg(r));
            }
        }
    }

    fn next(&self, s: &State, a: &Action) -> Option<State> {
        let mut n = s.clone();
        match *a {
            Action::TmRcvPrepared(r) => n.tm_prepared |= 1 << r,
            Action::TmCommit => {
                n.tm = Tm::Committed;
                n.msg_commit = true;
            }
            Action::TmAbort => {
                n.tm = Tm::Aborted;
                n.msg_abort = true;
            }
            Action::RmPrepare(r) => {
                n.rm[r] = Rm::Prepared;
                n.msg_prepared |= 1 << r;
            }
            Action::RmChooseToAbort(r) => n.rm[r] = Rm::Aborted,
            Action::RmRcvCommitMsg(r) => n.rm[r] = Rm::Committed,
            Action::RmRcvAbortMsg(r) => n.rm[r] = Rm::Aborted,
        }
        Some(n)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property {
                name: "consistent",
                expectation: Expectation::Always,
                condition: |_, s| !(s.rm.contains(&Rm::Committed) && s.rm.contains(&Rm::Aborted)),
            },
            Property {
                name: "commit",
                expectation: Expectation::Sometimes,
                condition: |_, s| s.rm.iter().all(|&r| r == Rm::Committed),
            },
            Property {
                name: "abort",
                expectation: Expectation::Sometimes,
                condition: |_, s| s.rm.iter().all(|&r| r == Rm::Aborted),
            },
        ]
    }
}
