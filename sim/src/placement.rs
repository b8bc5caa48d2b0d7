//! Placement of rows on DCs by the SHA-1 of the partition key.
//!
//! Invariants: placement is a pure function of (strategy, member list, replication factor,
//! key); a shard's replica list holds `min(R, members)` distinct DCs, the owner first;
//! `Modulo` is exactly the seed's `int(sha1(key), 16) % N` over the member list in id order.
//! The digest, its `mod N` and its ring token are computed here only (`sha1`,
//! `digest_mod`, `digest_token`); everything that explains a key's place (the lookup, the
//! move report) calls these, never a second copy of the arithmetic.
//!
//! Speed: a placement is immutable once built (a layout change builds a new one), so it
//! keeps each shard's replica list (`replicas_of`) and, per partition key, the shard the
//! simulation routed it to (`shard_of_cached`): the cache is per placement value, i.e. per
//! (placement version, key), and only ever looked up, never iterated, so it cannot change
//! a run. `shard_of` itself always computes (the placement benchmark measures it).

use super::config::PlacementKind;
use super::ids::{DcId, ShardId};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The SHA-1 digest of `data`.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(data);
    h.finalize().into()
}

/// `int(sha1(key).hexdigest(), 16) % n`, computed exactly over all 160 bits.
pub fn sha1_mod(key: &str, n: u64) -> u64 {
    digest_mod(&sha1(key.as_bytes()), n)
}

/// `int(digest) % n` for a 160-bit digest read big-endian, exactly (n = 0 is read as 1).
/// Three long-division steps of 64 bits; `Modulus` gives the same answer without a
/// division when `n` is fixed (a placement's member count).
pub fn digest_mod(digest: &[u8; 20], n: u64) -> u64 {
    debug_assert!(n > 0);
    let n = u128::from(n.max(1));
    let (hi, mid, lo) = digest_limbs(digest);
    // r < n <= 2^64, so (r << 64) | limb never overflows.
    let r = u128::from(hi) % n;
    let r = ((r << 64) | u128::from(mid)) % n;
    (((r << 64) | u128::from(lo)) % n) as u64
}

/// A digest as big-endian limbs of 32, 64 and 64 bits.
fn digest_limbs(d: &[u8; 20]) -> (u32, u64, u64) {
    let mut hi = [0u8; 4];
    let mut mid = [0u8; 8];
    let mut lo = [0u8; 8];
    hi.copy_from_slice(&d[0..4]);
    mid.copy_from_slice(&d[4..12]);
    lo.copy_from_slice(&d[12..20]);
    (
        u32::from_be_bytes(hi),
        u64::from_be_bytes(mid),
        u64::from_be_bytes(lo),
    )
}

/// `int(digest) % n` for one fixed `n`, with every division done once, in `new`.
///
/// Why: the seed's modulo placement is computed for every request, and the exact 160-bit
/// remainder one byte at a time cost more than SHA-1 itself. Here the digest is cut into
/// ten 16-bit limbs `l_j`; `int(digest) ≡ Σ l_j · (2^(16j) mod n)` (mod n), a sum below
/// 2^52 for `n < 2^32`, reduced by Lemire's division-free remainder ("Faster remainder
/// by direct computation", 2019: `M = ⌊(2^128 − 1) / n⌋ + 1`, exact for 64-bit numerators).
/// Larger `n` (never a member count) fall back to `digest_mod`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Modulus {
    n: u64,
    /// Lemire's constant; unused for n ≤ 1 or n ≥ 2^32.
    m: u128,
    /// `2^(16j) mod n` for limb j, counted from the least significant.
    pow: [u64; 10],
}

impl Modulus {
    /// Remainders by `n` (0 is read as 1, like `digest_mod`).
    pub fn new(n: u64) -> Modulus {
        let n = n.max(1);
        let mut pow = [0u64; 10];
        let m = if n > 1 && n <= u64::from(u32::MAX) {
            let mut p = 1 % n;
            for slot in pow.iter_mut() {
                *slot = p;
                p = (p << 16) % n;
            }
            u128::MAX / u128::from(n) + 1
        } else {
            0
        };
        Modulus { n, m, pow }
    }

