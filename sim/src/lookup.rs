//! Where one partition key lives, explained: its SHA-1, its modulo bucket and its ring
//! vnode, its owner and replicas under the placement in force, the shard's current
//! primary, and each replica's copy of the key's rows.
//!
//! Invariants: read-only (nothing here changes the simulation) and computed from the
//! world as it is now, so a placement or membership change moves the answer; the digest,
//! the `mod N` and the ring position come from `placement`'s own functions
//! (`sha1`, `Placement::shard_of_digest`, `replicas_as`), never a second copy of the
//! arithmetic; the current primary is `Sim::current_primary`'s (the one way it is
//! computed); bad input (an empty or overlong key, an unknown table) is an `Err` with a
//! message, never a panic.

use crate::config::PlacementKind;
use crate::ids::{DcId, ShardId, TableId};
use crate::placement::{digest_token, hex, ppm, sha1};
use crate::sim::Sim;
use crate::table::partition_text;
use std::fmt;

/// The longest key the lookup accepts, in bytes.
pub const LOOKUP_KEY_MAX: usize = 256;

/// Why a key cannot be looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupError {
    /// Nothing was typed.
    EmptyKey,
    /// Longer than `LOOKUP_KEY_MAX` bytes.
    TooLong(usize),
    /// No table with this index.
    UnknownTable(u16),
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::EmptyKey => write!(
                f,
                "Type a partition key (for example k7): an empty key has no place."
            ),
            LookupError::TooLong(n) => write!(
                f,
                "That key is {n} bytes long; keys up to {LOOKUP_KEY_MAX} bytes can be looked up."
            ),
            LookupError::UnknownTable(t) => write!(f, "There is no table #{t} in this run."),
        }
    }
}

/// The seed's placement of the key: `int(sha1) mod N` over the members in id order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuloPlace {
    /// N: the number of members.
    pub n: u64,
    /// `int(sha1) mod N`: the index into the member list.
    pub bucket: u64,
    /// Its replicas under modulo, owner (`members[bucket]`) first.
    pub replicas: Vec<DcId>,
}

/// The key's place on the consistent-hash ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingPlace {
    /// The top 64 bits of the SHA-1.
    pub token: u64,
    /// The token in millionths of a turn.
    pub ppm: u32,
    /// Index of the first vnode clockwise at or after the token (wrapping).
    pub vnode: u32,
    /// Virtual nodes on the ring in all.
    pub vnodes: u32,
    /// That vnode's token.
    pub vnode_token: u64,
    /// That vnode's position, in millionths of a turn.
    pub vnode_ppm: u32,
    /// Its replicas on the ring, owner (the vnode's DC) first.
    pub replicas: Vec<DcId>,
}

/// One replica's copy of the key's rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupCopy {
    /// The replica.
    pub dc: DcId,
    /// Whether it is up.
    pub up: bool,
    /// The newest version it stores of a row of this key (None: it stores none).
    pub version: Option<CopyVersion>,
}

/// The version of a stored row: the log position that wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyVersion {
    /// The term of the epoch that wrote it.
    pub term: u32,
    /// Its index in the shard's log.
    pub index: u64,
    /// A tombstone.
    pub deleted: bool,
    /// Rows of this partition key held there (more than one for a composite key).
    pub rows: usize,
}

/// Where a partition key lives now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyLookup {
    /// The table.
    pub table: TableId,
    /// The key, exactly as hashed.
    pub key: String,
    /// Its SHA-1, 40 hex digits.
    pub sha1_hex: String,
    /// The strategy in force.
    pub placement: PlacementKind,
    /// The members, in id order (`members[bucket]` is the modulo owner).
    pub members: Vec<DcId>,
    /// Its place under modulo (whichever strategy is in force).
    pub modulo: ModuloPlace,
    /// Its place on the ring (whichever strategy is in force; None if the ring is empty).
    pub ring: Option<RingPlace>,
    /// Its shard under the strategy in force.
    pub shard: ShardId,
    /// Its replicas under the strategy in force, owner first.
    pub replicas: Vec<DcId>,
    /// The shard's primary as the live DCs know it (newest epoch); may differ from the
    /// owner after a failover.
    pub primary: DcId,
    /// The primary's epoch term.
    pub term: u32,
    /// Each replica's copy, in replica order.
    pub copies: Vec<LookupCopy>,
}

impl KeyLookup {
    /// The owner under the strategy in force (its shard's first replica).
    pub fn owner(&self) -> Option<DcId> {
        self.replicas.first().copied()
    }
}

impl Sim {
    /// The table named `name`, if any.
    pub fn table_named(&self, name: &str) -> Option<TableId> {
        self.world
            .cfg
            .tables
            .iter()
            .position(|t| t.name == name)
            .map(|i| TableId(i as u16))
    }

    /// Where partition key `key` of `table` lives now (see the module invariants).
    pub fn lookup(&self, table: TableId, key: &str) -> Result<KeyLookup, LookupError> {
        if key.is_empty() {
            return Err(LookupError::EmptyKey);
        }
        if key.len() > LOOKUP_KEY_MAX {
            return Err(LookupError::TooLong(key.len()));
        }
        if table.0 as usize >= self.world.cfg.tables.len() {
            return Err(LookupError::UnknownTable(table.0));
        }
        let p = self.placement();
        let digest = sha1(key.as_bytes());
        let members = p.member_ids();
        let bucket = p.shard_of_digest(PlacementKind::Modulo, &digest);
        let modulo = ModuloPlace {
            n: members.len() as u64,
            bucket: u64::from(bucket.0),
            replicas: p.replicas_as(PlacementKind::Modulo, bucket),
        };
        let vnode = p.shard_of_digest(PlacementKind::Ring, &digest);
        let token = digest_token(&digest);
        let ring = p.ring.get(vnode.0 as usize).map(|&(vt, _)| RingPlace {
            token,
            ppm: ppm(token),
            vnode: vnode.0,
            vnodes: p.ring.len() as u32,
            vnode_token: vt,
            vnode_ppm: ppm(vt),
            replicas: p.replicas_as(PlacementKind::Ring, vnode),
        });
        let shard = p.shard_of_digest(p.kind, &digest);
        let replicas = p.replicas(shard);
        let (epoch, primary) = self.current_primary((table, shard));
        let copies = replicas
            .iter()
            .map(|&dc| {
                let node = self.world.nodes.get(&dc);
                let version = node
                    .and_then(|n| n.durable.stores.get(&(table, shard)))
                    .and_then(|st| {
                        let mine: Vec<_> = st
                            .rows
                            .iter()
                            .filter(|(pk, _)| partition_text(pk) == key)
                            .map(|(_, r)| r)
                            .collect();
                        let newest = mine.iter().max_by_key(|r| r.version.pos)?;
                        Some(CopyVersion {
                            term: newest.version.pos.epoch.term,
                            index: newest.version.pos.index,
                            deleted: newest.deleted,
                            rows: mine.len(),
                        })
                    });
                LookupCopy {
                    dc,
                    up: node.is_some_and(|n| n.is_up()),
                    version,
                }
            })
            .collect();
        Ok(KeyLookup {
            table,
            key: key.to_string(),
            sha1_hex: hex(&digest),
            placement: p.kind,
            members,
            modulo,
            ring,
            shard,
            replicas,
            primary,
            term: epoch.term,
            copies,
        })
    }
}
