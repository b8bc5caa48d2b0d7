//! Sorting with little code, for the page's wasm size (issue 8).
//!
//! Each `slice::sort*` call site instantiates the standard library's whole sort for its
//! element type and comparator (3 to 8 KB of wasm each; 23 of them were about 100 KB).
//! Here, `sort_by` and its variants share one instantiation: they sort the indices
//! `0..len` through a `&mut dyn` comparator, then move the elements into place, so a call
//! site adds only that small permutation step. `insertion_sort_by_key` is for short lists
//! on hot paths (a list of DCs), where the standard sort is an insertion sort too.
//!
//! Invariant: every function here sorts stably (equal elements keep their order), exactly
//! as `slice::sort_by`, so replacing one with the other never changes a result or a trace.
//! Not for long lists on a hot path: each comparison is an indirect call.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`, like `slice::sort_by`.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let len = u32::try_from(v.len()).expect("fewer than 2^32 elements");
    let mut idx: Vec<u32> = (0..len).collect();
    sort_indices(&mut idx, &mut |a, b| cmp(&v[a as usize], &v[b as usize]));
    permute(v, &mut idx);
}

/// Sorts `v` stably by `key`, like `slice::sort_by_key`.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably, like `slice::sort`.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Sorts a short `v` stably by `key` with an insertion sort: no allocation, no indirect
/// call, a few dozen bytes of code. Quadratic: only for lists bounded by the DC count.
pub fn insertion_sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    for i in 1..v.len() {
        let mut j = i;
        // Strictly greater only: an equal element stays after the earlier one (stable).
        while j > 0 && key(&v[j - 1]) > key(&v[j]) {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The one instantiation of the standard (stable) sort behind `sort_by`.
fn sort_indices(idx: &mut [u32], cmp: &mut dyn FnMut(u32, u32) -> Ordering) {
    idx.sort_by(|&a, &b| cmp(a, b));
}

/// Puts `v[idx[i]]` at position `i` for every `i`, following each cycle of the
/// permutation once; `idx` is consumed (each visited entry is set to its own position).
fn permute<T>(v: &mut [T], idx: &mut [u32]) {
    for start in 0..idx.len() {
        let mut cur = start;
        loop {
            let src = idx[cur] as usize;
            idx[cur] = cur as u32;
            if src == start || src == cur {
                break;
            }
            v.swap(cur, src);
            cur = src;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_library() {
        // Pseudo-random keys with many ties; the payload shows stability.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for len in 0..200 {
            let v: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    ((x % 7) as u8, i)
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|p| p.0);
            let mut a = v.clone();
            sort_by_key(&mut a, |p| p.0);
            assert_eq!(a, want, "sort_by_key, len {len}");
            let mut b = v.clone();
            insertion_sort_by_key(&mut b, |p| p.0);
            assert_eq!(b, want, "insertion_sort_by_key, len {len}");
            let mut c = v.clone();
            sort(&mut c);
            let mut want_c = v;
            want_c.sort();
            assert_eq!(c, want_c, "sort, len {len}");
        }
    }
}