    /// The divisor.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// `int(digest) % n`, equal to `digest_mod(digest, n)`.
    pub fn reduce(&self, digest: &[u8; 20]) -> u64 {
        if self.n == 1 {
            return 0;
        }
        if self.m == 0 {
            return digest_mod(digest, self.n);
        }
        // Limb j holds digest bytes 18−2j and 19−2j (big-endian): 16 bits each, so every
        // product is below 2^48 and the ten of them sum below 2^52.
        let mut sum = 0u64;
        for (j, p) in self.pow.iter().enumerate() {
            let limb = u64::from(u16::from_be_bytes([digest[18 - 2 * j], digest[19 - 2 * j]]));
            sum += limb * p;
        }
        // Lemire: the low 128 bits of M·a, times n, shifted down 128 bits.
        let low = self.m.wrapping_mul(u128::from(sum));
        let n = u128::from(self.n);
        let bottom = ((low & u128::from(u64::MAX)) * n) >> 64;
        let top = (low >> 64) * n;
        ((bottom + top) >> 64) as u64
    }
}

/// The top 64 bits of SHA-1: a position on the ring.
pub fn token(data: &str) -> u64 {
    digest_token(&sha1(data.as_bytes()))
}

/// The top 64 bits of a digest: its position on the ring.
pub fn digest_token(h: &[u8; 20]) -> u64 {
    u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]])
}

/// A ring position (token) in millionths of a turn.
pub fn ppm(t: u64) -> u32 {
    (((t >> 32) * 1_000_000) >> 32) as u32
}

/// A digest as 40 lowercase hex digits (as Python's `hexdigest()`).
pub fn hex(digest: &[u8; 20]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A member of the placement: a DC and the name its virtual nodes are hashed from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Its id.
    pub id: DcId,
    /// Its name (the ring's virtual nodes hash it).
    pub name: String,
}

/// Where each partition key lives: its shard, and the shard's replicas (owner first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Modulo or ring.
    pub kind: PlacementKind,
    /// Sorted by id.
    pub members: Vec<Member>,
    /// Copies of each shard (owner included), at most the member count.
    pub replication_factor: u8,
    /// Virtual nodes per member on the ring.
    pub vnodes: u32,
    /// Ring positions `(token, dc)`, sorted by token. Built for both strategies so the UI
    /// can draw the ring whichever strategy is active.
    pub ring: Vec<(u64, DcId)>,
    /// `% members.len()`, prepared once (a pure function of the member count).
    modulus: Modulus,
    /// Each shard's replicas under `kind`, owner first (index: the shard id).
    replica_table: Vec<Vec<DcId>>,
    /// Partition keys already placed.
    cache: ShardCache,
    /// The members' ids, in id order (`ids`: read per client arrival, so kept, not built).
    ids: Vec<DcId>,
}

/// Keys a placement caches before it starts over (bounds memory with user-typed keys).
const SHARD_CACHE_CAP: usize = 1 << 16;

/// FNV-1a: a fixed, fast hash for short keys (lookups only; nothing iterates the map).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The shard of each partition key placed so far. Not part of a placement's value: equal
/// placements are equal whatever they cached, a clone starts empty.
#[derive(Default)]
struct ShardCache {
    shards: RefCell<HashMap<Box<str>, ShardId, BuildHasherDefault<Fnv>>>,
    /// SHA-1 digests of whole-key texts (hash read routing, `sha1_cached`).
    digests: RefCell<HashMap<Box<str>, [u8; 20], BuildHasherDefault<Fnv>>>,
}

impl Clone for ShardCache {
    fn clone(&self) -> Self {
        ShardCache::default()
    }
}

impl PartialEq for ShardCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ShardCache {}

impl std::fmt::Debug for ShardCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShardCache({} keys)", self.shards.borrow().len())
    }
}

