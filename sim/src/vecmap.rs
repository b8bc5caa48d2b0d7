//! `VecMap` / `VecSet`: a map and a set as one vector sorted by key, for the core's
//! small maps (per DC, per shard of one node, per transaction in flight). Two variants
//! for a node's hottest maps: `DenseMap` (`ShardMap`), a `VecMap` plus a direct index
//! from a shard to its entry (a node's copies, metadata, primary roles, fences: looked up
//! per message), and `DequeMap`, the sorted entries in a `VecDeque` (a frontend's
//! requests in flight: ids arrive in order and leave about oldest first).
//! Public (read-only: `get`, iteration) where a public type holds one: `TxnTrace`'s per-DC
//! participant states, locks and shards.
//!
//! Why: every distinct `BTreeMap<K, V>` brings its own copy of the B-tree's insert,
//! remove, merge, steal, clone and drop into the page's wasm (about 270 K of it once),
//! where a sorted vector needs a binary search and a `Vec` insert / remove; for a few
//! dozen entries it is also faster (one compare of a packed `u64` per step, no tree walk).
//!
//! Invariants: entries are strictly increasing by key (`Packed` keeps the keys' order),
//! so iteration is in key order exactly as the `BTreeMap` / `BTreeSet` each replaces;
//! hashed (the length, then each entry in key order), compared, debug-printed and
//! (de)serialized as those too, so fingerprints, traces, messages and files do not change
//! (the variants as well: a `DenseMap`'s index is derived from its keys, never seen).
//! Inserting or removing moves the entries after it (a `DequeMap`'s shorter side): meant
//! for maps of at most a few hundred entries.

use crate::ids::{DcId, ReqId, ShardId, TableId, TxnId};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// A shard of a table (`vocab::ShardKey`, spelled out: `vocab` imports `table`, which
/// uses this module).
type ShardKey = (TableId, ShardId);
use std::hash::{Hash, Hasher};

/// A packed key: ordered, and with a distance between two of them.
pub trait Offset: Ord + Copy {
    /// `hi - self` if `hi >= self` and it fits a `usize`.
    fn gap(self, hi: Self) -> Option<usize>;
}

impl Offset for u64 {
    fn gap(self, hi: u64) -> Option<usize> {
        usize::try_from(hi.checked_sub(self)?).ok()
    }
}

impl Offset for u128 {
    fn gap(self, hi: u128) -> Option<usize> {
        usize::try_from(hi.checked_sub(self)?).ok()
    }
}

/// A key of a `VecMap`: its order as one integer, so a search step is one compare.
pub trait Packed {
    /// `u64`, or `u128` for keys wider than 64 bits.
    type P: Offset;
    /// Ordered as the key: `a.packed() < b.packed()` exactly when `a < b`.
    fn packed(&self) -> Self::P;
}

impl Packed for DcId {
    type P = u64;
    fn packed(&self) -> u64 {
        u64::from(self.0)
    }
}

impl Packed for TxnId {
    type P = u64;
    fn packed(&self) -> u64 {
        self.0
    }
}

impl Packed for ReqId {
    type P = u64;
    fn packed(&self) -> u64 {
        self.0
    }
}

impl Packed for u64 {
    type P = u64;
    fn packed(&self) -> u64 {
        *self
    }
}

impl Packed for ShardKey {
    type P = u64;
    fn packed(&self) -> u64 {
        (u64::from(self.0 .0) << 32) | u64::from(self.1 .0)
    }
}

/// Table (16 bits), shard (32 bits), DC (16 bits): 64 bits in their order.
impl Packed for (ShardKey, DcId) {
    type P = u64;
    fn packed(&self) -> u64 {
        (self.0.packed() << 16) | u64::from(self.1 .0)
    }
}

/// Shard (48 bits), transaction (64 bits).
impl Packed for (ShardKey, TxnId) {
    type P = u128;
    fn packed(&self) -> u128 {
        (u128::from(self.0.packed()) << 64) | u128::from(self.1 .0)
    }
}

/// Transaction (64 bits), shard (48 bits).
impl Packed for (TxnId, ShardKey) {
    type P = u128;
    fn packed(&self) -> u128 {
        (u128::from(self.0 .0) << 48) | u128::from(self.1.packed())
    }
}

