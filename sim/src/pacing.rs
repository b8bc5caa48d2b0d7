//! Pacing: how much simulated time a front end's tick may run, from the speed a person
//! chose and the wall time that passed.
//!
//! Invariants:
//! - No clock is read here: wall time arrives as an argument (as quinn-proto's
//!   `handle_timeout(now)`), so pacing is tested natively with made-up durations.
//! - Paused, nothing is owed; pausing drops any fraction of a millisecond still owed, so
//!   Play resumes from a clean slate and Step stays exact.
//! - The speed slider is a position `0..=SPEED_MAX` mapped log-linearly onto
//!   `MIN_SPEED..=MIN_SPEED·1000` (position 434 ≈ 1×); the page's `speed` input uses it.
//! - Floating point only paces the run; it never decides what the simulation does (the
//!   instants commands are applied at are recorded, so a replay is exact).
//! - `FrameBudget` only bounds how much wall time a tick spends simulating (within
//!   `MIN_TICK_BUDGET_MS..=TICK_BUDGET_MS`); what it cannot run is dropped and shown as the
//!   speed reached (`Pacing::achieved`), as with any budget.

/// Highest speed slider position.
pub const SPEED_MAX: u32 = 1000;
/// Speed at position 0: simulated ms per wall ms.
pub const MIN_SPEED: f64 = 0.05;
/// Longest wall-time step taken in one tick (a throttled background tab resumes gently).
pub const MAX_WALL_DT_MS: f64 = 250.0;
/// Wall time one tick may spend simulating; past it the run falls behind the requested
/// speed (and says so) rather than freezing the page. The page simulates every other
/// animation frame (16.7 ms at 60 Hz) and draws in the frames between: a simulating
/// frame still holds the browser's own frame work, and its tick stops within a slice.
pub const TICK_BUDGET_MS: f64 = 11.0;
/// The least a `FrameBudget` lets a tick simulate, however late the frames come.
pub const MIN_TICK_BUDGET_MS: f64 = 5.0;
/// One frame at 60 Hz.
pub const FRAME_MS: f64 = 1000.0 / 60.0;

/// Speed factor (simulated ms per wall ms) of slider position `pos`.
pub fn speed_of(pos: u32) -> f64 {
    MIN_SPEED * 1000f64.powf(pos.min(SPEED_MAX) as f64 / SPEED_MAX as f64)
}

/// Slider position nearest to `speed` (1× ≈ 434).
pub fn pos_of_speed(speed: f64) -> u32 {
    ((speed / MIN_SPEED).ln() / 1000f64.ln() * SPEED_MAX as f64)
        .round()
        .clamp(0.0, SPEED_MAX as f64) as u32
}

/// Running or paused, the chosen speed, the simulated time still owed and the speed
/// actually reached.
#[derive(Clone, Debug, PartialEq)]
pub struct Pacing {
    pos: u32,
    running: bool,
    /// Sub-millisecond remainder of simulated time still owed.
    carry: f64,
    /// Speed reached (smoothed) while the run cannot keep up with the chosen one.
    achieved: Option<f64>,
}

impl Pacing {
    /// At 1×, running or paused.
    pub fn new(running: bool) -> Pacing {
        Pacing {
            pos: pos_of_speed(1.0),
            running,
            carry: 0.0,
            achieved: None,
        }
    }

    /// Whether ticks advance the run.
    pub fn running(&self) -> bool {
        self.running
    }

    /// Ticks advance the run again.
    pub fn play(&mut self) {
        self.running = true;
    }

    /// Ticks stop advancing the run; nothing stays owed.
    pub fn pause(&mut self) {
        self.running = false;
        self.carry = 0.0;
    }

    /// Drops the fraction of a millisecond still owed (a new run starts clean).
    pub(crate) fn forget_owed(&mut self) {
        self.carry = 0.0;
    }

    /// The slider position.
    pub fn pos(&self) -> u32 {
        self.pos
    }

    /// Sets the slider position (clamped to `0..=SPEED_MAX`).
    pub fn set_pos(&mut self, pos: u32) {
        self.pos = pos.min(SPEED_MAX);
    }

    /// Moves the slider by `by` positions (clamped), as the `+` / `-` keys do.
    pub fn nudge(&mut self, by: i32) {
        self.pos = (self.pos as i64 + by as i64).clamp(0, SPEED_MAX as i64) as u32;
    }

    /// The chosen speed: simulated ms per wall ms.
    pub fn speed(&self) -> f64 {
        speed_of(self.pos)
    }

    /// The speed reached, while the run cannot keep up with the chosen one.
    pub fn achieved(&self) -> Option<f64> {
        self.achieved
    }

