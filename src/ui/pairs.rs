//! `Pairs`: a small map kept as a `Vec` of `(key, value)` sorted by key, for the UI's
//! few-entry maps (a diagram's instants and label strips, a form's drafts and errors).
//!
//! Why not `BTreeMap`: each `BTreeMap<K, V>` the page instantiates adds its own search,
//! insert, rebalance, iterator and drop code to the wasm (several KB each, issue 8); a
//! sorted `Vec` adds a binary search and `Vec::insert`. The maps here hold at most a few
//! hundred entries, built once per render or per keystroke, so O(n) inserts cost nothing
//! visible.
//!
//! Invariants: keys are strictly increasing (no duplicates), so iteration is in key order,
//! exactly as a `BTreeMap`'s.

use std::borrow::Borrow;

/// A map as a sorted `Vec` of pairs (see the module header).
#[derive(Clone, Debug, PartialEq)]
pub struct Pairs<K, V>(Vec<(K, V)>);

impl<K, V> Default for Pairs<K, V> {
    fn default() -> Self {
        Pairs(Vec::new())
    }
}

impl<K: Ord, V> Pairs<K, V> {
    fn find<Q: Ord + ?Sized>(&self, k: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.0.binary_search_by(|e| e.0.borrow().cmp(k))
    }

    /// The value under `k`, if any.
    pub fn get<Q: Ord + ?Sized>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(k).ok().map(|i| &self.0[i].1)
    }

    /// The value under `k`, inserted by `make` first if absent (`entry(k).or_insert_with`).
    pub fn slot(&mut self, k: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&k) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (k, make()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Sets `k` to `v` (replacing any value it had).
    pub fn insert(&mut self, k: K, v: V) {
        match self.find(&k) {
            Ok(i) => self.0[i].1 = v,
            Err(i) => self.0.insert(i, (k, v)),
        }
    }

    /// Whether `k` has a value.
    pub fn contains_key<Q: Ord + ?Sized>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(k).is_ok()
    }

    /// Removes `k`'s value, if any.
    pub fn remove<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(k).ok().map(|i| self.0.remove(i).1)
    }
}

impl<K, V> Pairs<K, V> {
    /// The pairs in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }

    /// How many keys have a value.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no key has a value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Removes every pair.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}