/// A map as a vector of `(key, value)` sorted by key.
#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap(Vec::new())
    }
}

impl<K, V> VecMap<K, V> {
    pub(crate) fn new() -> Self {
        VecMap(Vec::new())
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// How many keys have a value.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no key has a value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + Clone {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub(crate) fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&K, &mut V)> {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + Clone {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + Clone {
        self.0.iter().map(|(_, v)| v)
    }

    pub(crate) fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> {
        self.0.iter_mut().map(|(_, v)| v)
    }

    /// Keeps the entries `keep` is true of (visited in key order).
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }

    /// Removes and returns the entry with the least key.
    pub(crate) fn pop_first(&mut self) -> Option<(K, V)> {
        (!self.0.is_empty()).then(|| self.0.remove(0))
    }

    pub(crate) fn last_key_value(&self) -> Option<(&K, &V)> {
        self.0.last().map(|(k, v)| (k, v))
    }
}

impl<K: Packed, V> VecMap<K, V> {
    fn find(&self, key: &K) -> Result<usize, usize> {
        let want = key.packed();
        let s = &self.0;
        // Dense keys (DC ids, every shard of a table) sit at their distance from the first
        // key, or from the last: one compare each before the search (the maps of all DCs
        // and all shards are searched per message). Keys strictly increase, so a match
        // there is the key's only place.
        if let (Some(first), Some(last)) = (s.first(), s.last()) {
            if let Some(i) = first.0.packed().gap(want) {
                if s.get(i).is_some_and(|(k, _)| k.packed() == want) {
                    return Ok(i);
                }
            }
            if let Some(j) = want.gap(last.0.packed()) {
                if let Some(i) = (s.len() - 1).checked_sub(j) {
                    if s[i].0.packed() == want {
                        return Ok(i);
                    }
                }
            }
        }
        s.binary_search_by(|(k, _)| k.packed().cmp(&want))
    }

    /// The value under `key`, if any.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.find(key).ok().map(|i| &mut self.0[i].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key`'s value; returns the one it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// As `BTreeMap::entry`, for `or_insert` / `or_insert_with` / `or_default`.
    pub(crate) fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        let at = self.find(&key);
        Entry { map: self, key, at }
    }

    /// The entries with keys from `lo` to `hi`, both included, in key order.
    pub(crate) fn range_incl(&self, lo: &K, hi: &K) -> impl Iterator<Item = (&K, &V)> {
        let (lo, hi) = (lo.packed(), hi.packed());
        let start = self.0.partition_point(|(k, _)| k.packed() < lo);
        let end = self.0.partition_point(|(k, _)| k.packed() <= hi).max(start);
        self.0[start..end].iter().map(|(k, v)| (k, v))
    }

    /// The entries with keys from `lo` on, in key order.
    pub(crate) fn range_from(&self, lo: &K) -> impl Iterator<Item = (&K, &V)> {
        let lo = lo.packed();
        let start = self.0.partition_point(|(k, _)| k.packed() < lo);
        self.0[start..].iter().map(|(k, v)| (k, v))
    }

    /// The values of the entries with keys up to `hi` (included), in key order.
    pub(crate) fn values_up_to_mut(&mut self, hi: &K) -> impl Iterator<Item = &mut V> {
        let hi = hi.packed();
        let end = self.0.partition_point(|(k, _)| k.packed() <= hi);
        self.0[..end].iter_mut().map(|(_, v)| v)
    }

    /// The index of `key`'s entry, first set to `value` if absent (as
    /// `entry(key).or_insert(value)`); valid until a key is inserted before it.
    pub(crate) fn index_or_insert(&mut self, key: K, value: V) -> usize {
        match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key, value));
                i
            }
        }
    }

    /// The value of entry `i` (an index `index_or_insert` gave).
    pub(crate) fn value_at_mut(&mut self, i: usize) -> &mut V {
        &mut self.0[i].1
    }
}

/// A key's place in a `VecMap`, found once (see `VecMap::entry`).
pub(crate) struct Entry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    key: K,
    at: Result<usize, usize>,
}

