//! The fixed 64-bit hash that fingerprints explorer states, and `Shared`: copy-on-write
//! sharing of a large piece of state that also remembers its own fingerprint.
//!
//! Invariants:
//! - `fingerprint` is a fixed function of a value's `Hash`: the same value gives the same
//!   fingerprint in every run, natively and in wasm (`usize` is hashed as 64 bits).
//! - A `Shared<T>` is observably a `T`: reading goes through `Deref`; writing goes through
//!   `DerefMut`, which first makes the value unique (cloning it only if another owner
//!   shares it, as `Rc::make_mut`) and forgets the remembered fingerprint. So a cached
//!   fingerprint is never stale: the only way to change the value clears it.
//! - `Shared<T>`'s `Hash` writes the value's fingerprint (one word), not its contents:
//!   equal values hash equally, and an unchanged piece shared by many explorer states is
//!   hashed once. Nothing outside the explorer hashes nodes (the trace hash does not).

use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// The fixed 64-bit hash the explorer fingerprints states with: a multiply–rotate word
/// hash (as rustc's FxHash) with a final avalanche (murmur3's), so nearby states spread.
#[derive(Default, Clone, Copy)]
pub struct FpHasher(u64);

const K: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for FpHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        z ^ (z >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(K);
    }
    // usize hashed as 64 bits, so native and wasm fingerprints agree.
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

/// The fingerprint of any hashable value.
pub fn fingerprint<T: Hash + ?Sized>(t: &T) -> u64 {
    let mut h = FpHasher::default();
    t.hash(&mut h);
    h.finish()
}

/// A large piece of state shared copy-on-write between clones (the timeline's checkpoints,
/// the explorer's branches), with its fingerprint remembered until it changes. In a run
/// nobody clones, it is never shared, so a write costs one reference-count check.
pub struct Shared<T>(Rc<Inner<T>>);

struct Inner<T> {
    value: T,
    /// The value's fingerprint, 0 while unknown (a real 0 is recomputed each time: rare).
    fp: Cell<u64>,
}

impl<T: Clone> Clone for Inner<T> {
    fn clone(&self) -> Self {
        Inner {
            value: self.value.clone(),
            fp: Cell::new(self.fp.get()),
        }
    }
}

impl<T> Shared<T> {
    /// `value`, not shared yet.
    pub fn new(value: T) -> Self {
        Shared(Rc::new(Inner {
            value,
            fp: Cell::new(0),
        }))
    }
}

impl<T> Shared<T> {
    /// Whether `a` and `b` are the same shared value (not merely equal ones).
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Rc::ptr_eq(&a.0, &b.0)
    }

    /// The value if this is its only owner (else `self` back).
    pub fn try_unwrap(self) -> Result<T, Self> {
        Rc::try_unwrap(self.0).map(|i| i.value).map_err(Shared)
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Shared::new(T::default())
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0.value
    }
}

impl<T: Clone> std::ops::DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        let inner = Rc::make_mut(&mut self.0);
        inner.fp.set(0);
        &mut inner.value
    }
}

impl<T: Hash> Hash for Shared<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut fp = self.0.fp.get();
        if fp == 0 {
            fp = fingerprint(&self.0.value);
            self.0.fp.set(fp);
        }
        state.write_u64(fp);
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) || self.0.value == other.0.value
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.value.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_forgets_the_fingerprint_and_unshares() {
        let mut a = Shared::new(vec![1u32, 2]);
        let b = a.clone();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        a.push(3);
        assert_eq!(*b, vec![1, 2], "the other owner keeps its value");
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a), fingerprint(&Shared::new(vec![1u32, 2, 3])));
    }
}