impl Placement {
    /// A placement of `kind` over `members` with `r` replicas.
    pub fn new(kind: PlacementKind, mut members: Vec<Member>, r: u8, vnodes: u32) -> Placement {
        crate::sort::sort_by_key(&mut members, |m| m.id);
        let mut ring: Vec<(u64, DcId)> = members
            .iter()
            .flat_map(|m| (0..vnodes).map(move |v| (token(&format!("{}#{v}", m.name)), m.id)))
            .collect();
        crate::sort::sort(&mut ring);
        let modulus = Modulus::new(members.len() as u64);
        let mut p = Placement {
            kind,
            modulus,
            members,
            replication_factor: r,
            vnodes,
            ring,
            replica_table: Vec::new(),
            cache: ShardCache::default(),
            ids: Vec::new(),
        };
        p.ids = p.members.iter().map(|m| m.id).collect();
        p.replica_table = (0..p.shard_count())
            .map(|s| p.replicas_as(kind, ShardId(s)))
            .collect();
        p
    }

    /// The members' ids, in id order.
    pub fn member_ids(&self) -> Vec<DcId> {
        self.ids.clone()
    }

    /// The same, borrowed.
    pub fn ids(&self) -> &[DcId] {
        &self.ids
    }

    /// How many shards there are (members under modulo, virtual nodes on the ring).
    pub fn shard_count(&self) -> u32 {
        match self.kind {
            PlacementKind::Modulo => self.members.len() as u32,
            PlacementKind::Ring => self.ring.len() as u32,
        }
    }

    /// The shard a partition key (its hash text) belongs to.
    pub fn shard_of(&self, partition_key: &str) -> ShardId {
        self.shard_of_digest(self.kind, &sha1(partition_key.as_bytes()))
    }

    /// `shard_of`, remembered per key for the life of this placement (the simulation
    /// routes every request with it; the same keys recur).
    pub fn shard_of_cached(&self, partition_key: &str) -> ShardId {
        if let Some(&s) = self.cache.shards.borrow().get(partition_key) {
            return s;
        }
        let s = self.shard_of(partition_key);
        let mut c = self.cache.shards.borrow_mut();
        if c.len() >= SHARD_CACHE_CAP {
            c.clear();
        }
        c.insert(partition_key.into(), s);
        s
    }

    /// The shard a key with SHA-1 `digest` would belong to under `kind` over these
    /// members: its modulo bucket `int(digest) % N`, or the index of its ring vnode.
    pub fn shard_of_digest(&self, kind: PlacementKind, digest: &[u8; 20]) -> ShardId {
        match kind {
            PlacementKind::Modulo => ShardId(self.modulus.reduce(digest) as u32),
            PlacementKind::Ring => ShardId(self.ring_index(digest_token(digest)) as u32),
        }
    }

    /// Index of the first virtual node at or after `t`, wrapping.
    fn ring_index(&self, t: u64) -> usize {
        let i = self.ring.partition_point(|&(tok, _)| tok < t);
        if i == self.ring.len() {
            0
        } else {
            i
        }
    }

    /// `sha1(text)`, remembered per text like `shard_of_cached` (hash read routing hashes
    /// the whole primary key of every read).
    pub fn sha1_cached(&self, text: &str) -> [u8; 20] {
        if let Some(d) = self.cache.digests.borrow().get(text) {
            return *d;
        }
        let d = sha1(text.as_bytes());
        let mut c = self.cache.digests.borrow_mut();
        if c.len() >= SHARD_CACHE_CAP {
            c.clear();
        }
        c.insert(text.into(), d);
        d
    }

    /// The shard's replicas, owner first.
    pub fn replicas(&self, shard: ShardId) -> Vec<DcId> {
        self.replicas_of(shard).to_vec()
    }

    /// The same, borrowed from the table built with the placement. `replicas_as` reads
    /// the shard id modulo the shard count, so an id from an older layout gets the same
    /// answer here.
    pub fn replicas_of(&self, shard: ShardId) -> &[DcId] {
        match self.replica_table.len() {
            0 => &[],
            n => &self.replica_table[shard.0 as usize % n],
        }
    }