impl<'a, K, V> Entry<'a, K, V> {
    pub(crate) fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        let i = match self.at {
            Ok(i) => i,
            Err(i) => {
                self.map.0.insert(i, (self.key, make()));
                i
            }
        };
        &mut self.map.0[i].1
    }

    pub(crate) fn or_insert(self, value: V) -> &'a mut V {
        self.or_insert_with(|| value)
    }

    pub(crate) fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }
}

impl<K: Packed, V> std::ops::Index<&K> for VecMap<K, V> {
    type Output = V;

    fn index(&self, key: &K) -> &V {
        self.get(key).expect("VecMap: no entry for the key")
    }
}

/// As `BTreeMap::from_iter`: in key order, a later duplicate key's value wins.
impl<K: Packed, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = VecMap::new();
        map.extend(iter);
        map
    }
}

impl<K: Packed, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<K: Hash, V: Hash> Hash for VecMap<K, V> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_entries(self.0.iter(), state);
    }
}

/// As `BTreeMap::hash`: the length, then each (key, value) in key order — so a map kept
/// in any of this module's types hashes as the B-tree it replaced did.
fn hash_entries<'a, K: Hash + 'a, V: Hash + 'a, H: Hasher>(
    entries: impl ExactSizeIterator<Item = &'a (K, V)>,
    state: &mut H,
) {
    state.write_usize(entries.len());
    for (k, v) in entries {
        k.hash(state);
        v.hash(state);
    }
}

/// As `BTreeMap`'s: `{k: v, ...}`.
impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A set as a sorted vector (a `VecMap` without values).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct VecSet<K>(Vec<K>);

impl<K> Default for VecSet<K> {
    fn default() -> Self {
        VecSet(Vec::new())
    }
}

impl<K> VecSet<K> {
    pub(crate) fn new() -> Self {
        VecSet(Vec::new())
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The members, in order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, K> {
        self.0.iter()
    }
}

impl<K: Packed> VecSet<K> {
    fn find(&self, key: &K) -> Result<usize, usize> {
        let want = key.packed();
        self.0.binary_search_by(|k| k.packed().cmp(&want))
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// Removes the members below `at` and yields them, in order; the set keeps its
    /// buffer (a `split_off` gave the kept part a new one, which the next inserts regrew).
    pub(crate) fn drain_below(&mut self, at: &K) -> std::vec::Drain<'_, K> {
        let at = at.packed();
        let i = self.0.partition_point(|k| k.packed() < at);
        self.0.drain(..i)
    }

    /// Adds `key`; false if it was already there.
    pub(crate) fn insert(&mut self, key: K) -> bool {
        match self.find(&key) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, key);
                true
            }
        }
    }

    /// Removes `key`; false if it was not there.
    pub(crate) fn remove(&mut self, key: &K) -> bool {
        match self.find(key) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }
}

impl<K: Packed> VecSet<K> {
    /// The set of `keys` (any order, duplicates allowed): one sort, not an insert each.
    pub(crate) fn from_unsorted(mut keys: Vec<K>) -> Self {
        crate::sort::sort_by(&mut keys, |a, b| a.packed().cmp(&b.packed()));
        keys.dedup_by(|a, b| a.packed() == b.packed());
        VecSet(keys)
    }
}

impl<K: Packed> FromIterator<K> for VecSet<K> {
    fn from_iter<I: IntoIterator<Item = K>>(iter: I) -> Self {
        VecSet::from_unsorted(iter.into_iter().collect())
    }
}

impl<'a, K> IntoIterator for &'a VecSet<K> {
    type Item = &'a K;
    type IntoIter = std::slice::Iter<'a, K>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<K> IntoIterator for VecSet<K> {
    type Item = K;
    type IntoIter = std::vec::IntoIter<K>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<K: Hash> Hash for VecSet<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `BTreeSet::hash`: the length, then each member in order.
        state.write_usize(self.0.len());
        for k in &self.0 {
            k.hash(state);
        }
    }
}

/// As `BTreeSet`'s: `{a, b, ...}`.
impl<K: fmt::Debug> fmt::Debug for VecSet<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// A key with a place in a small grid: (table, shard, DC). What a `DenseMap` indexes by.
pub trait Dense: Packed + Copy {
    /// The key's coordinates; distinct keys have distinct coordinates.
    fn coords(&self) -> [usize; 3];
}

