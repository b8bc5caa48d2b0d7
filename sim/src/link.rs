//! Share links: a whole run — config, seed, every command with its moment, and a position
//! — as URL-safe text (docs/LINKS.md is the public, versioned description).
//!
//! Text = base64url without padding of: one version byte, then zlib (deflate + Adler-32)
//! of: the position's instant (LEB128), the position's event count plus one (LEB128, 0:
//! after every event of the instant), and the run as a compact scenario JSON (the same
//! serialization as a scenario file).
//!
//! Invariants:
//! - `decode` takes untrusted text and never panics: every failure is a `LinkError`
//!   naming what is wrong (characters, version, damage, or the scenario rule broken).
//! - Sizes are bounded before work: the text by `MAX_LINK_CHARS`, the inflated payload
//!   by the scenario file limit, and the scenario is checked by `parse_scenario`, so a
//!   link accepts exactly what a scenario file would.
//! - The version byte comes first and outside the compression, so a future format (even
//!   a differently compressed one) is recognised and refused by name.

use crate::scenario::{
    parse_scenario, Scenario, ScheduledCommand, MAX_SCENARIO_BYTES, MAX_SCENARIO_MS,
};
use crate::SimTime;
use std::fmt;

/// The newest format this build reads and writes: format 1 plus a scenario that may
/// carry seeded bugs (`Scenario::bugs`).
pub const LINK_VERSION: u8 = 2;
/// The format written for a run without seeded bugs (the same bytes as before format 2
/// existed), so a page that predates format 2 still opens it.
pub const LINK_VERSION_PLAIN: u8 = 1;
/// The longest link text accepted (a link holds at most a compressed scenario file).
pub const MAX_LINK_CHARS: usize = 400_000;

/// A moment in a run: an instant and, optionally, how many events had run by then (the
/// count orders a moment among the events of one instant; `None`: after all of them).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Moment {
    /// The instant.
    pub at: SimTime,
    /// Events processed by then (`None`: every event of the instant).
    pub events: Option<u64>,
}

impl Moment {
    /// After every event of instant `at`.
    pub fn at(at: SimTime) -> Moment {
        Moment { at, events: None }
    }

    /// Whether a command logged at `c` is applied by the time a run reaches this moment.
    pub(crate) fn covers(self, c: &ScheduledCommand) -> bool {
        c.at < self.at
            || (c.at == self.at
                && match (self.events, c.after_events) {
                    (None, _) => true,
                    (Some(n), Some(m)) => m <= n,
                    (Some(_), None) => false,
                })
    }
}

/// A run and where to stand in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunLink {
    /// Config, seed and every command with its moment; `until` is the run's end.
    pub scenario: Scenario,
    /// The position to open at.
    pub at: Moment,
}

/// Why a link could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// Nothing after the `#run=` (or an empty text).
    Empty,
    /// Longer than `MAX_LINK_CHARS`.
    TooLong(usize),
    /// A character outside base64url, at this (0-based) position.
    BadChar(usize),
    /// Written by a newer format than this build reads.
    FutureVersion(u8),
    /// Version 0: never written by anyone.
    UnknownVersion(u8),
    /// The compressed run is damaged or cut short.
    Damaged,
    /// The position or its header is malformed.
    BadPosition,
    /// The run inside is not a valid scenario (the text says which rule it breaks).
    Invalid(String),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Empty => write!(f, "The link holds no run."),
            LinkError::TooLong(n) => write!(
                f,
                "The link is {n} characters long; the limit is {MAX_LINK_CHARS}."
            ),
            LinkError::BadChar(i) => write!(
                f,
                "The link has a character that cannot be in it at position {i} (was it cut or changed when copied?)."
            ),
            LinkError::FutureVersion(v) => write!(
                f,
                "The link was made by a newer version of the playground (link format {v}); this page reads format {LINK_VERSION} and older."
            ),
            LinkError::UnknownVersion(v) => write!(f, "The link has an unknown format ({v})."),
            LinkError::Damaged => write!(
                f,
                "The link is damaged or cut short (its compressed run does not check out)."
            ),
            LinkError::BadPosition => write!(f, "The link's position in the run is malformed."),
            LinkError::Invalid(why) => write!(f, "The link's run is not valid: {why}"),
        }
    }
}