    /// The replicas, owner first, of shard `shard` of `kind` over these members (a
    /// modulo bucket or a ring vnode index), whichever strategy is active.
    pub fn replicas_as(&self, kind: PlacementKind, shard: ShardId) -> Vec<DcId> {
        let want = (self.replication_factor as usize).min(self.members.len());
        let mut out = Vec::with_capacity(want);
        match kind {
            PlacementKind::Modulo => {
                let n = self.members.len();
                for k in 0..n {
                    if out.len() == want {
                        break;
                    }
                    out.push(self.members[(shard.0 as usize + k) % n].id);
                }
            }
            PlacementKind::Ring => {
                let n = self.ring.len();
                for k in 0..n {
                    if out.len() == want {
                        break;
                    }
                    let dc = self.ring[(shard.0 as usize + k) % n].1;
                    if !out.contains(&dc) {
                        out.push(dc);
                    }
                }
            }
        }
        out
    }

    /// The DC that owns a partition key initially (its shard's first replica).
    pub fn owner_of(&self, partition_key: &str) -> DcId {
        self.replicas(self.shard_of(partition_key))[0]
    }

    /// The same placement over a different member list.
    pub fn with_members(&self, members: Vec<Member>) -> Placement {
        let r = self.replication_factor.min(members.len() as u8).max(1);
        Placement::new(self.kind, members, r, self.vnodes)
    }

    /// The same members under another strategy.
    pub fn with_kind(&self, kind: PlacementKind) -> Placement {
        Placement::new(
            kind,
            self.members.clone(),
            self.replication_factor,
            self.vnodes,
        )
    }
}

/// How many of a key set change owner in one membership or placement change: what the
/// change really did, and what a change of the member list alone would do under each
/// strategy. Every count is over the same `keys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveReport {
    /// Keys examined.
    pub keys: u64,
    /// Of those, how many change owner under modulo: `Modulo` over the members before
    /// vs `Modulo` over the members after (0 when the member list is unchanged).
    pub modulo_moved: u64,
    /// Of those, how many change owner on the ring: the ring over the members (and
    /// vnodes) before vs after (0 when neither changed).
    pub ring_moved: u64,
    /// Of those, how many changed owner in this change: the placement before (its
    /// strategy and members) vs the placement after. For a strategy switch this is
    /// the move, while `modulo_moved` and `ring_moved` are 0.
    pub moved: u64,
    /// The strategy before.
    pub from_kind: PlacementKind,
    /// The strategy after.
    pub to_kind: PlacementKind,
    /// Members before.
    pub from_members: usize,
    /// Members after.
    pub to_members: usize,
}

/// How many of `keys` change owner going from placement `before` to `after`: really
/// (`moved`), and under each strategy with the same member lists (and vnode counts).
pub fn move_report<'a>(
    before: &Placement,
    after: &Placement,
    keys: impl Iterator<Item = &'a str>,
) -> MoveReport {
    let mut rep = MoveReport {
        keys: 0,
        modulo_moved: 0,
        ring_moved: 0,
        moved: 0,
        from_kind: before.kind,
        to_kind: after.kind,
        from_members: before.members.len(),
        to_members: after.members.len(),
    };
    let owner = |p: &Placement, kind: PlacementKind, d: &[u8; 20]| {
        p.replicas_as(kind, p.shard_of_digest(kind, d))
            .first()
            .copied()
    };
    for k in keys {
        let d = sha1(k.as_bytes());
        rep.keys += 1;
        let (m, r) = (PlacementKind::Modulo, PlacementKind::Ring);
        if owner(before, m, &d) != owner(after, m, &d) {
            rep.modulo_moved += 1;
        }
        if owner(before, r, &d) != owner(after, r, &d) {
            rep.ring_moved += 1;
        }
        if owner(before, before.kind, &d) != owner(after, after.kind, &d) {
            rep.moved += 1;
        }
    }
    rep
}