impl Dense for ShardKey {
    fn coords(&self) -> [usize; 3] {
        [usize::from(self.0 .0), self.1 .0 as usize, 0]
    }
}

/// A `VecMap` with a direct index from a key to its entry, for a node's maps keyed by
/// shard that are searched per message: its copies (a few shards of each table out of
/// hundreds, so the dense-key shortcut of `VecMap::find` misses and a binary search ran
/// per lookup), its primary roles, its metadata, its fences. Read-only, it is the
/// `VecMap` (`Deref`): iteration, hash, equality, debug output and serialized form are
/// the map's, so fingerprints, traces and files do not change.
///
/// Invariants: when `dims` is not all zero, `slots[(t * dims[1] + s) * dims[2] + d]` is 1 +
/// the index in `map` of the entry whose key has coordinates `[t, s, d]`, 0 where no key
/// has them, and every key's coordinates are below `dims`; `dims == [0; 3]` means no index
/// (the keys span too wide a range for one; lookups search `map`). The index is a pure
/// function of the keys and their order; an insert or removal renumbers the entries after
/// it (as the vector moves them), in place when this map is the index's only holder. It
/// is shared (`Rc`), so a clone of the map (a checkpoint's copy of a node) copies a
/// pointer, not the index. Each dimension is a power of two, so a map filled in key order
/// (a placement's shards) is reindexed a logarithmic number of times, not per key.
#[derive(Clone)]
pub struct DenseMap<K, V> {
    map: VecMap<K, V>,
    slots: std::rc::Rc<[u32]>,
    dims: [usize; 3],
}

/// Per shard, in shard order.
pub(crate) type ShardMap<V> = DenseMap<ShardKey, V>;

impl<K, V> Default for DenseMap<K, V> {
    fn default() -> Self {
        DenseMap {
            map: VecMap::new(),
            slots: std::rc::Rc::from(Vec::new()),
            dims: [0; 3],
        }
    }
}

impl<K, V> std::ops::Deref for DenseMap<K, V> {
    type Target = VecMap<K, V>;

    fn deref(&self) -> &VecMap<K, V> {
        &self.map
    }
}

impl<K: Dense, V> DenseMap<K, V> {
    pub(crate) fn new() -> Self {
        DenseMap::default()
    }

    /// The slot of coordinates `c`, if inside the index.
    #[inline]
    fn slot_of(&self, c: [usize; 3]) -> Option<usize> {
        let [a, b, d] = self.dims;
        (c[0] < a && c[1] < b && c[2] < d).then(|| (c[0] * b + c[1]) * d + c[2])
    }

    /// The index in `map` of `key`'s entry.
    #[inline]
    fn find(&self, key: &K) -> Option<usize> {
        if self.dims[0] == 0 {
            return self.map.find(key).ok();
        }
        let slot = *self.slots.get(self.slot_of(key.coords())?)?;
        (slot as usize).checked_sub(1)
    }

    /// Rebuilds the index from the keys. No index when the keys' range is much wider than
    /// the map (slots are for keys that exist).
    fn reindex(&mut self) {
        let mut dims = [0usize; 3];
        for (k, _) in &self.map.0 {
            for (d, c) in dims.iter_mut().zip(k.coords()) {
                *d = (*d).max(c.saturating_add(1));
            }
        }
        let dims = dims.map(|n| n.checked_next_power_of_two().unwrap_or(usize::MAX));
        let n = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        let n = match n {
            Some(n) if !self.map.is_empty() && n <= 64 * self.map.len() + 4096 => n,
            _ => {
                self.slots = std::rc::Rc::from(Vec::new());
                self.dims = [0; 3];
                return;
            }
        };
        self.dims = dims;
        let mut slots = vec![0u32; n];
        for (i, (k, _)) in self.map.0.iter().enumerate() {
            if let Some(s) = self.slot_of(k.coords()) {
                slots[s] = i as u32 + 1;
            }
        }
        self.slots = slots.into();
    }