impl std::error::Error for LinkError {}

/// The link text for a run at a position.
pub fn encode(link: &RunLink) -> String {
    let mut raw = Vec::new();
    put_varint(&mut raw, link.at.at.0);
    put_varint(&mut raw, link.at.events.map_or(0, |n| n.saturating_add(1)));
    // Serializing plain data cannot fail; an empty run would be refused on reading.
    raw.extend_from_slice(
        serde_json::to_string(&link.scenario)
            .unwrap_or_default()
            .as_bytes(),
    );
    // A run with seeded bugs is format 2: a page that reads only format 1 would ignore
    // the field and silently run the correct protocol; it refuses format 2 by name.
    let version = if link.scenario.bugs.is_some() {
        LINK_VERSION
    } else {
        LINK_VERSION_PLAIN
    };
    let mut bytes = vec![version];
    bytes.extend(miniz_oxide::deflate::compress_to_vec_zlib(&raw, 9));
    base64url(&bytes)
}

/// Reads a link text (the part after `#run=`; a leading `#run=` or `run=` is skipped).
pub fn decode(text: &str) -> Result<RunLink, LinkError> {
    let text = text.trim();
    let text = text.strip_prefix('#').unwrap_or(text);
    let text = text.strip_prefix("run=").unwrap_or(text);
    if text.is_empty() {
        return Err(LinkError::Empty);
    }
    if text.len() > MAX_LINK_CHARS {
        return Err(LinkError::TooLong(text.len()));
    }
    let bytes = unbase64url(text)?;
    let (&version, packed) = bytes.split_first().ok_or(LinkError::Damaged)?;
    match version {
        LINK_VERSION_PLAIN | LINK_VERSION => {}
        0 => return Err(LinkError::UnknownVersion(0)),
        v if v > LINK_VERSION => return Err(LinkError::FutureVersion(v)),
        v => return Err(LinkError::UnknownVersion(v)),
    }
    // Room for the position header on top of the largest scenario file.
    let raw =
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(packed, MAX_SCENARIO_BYTES + 32)
            .map_err(|_| LinkError::Damaged)?;
    let mut rest = raw.as_slice();
    let at = get_varint(&mut rest).ok_or(LinkError::BadPosition)?;
    let events = get_varint(&mut rest).ok_or(LinkError::BadPosition)?;
    if at > MAX_SCENARIO_MS {
        return Err(LinkError::BadPosition);
    }
    let json = std::str::from_utf8(rest).map_err(|_| LinkError::Damaged)?;
    let scenario = parse_scenario(json).map_err(|e| LinkError::Invalid(e.0))?;
    if version == LINK_VERSION_PLAIN && scenario.bugs.is_some() {
        return Err(LinkError::Invalid(
            "a format-1 link cannot carry seeded bugs (format 2 does)".into(),
        ));
    }
    Ok(RunLink {
        scenario,
        at: Moment {
            at: SimTime(at),
            events: events.checked_sub(1),
        },
    })
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn get_varint(input: &mut &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = input.split_first()?;
        *input = rest;
        v |= u64::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// RFC 4648 §5 (URL- and filename-safe), without padding.
pub fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// The inverse of `base64url`; also takes `=` padding at the end.
pub fn unbase64url(text: &str) -> Result<Vec<u8>, LinkError> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for (i, c) in text.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return Err(LinkError::BadChar(i)),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // One leftover character (6 bits) cannot end a base64 text: it was cut.
    if bits >= 6 {
        return Err(LinkError::Damaged);
    }
    Ok(out)
}