    /// Whole simulated milliseconds owed after `wall_dt_ms` of wall time (clamped to
    /// `0..=MAX_WALL_DT_MS`); the fraction is kept for the next tick. 0 while paused.
    pub fn owe(&mut self, wall_dt_ms: f64) -> u64 {
        if !self.running {
            return 0;
        }
        self.carry += clamp_dt(wall_dt_ms) * self.speed();
        let whole = self.carry.floor();
        if whole < 1.0 {
            return 0;
        }
        self.carry -= whole;
        whole as u64
    }

    /// Records how far a tick got: `sim_ms` of simulated time in `wall_dt_ms` of wall time,
    /// and whether it stopped early because its wall budget ran out (what it could not
    /// run is then dropped, not owed).
    pub fn note_rate(&mut self, sim_ms: u64, wall_dt_ms: f64, behind: bool) {
        if behind {
            self.carry = 0.0;
        }
        let rate = sim_ms as f64 / clamp_dt(wall_dt_ms).max(1.0);
        self.achieved = match (behind, self.achieved) {
            (true, Some(a)) => Some(0.8 * a + 0.2 * rate),
            (true, None) => Some(rate),
            // Caught up again once the rate is within 10% of the chosen speed.
            (false, Some(a)) if rate < 0.9 * self.speed() => Some(0.8 * a + 0.2 * rate),
            (false, _) => None,
        };
    }
}

fn clamp_dt(wall_dt_ms: f64) -> f64 {
    // Written out rather than `clamp`: a NaN (or a clock going back) owes nothing.
    if wall_dt_ms > 0.0 {
        wall_dt_ms.min(MAX_WALL_DT_MS)
    } else {
        0.0
    }
}

/// The rule both pacers (`FrameBudget`, `PanelPace`) follow: after a late frame (more
/// than one and a half frames long) `ms × late`, after one on time `ms + on_time`, within
/// `lo..=hi`. A NaN or a clock going back says nothing.
fn refit(ms: f64, frame_ms: f64, late: f64, on_time: f64, lo: f64, hi: f64) -> f64 {
    if !(frame_ms > 0.0) {
        return ms;
    }
    if frame_ms > 1.5 * FRAME_MS {
        ms * late
    } else {
        ms + on_time
    }
    .clamp(lo, hi)
}

/// The wall time a page's tick may spend simulating, fitted to the frames the page gets:
/// a late frame (the tick came more than one and a half frames after the last) takes a
/// third off, a frame on time gives half a millisecond back, within
/// `MIN_TICK_BUDGET_MS..=TICK_BUDGET_MS`. So on a loaded machine the simulation yields
/// to the frames (the run falls behind and says so) instead of the page stuttering.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameBudget {
    ms: f64,
}

impl Default for FrameBudget {
    fn default() -> Self {
        FrameBudget::new()
    }
}

impl FrameBudget {
    /// The whole budget, `TICK_BUDGET_MS`.
    pub fn new() -> FrameBudget {
        FrameBudget { ms: TICK_BUDGET_MS }
    }

    /// Wall ms the next tick may spend simulating.
    pub fn ms(&self) -> f64 {
        self.ms
    }

    /// Notes the wall time since the last tick (a frame's, when frames come on time).
    pub fn note_frame(&mut self, frame_ms: f64) {
        self.ms = refit(
            self.ms,
            frame_ms,
            2.0 / 3.0,
            0.5,
            MIN_TICK_BUDGET_MS,
            TICK_BUDGET_MS,
        );
    }
}

/// While the run plays, the page redraws its panels (a snapshot: the DC table, lists,
/// plots) at most every `PANEL_MIN_MS`.
pub const PANEL_MIN_MS: f64 = 250.0;
/// ... and at least every `PANEL_MAX_MS`.
pub const PANEL_MAX_MS: f64 = 1000.0;

/// How often the page redraws its panels while the run plays, fitted to what a redraw
/// costs: one that made its frame late (the next frame came more than one and a half
/// frames after) stretches the interval by half, one on time takes 25 ms back, within
/// `PANEL_MIN_MS..=PANEL_MAX_MS`. A busy world's panel frames (a whole transaction list
/// rebuilt at 10×) then stay a few per cent of the frames, and the map keeps its frame
/// rate; a light world's panels redraw four times a second.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelPace {
    ms: f64,
}

impl Default for PanelPace {
    fn default() -> Self {
        PanelPace::new()
    }
}

impl PanelPace {
    /// Every `PANEL_MIN_MS`.
    pub fn new() -> PanelPace {
        PanelPace { ms: PANEL_MIN_MS }
    }

    /// Wall ms between two redraws of the panels while the run plays.
    pub fn ms(&self) -> f64 {
        self.ms
    }

    /// Notes the wall time from a frame that redrew the panels to the next frame.
    pub fn note_frame(&mut self, frame_ms: f64) {
        self.ms = refit(self.ms, frame_ms, 1.5, -25.0, PANEL_MIN_MS, PANEL_MAX_MS);
    }
}