    /// After entry `from` on moved (an insert or removal there): their slots renumbered in
    /// place, or the index rebuilt when it is shared or does not cover the keys.
    fn renumber_from(&mut self, from: usize, gone: Option<K>) {
        let [a, b, d] = self.dims;
        let slot_of = |c: [usize; 3]| {
            (c[0] < a && c[1] < b && c[2] < d).then(|| (c[0] * b + c[1]) * d + c[2])
        };
        let renumbered = match std::rc::Rc::get_mut(&mut self.slots) {
            Some(slots) if a != 0 => {
                // A removed key was covered (every key is).
                if let Some(s) = gone.and_then(|k| slot_of(k.coords())) {
                    slots[s] = 0;
                }
                self.map.0.iter().enumerate().skip(from).all(|(i, (k, _))| {
                    slot_of(k.coords())
                        .map(|s| slots[s] = i as u32 + 1)
                        .is_some()
                })
            }
            _ => false,
        };
        if !renumbered {
            self.reindex();
        }
    }

    /// The value under `key`, if any.
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).map(|i| &self.map.0[i].1)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.find(key).map(|i| &mut self.map.0[i].1)
    }

    /// Whether `key` has a value.
    #[inline]
    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_some()
    }

    /// Sets `key`'s value; returns the one it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Some(i) => Some(std::mem::replace(&mut self.map.0[i].1, value)),
            None => {
                self.index_or_insert(key, value);
                None
            }
        }
    }

    /// The index of `key`'s entry, first set to `value` if absent (as
    /// `entry(key).or_insert(value)`); valid until a key is inserted before it.
    pub(crate) fn index_or_insert(&mut self, key: K, value: V) -> usize {
        if let Some(i) = self.find(&key) {
            return i;
        }
        let Err(i) = self.map.find(&key) else {
            unreachable!("the index and the map hold the same keys")
        };
        self.map.0.insert(i, (key, value));
        self.renumber_from(i, None);
        i
    }

    #[cfg(test)]
    fn as_entries(&self) -> &[(K, V)] {
        &self.map.0
    }

    #[cfg(test)]
    fn as_entries_mut(&mut self) -> &mut [(K, V)] {
        &mut self.map.0
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.find(key)?;
        let (k, v) = self.map.0.remove(i);
        self.renumber_from(i, Some(k));
        Some(v)
    }

    /// As `BTreeMap::entry`, for `or_insert_with` / `or_default`.
    pub(crate) fn entry(&mut self, key: K) -> DenseEntry<'_, K, V> {
        DenseEntry { map: self, key }
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.reindex();
    }

    pub(crate) fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&K, &mut V)> {
        self.map.iter_mut()
    }
}

/// A key's place in a `DenseMap` (see `DenseMap::entry`).
pub(crate) struct DenseEntry<'a, K, V> {
    map: &'a mut DenseMap<K, V>,
    key: K,
}

impl<'a, K: Dense, V> DenseEntry<'a, K, V> {
    pub(crate) fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        let i = match self.map.find(&self.key) {
            Some(i) => i,
            None => self.map.index_or_insert(self.key, make()),
        };
        &mut self.map.map.0[i].1
    }

    pub(crate) fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }
}

impl<K: Dense, V> FromIterator<(K, V)> for DenseMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = DenseMap::new();
        map.map = iter.into_iter().collect();
        map.reindex();
        map
    }
}

impl<'a, K, V> IntoIterator for &'a DenseMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = <&'a VecMap<K, V> as IntoIterator>::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        (&self.map).into_iter()
    }
}

impl<K, V> IntoIterator for DenseMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.into_iter()
    }
}

/// The map's (the index is derived from it).
impl<K: PartialEq, V: PartialEq> PartialEq for DenseMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl<K: Eq, V: Eq> Eq for DenseMap<K, V> {}

/// The map's: as the `BTreeMap` it stands for.
impl<K: Hash, V: Hash> Hash for DenseMap<K, V> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.map.hash(state);
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for DenseMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.map.fmt(f)
    }
}

/// A map as a `VecDeque` sorted by key, for a map whose keys arrive in increasing order
/// and mostly leave oldest first: a frontend's requests in flight (`ReqId`s grow; the
/// oldest are answered or time out first). A `VecMap` moved every younger entry down on
/// each such removal; a deque moves the shorter side. Hashed, compared, debug-printed
/// and iterated as a `VecMap` (and so as the `BTreeMap` it stands for).
///
/// Invariant: entries strictly increasing by key.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DequeMap<K, V>(std::collections::VecDeque<(K, V)>);

impl<K, V> Default for DequeMap<K, V> {
    fn default() -> Self {
        DequeMap(std::collections::VecDeque::new())
    }
}

impl<K, V> DequeMap<K, V> {
    /// How many keys have a value.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Entries in key order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + Clone {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Packed, V> DequeMap<K, V> {
    fn find(&self, key: &K) -> Result<usize, usize> {
        let want = key.packed();
        let (Some((first, _)), Some((last, _))) = (self.0.front(), self.0.back()) else {
            return Err(0);
        };
        // New keys are the largest, the oldest leave first, and a request's timeout looks
        // for a key usually long gone (below the first): one or two compares each.
        match (first.packed().cmp(&want), last.packed() < want) {
            (_, true) => Err(self.0.len()),
            (std::cmp::Ordering::Greater, _) => Err(0),
            (std::cmp::Ordering::Equal, _) => Ok(0),
            _ => self.0.binary_search_by(|(k, _)| k.packed().cmp(&want)),
        }
    }

    /// The value under `key`, if any.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    /// Sets `key`'s value; returns the one it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.find(key).ok()?;
        self.0.remove(i).map(|(_, v)| v)
    }
}

impl<K: Hash, V: Hash> Hash for DequeMap<K, V> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_entries(self.0.iter(), state);
    }
}

/// As `BTreeMap`'s: `{k: v, ...}`.
impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for DequeMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// As `BTreeMap`'s: a map, in key order.
impl<K: Serialize, V: Serialize> Serialize for VecMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// As `BTreeMap`'s: any map; a later duplicate key's value wins.
impl<'de, K: Deserialize<'de> + Packed, V: Deserialize<'de>> Deserialize<'de> for VecMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de> + Packed, V: Deserialize<'de>> Visitor<'de> for MapVisitor<K, V> {
            type Value = VecMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut map = VecMap::new();
                while let Some((k, v)) = a.next_entry()? {
                    map.insert(k, v);
                }
                Ok(map)
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

/// As `BTreeSet`'s: a sequence, in order.
impl<K: Serialize> Serialize for VecSet<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// As `BTreeSet`'s: any sequence; duplicates collapse.
impl<'de, K: Deserialize<'de> + Packed> Deserialize<'de> for VecSet<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SetVisitor<K>(PhantomData<K>);
        impl<'de, K: Deserialize<'de> + Packed> Visitor<'de> for SetVisitor<K> {
            type Value = VecSet<K>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut set = VecSet::new();
                while let Some(k) = a.next_element()? {
                    set.insert(k);
                }
                Ok(set)
            }
        }
        d.deserialize_seq(SetVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::hash::DefaultHasher;

    fn hash_of(v: &impl Hash) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    /// Whatever order keys arrive in, a `VecMap` iterates, hashes, prints and serializes
    /// as the `BTreeMap` of the same entries, and reads back what it wrote.
    #[test]
    fn a_vecmap_behaves_as_the_btreemap_it_replaces() {
        let keys = [7u64, 3, 11, 3, 0, u64::MAX, 5];
        let mut v = VecMap::new();
        let mut b = BTreeMap::new();
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(v.insert(TxnId(k), i), b.insert(TxnId(k), i));
        }
        assert_eq!(v.remove(&TxnId(11)), b.remove(&TxnId(11)));
        assert_eq!(v.remove(&TxnId(12)), b.remove(&TxnId(12)));
        *v.entry(TxnId(1)).or_default() += 4;
        *b.entry(TxnId(1)).or_default() += 4;
        let vs: Vec<_> = v.iter().collect();
        let bs: Vec<_> = b.iter().collect();
        assert_eq!(vs, bs);
        assert_eq!(hash_of(&v), hash_of(&b));
        assert_eq!(format!("{v:?}"), format!("{b:?}"));
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(text, serde_json::to_string(&b).unwrap());
        let back: VecMap<TxnId, usize> = serde_json::from_str(&text).unwrap();
        assert!(back == v);
        let from: Vec<_> = v.range_from(&TxnId(5)).map(|(k, _)| k.0).collect();
        assert_eq!(from, vec![5, 7, u64::MAX]);
    }

    /// The dense-key shortcut of `find` agrees with the map for every key around dense
    /// runs, gaps, both tables' shards and the ends of the key range.
    #[test]
    fn lookups_agree_with_the_btreemap_on_dense_and_sparse_keys() {
        let mut v = VecMap::new();
        let mut b = BTreeMap::new();
        let shards = (0..2u16).flat_map(|t| (0..40u32).map(move |s| (TableId(t), ShardId(s))));
        for (i, k) in shards.filter(|k| k.1 .0 % 7 != 3).enumerate() {
            v.insert(k, i);
            b.insert(k, i);
        }
        for t in 0..3u16 {
            for s in (0..45u32).chain([u32::MAX - 1, u32::MAX]) {
                let k = (TableId(t), ShardId(s));
                assert_eq!(v.get(&k), b.get(&k), "{k:?}");
                assert_eq!(v.find(&k).is_ok(), b.contains_key(&k), "{k:?}");
            }
        }
        let mut d = VecMap::new();
        for id in [0u16, 1, 2, 4, 5, 9, u16::MAX] {
            d.insert(DcId(id), id);
        }
        for id in (0..12u16).chain([u16::MAX - 1, u16::MAX]) {
            let want = [0u16, 1, 2, 4, 5, 9, u16::MAX].contains(&id).then_some(id);
            assert_eq!(d.get(&DcId(id)).copied(), want, "{id}");
            assert_eq!(d.insert(DcId(id), id), want);
        }
        let mut w = VecMap::new();
        for k in [0u64, 1, 2, u64::MAX - 1, u64::MAX] {
            w.insert(k, ());
        }
        for k in [0u64, 1, 2, 3, u64::MAX - 2, u64::MAX - 1, u64::MAX] {
            assert_eq!(w.contains_key(&k), ![3, u64::MAX - 2].contains(&k), "{k}");
        }
    }

    /// A `ShardMap` answers as the `BTreeMap` of the same entries through inserts in and
    /// out of key order, removals, clears, clones that then diverge, and keys whose range
    /// is too wide for an index; it hashes and prints as that map.
    #[test]
    fn a_shardmap_answers_as_the_btreemap_it_stands_for() {
        let k = |t: u16, s: u32| (TableId(t), ShardId(s));
        let mut v: ShardMap<u32> = ShardMap::new();
        let mut b = BTreeMap::new();
        let probe = |v: &ShardMap<u32>, b: &BTreeMap<ShardKey, u32>| {
            for t in 0..4u16 {
                for s in (0..70u32).chain([u32::MAX]) {
                    assert_eq!(v.get(&k(t, s)), b.get(&k(t, s)), "{:?}", k(t, s));
                    assert_eq!(v.contains_key(&k(t, s)), b.contains_key(&k(t, s)));
                }
            }
            assert!(v.iter().eq(b.iter()));
            assert_eq!(hash_of(v), hash_of(b));
            assert_eq!(format!("{v:?}"), format!("{b:?}"));
        };
        // In key order (as a placement installs), then out of it.
        for (i, key) in (0..2u16)
            .flat_map(|t| (0..60u32).step_by(7).map(move |s| k(t, s)))
            .enumerate()
        {
            assert_eq!(v.insert(key, i as u32), b.insert(key, i as u32));
        }
        probe(&v, &b);
        let before = v.clone();
        for (i, key) in [k(0, 3), k(1, 64), k(3, 0), k(0, 0)]
            .into_iter()
            .enumerate()
        {
            *v.entry(key).or_default() += i as u32 + 10;
            *b.entry(key).or_default() += i as u32 + 10;
        }
        *v.get_mut(&k(1, 7)).unwrap() = 99;
        *b.get_mut(&k(1, 7)).unwrap() = 99;
        assert_eq!(v.remove(&k(0, 14)), b.remove(&k(0, 14)));
        assert_eq!(v.remove(&k(0, 15)), b.remove(&k(0, 15)));
        probe(&v, &b);
        assert_eq!(before.len(), 18, "a clone keeps its entries and its index");
        assert_eq!(before.get(&k(1, 56)), Some(&17));
        assert_eq!(before.get(&k(0, 3)), None);
        // A key far out of range: no index, lookups still right.
        assert_eq!(v.insert(k(2, u32::MAX), 5), b.insert(k(2, u32::MAX), 5));
        probe(&v, &b);
        assert_eq!(v.remove(&k(2, u32::MAX)), b.remove(&k(2, u32::MAX)));
        probe(&v, &b);
        v.clear();
        b.clear();
        probe(&v, &b);
    }

    /// Filled out of order, a `ShardMap` renumbers in place (and rebuilds when a clone
    /// shares its index): every index `index_or_insert` gives names its key's entry, and
    /// clones and the map answer lookups as their `BTreeMap`s.
    #[test]
    fn a_shardmap_keeps_its_index_through_inserts_and_removals_out_of_order() {
        let k = |t: u16, s: u32| (TableId(t), ShardId(s));
        let mut v: ShardMap<u64> = ShardMap::new();
        let mut b = BTreeMap::new();
        let mut x = 7u64;
        let mut clones = Vec::new();
        for n in 0..600u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = k((x >> 60) as u16 % 2, (x >> 40) as u32 % 90);
            if n % 5 == 4 {
                assert_eq!(v.remove(&key), b.remove(&key));
            } else {
                let i = v.index_or_insert(key, n);
                v.as_entries_mut()[i].1 += 1;
                *b.entry(key).or_insert(n) += 1;
                assert_eq!(v.as_entries()[i].0, key);
            }
            if n % 97 == 0 {
                clones.push((v.clone(), b.clone()));
            }
        }
        clones.push((v, b));
        for (v, b) in &clones {
            for t in 0..3u16 {
                for s in 0..130u32 {
                    assert_eq!(v.get(&k(t, s)), b.get(&k(t, s)));
                }
            }
            assert!(v.iter().eq(b.iter()));
            assert_eq!(hash_of(v), hash_of(b));
        }
    }

    /// Keys arriving in order and leaving in any order: a `DequeMap` answers, iterates,
    /// hashes and prints as the `VecMap` and the `BTreeMap` of the same entries.
    #[test]
    fn a_dequemap_behaves_as_the_vecmap_it_replaces() {
        let mut q: DequeMap<ReqId, u64> = DequeMap::default();
        let mut v: VecMap<ReqId, u64> = VecMap::new();
        let mut b = BTreeMap::new();
        let mut x = 3u64;
        for n in 0..400u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = if n % 3 == 2 {
                ReqId(x % (n + 1))
            } else {
                ReqId(n)
            };
            if n % 4 == 3 {
                assert_eq!(q.remove(&key), b.remove(&key));
                v.remove(&key);
            } else {
                assert_eq!(q.insert(key, n), b.insert(key, n));
                v.insert(key, n);
            }
            assert_eq!(q.get(&ReqId(x % 500)), b.get(&ReqId(x % 500)));
        }
        assert!(q.iter().eq(b.iter()));
        assert_eq!(q.len(), b.len());
        assert_eq!(hash_of(&q), hash_of(&v));
        assert_eq!(hash_of(&q), hash_of(&b));
        assert_eq!(format!("{q:?}"), format!("{b:?}"));
    }

    #[test]
    fn a_vecset_behaves_as_the_btreeset_it_replaces() {
        let keys = [
            (TxnId(9), (TableId(1), ShardId(2))),
            (TxnId(9), (TableId(0), ShardId(7))),
        ];
        let more = [(TxnId(2), (TableId(3), ShardId(0))), keys[0]];
        let v = VecSet::from_unsorted(keys.iter().chain(&more).copied().collect());
        let b: BTreeSet<_> = keys.iter().chain(&more).copied().collect();
        assert_eq!(v.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
        assert_eq!(hash_of(&v), hash_of(&b));
        assert_eq!(format!("{v:?}"), format!("{b:?}"));
        let mut set: VecSet<TxnId> = [4, 1, 9, 6].map(TxnId).into_iter().collect();
        let low: Vec<u64> = set.drain_below(&TxnId(6)).map(|t| t.0).collect();
        assert_eq!(low, vec![1, 4]);
        assert_eq!(set.iter().map(|t| t.0).collect::<Vec<_>>(), vec![6, 9]);
    }
}
