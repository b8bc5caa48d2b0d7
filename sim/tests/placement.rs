//! Placement: the seed's modulo rule, the ring, replica sets, and how many rows move.

use crate::common::*;
use proptest::prelude::*;
use std::collections::BTreeSet;
use tablestore_sim::config::region_dc;
use tablestore_sim::config::PlacementKind;
use tablestore_sim::placement::{
    digest_mod, move_report, sha1, sha1_mod, Member, Modulus, Placement,
};
use tablestore_sim::{DcId, LookupError, MoveReport, Sim, TableId, UserCommand};

fn members(n: u16) -> Vec<Member> {
    (0..n)
        .map(|i| Member {
            id: DcId(i),
            name: format!("dc{i}"),
        })
        .collect()
}

/// The definition, one byte at a time: `int(digest) % n` by long division.
fn bytewise_mod(d: &[u8; 20], n: u64) -> u64 {
    d.iter()
        .fold(0u128, |r, &b| ((r << 8) | u128::from(b)) % u128::from(n)) as u64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    /// The division-free remainder used by placement equals long division, for small
    /// divisors (member counts), large ones (the fallback) and the edges.
    #[test]
    fn the_fast_modulus_equals_long_division(
        d in proptest::array::uniform20(any::<u8>()),
        small in 1u64..300,
        big in any::<u64>(),
        edge in prop::sample::select(vec![1u64, 2, 3, 65_535, 65_536, 65_537, u64::from(u32::MAX), u64::from(u32::MAX) + 1, u64::MAX]),
    ) {
        for n in [small, big.max(1), edge] {
            let want = bytewise_mod(&d, n);
            prop_assert_eq!(digest_mod(&d, n), want, "digest_mod % {}", n);
            prop_assert_eq!(Modulus::new(n).reduce(&d), want, "Modulus % {}", n);
        }
    }
}

#[test]
fn the_fast_modulus_on_all_ones_and_zeros() {
    for n in 1..=1000u64 {
        for d in [[0xffu8; 20], [0u8; 20], [0x80; 20]] {
            assert_eq!(Modulus::new(n).reduce(&d), bytewise_mod(&d, n), "% {n}");
        }
    }
}

#[test]
fn modulo_is_the_seeds_int_sha1_mod_n() {
    // Known SHA-1 digests (RFC 3174 tooling / Python hashlib).
    let hex: String = sha1(b"hello").iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
    // int(sha1(k).hexdigest(), 16) % n, computed independently in Python.
    let cases = [
        ("hello", [0, 1, 1, 3]),
        ("k0", [0, 2, 3, 0]),
        ("k1", [1, 1, 4, 3]),
        ("k2", [2, 2, 4, 1]),
        ("user42", [1, 2, 2, 5]),
        ("k17", [2, 2, 3, 6]),
    ];
    for (key, want) in cases {
        for (i, n) in [3u64, 4, 5, 7].into_iter().enumerate() {
            assert_eq!(sha1_mod(key, n), want[i], "{key} % {n}");
            let p = Placement::new(PlacementKind::Modulo, members(n as u16), 1, 8);
            assert_eq!(
                p.owner_of(key),
                DcId(want[i] as u16),
                "owner of {key} over {n}"
            );
        }
    }
}

#[test]
fn replica_sets_are_distinct_and_owner_first() {
    for kind in [PlacementKind::Modulo, PlacementKind::Ring] {
        let p = Placement::new(kind, members(5), 3, 16);
        for i in 0..500 {
            let k = format!("k{i}");
            let reps = p.replicas(p.shard_of(&k));
            assert_eq!(reps.len(), 3);
            assert_eq!(reps[0], p.owner_of(&k));
            let mut d = reps.clone();
            d.sort();
            d.dedup();
            assert_eq!(d.len(), 3, "{kind:?} {k}: {reps:?}");
        }
    }
}

#[test]
fn three_to_four_dcs_moves_three_quarters_under_modulo_and_a_quarter_under_ring() {
    let keys: Vec<String> = (0..20_000).map(|i| format!("user{i}")).collect();
    let before = Placement::new(PlacementKind::Ring, members(3), 1, 128);
    let after = before.with_members(members(4));
    let rep = move_report(&before, &after, keys.iter().map(|s| s.as_str()));
    assert_eq!(rep.keys, 20_000);
    assert_eq!(rep.moved, rep.ring_moved, "the ring is in force");
    let modulo = rep.modulo_moved as f64 / rep.keys as f64;
    let ring = rep.ring_moved as f64 / rep.keys as f64;
    // Theory: modulo moves (N-1)/N = 0.75 of keys; the ring moves 1/N = 0.25. Tolerance
    // ±0.05 (the ring's share depends on where 128 virtual nodes happen to fall).
    assert!((modulo - 0.75).abs() < 0.05, "modulo moved {modulo}");
    assert!((ring - 0.25).abs() < 0.05, "ring moved {ring}");
}

#[test]
fn adding_a_dc_really_migrates_rows_to_their_new_owners() {
    let mut c = quiet_config(3);
    c.placement = PlacementKind::Ring;
    let mut sim = Sim::new(c).unwrap();
    for i in 0..40 {
        let r = run_op(&mut sim, DcId(0), put(&format!("k{i}"), i), 3_000);
        assert_eq!(r.map(|x| x.0), Some(true));
    }
    sim.advance_by(2_000);
    sim.apply(UserCommand::AddDc(tablestore_sim::config::region_dc(3)))
        .unwrap();
    let moves = sim.last_moves().cloned().expect("a move report");
    assert!(
        moves.ring_moved > 0 && moves.ring_moved < moves.modulo_moved,
        "{moves:?}"
    );
    sim.advance_by(3_000);
    let new = DcId(3);
    let mut on_new = 0;
    for i in 0..40 {
        let k = format!("k{i}");
        let (owner, _) = sim.primary_for(TableId(0), &pk(&k));
        let row = sim
            .row_at(owner, TableId(0), &pk(&k))
            .unwrap_or_else(|| panic!("{k} missing at its owner {owner}"));
        assert!(!row.deleted);
        if owner == new {
            on_new += 1;
        }
    }
    assert!(on_new > 0, "the new DC owns some of the keys");
    // And a read through the new placement finds the row.
    let k = (0..40)
        .map(|i| format!("k{i}"))
        .find(|k| sim.primary_for(TableId(0), &pk(k)).0 == new)
        .unwrap();
    let got = run_op(&mut sim, DcId(0), get(&k), 3_000).unwrap();
    assert!(got.0 && got.1.starts_with("row"), "{got:?}");
}

// ---------------------------------------------------------------- the move report

/// The owner of `key` computed without the placement code's arithmetic: modulo from the
/// hex digest digit by digit (`int(hexdigest, 16) % N`), the ring by building the vnode
/// list from the members' names and scanning it.
fn owner_independent(p: &Placement, kind: PlacementKind, key: &str) -> DcId {
    let mut ids: Vec<(DcId, String)> = p.members.iter().map(|m| (m.id, m.name.clone())).collect();
    ids.sort();
    let digest = sha1(key.as_bytes());
    match kind {
        PlacementKind::Modulo => {
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            let n = ids.len() as u64;
            let r = hex
                .chars()
                .fold(0u64, |r, c| (r * 16 + c.to_digit(16).unwrap() as u64) % n);
            ids[r as usize].0
        }
        PlacementKind::Ring => {
            let top = |d: [u8; 20]| d[..8].iter().fold(0u64, |t, &b| (t << 8) | b as u64);
            let mut ring: Vec<(u64, DcId)> = ids
                .iter()
                .flat_map(|(id, name)| {
                    (0..p.vnodes).map(move |v| (top(sha1(format!("{name}#{v}").as_bytes())), *id))
                })
                .collect();
            ring.sort();
            let t = top(digest);
            ring.iter().find(|(tok, _)| *tok >= t).unwrap_or(&ring[0]).1
        }
    }
}

/// The partition keys stored anywhere, from the data view (every table, every copy).
fn stored_keys(sim: &Sim) -> Vec<String> {
    let keys: BTreeSet<String> = sim
        .data_view(usize::MAX)
        .iter()
        .flat_map(|t| {
            t.keys
                .iter()
                .map(|k| k.pk.split('/').next().unwrap().to_string())
        })
        .collect();
    keys.into_iter().collect()
}

/// Applies `cmd` (no transaction is open: a quiet run) and checks the move report against
/// an independent count over the same stored keys, and `moved` against the primaries the
/// simulation really has before and after.
fn change_and_check(sim: &mut Sim, cmd: UserCommand, what: &str) -> MoveReport {
    let keys = stored_keys(sim);
    assert!(!keys.is_empty());
    let before = sim.placement().clone();
    let prim_before: Vec<DcId> = keys
        .iter()
        .map(|k| sim.primary_for(TableId(0), &pk(k)).0)
        .collect();
    sim.apply(cmd).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(sim.draining(), None, "{what}: a quiet run never drains");
    sim.advance_by(1_000);
    let after = sim.placement().clone();
    let rep = sim.last_moves().cloned().expect("a move report");
    let count = |kind_a: PlacementKind, kind_b: PlacementKind| {
        keys.iter()
            .filter(|k| {
                owner_independent(&before, kind_a, k) != owner_independent(&after, kind_b, k)
            })
            .count() as u64
    };
    let (m, r) = (PlacementKind::Modulo, PlacementKind::Ring);
    assert_eq!(rep.keys, keys.len() as u64, "{what}: {rep:?}");
    assert_eq!(rep.modulo_moved, count(m, m), "{what}: modulo, {rep:?}");
    assert_eq!(rep.ring_moved, count(r, r), "{what}: ring, {rep:?}");
    assert_eq!(rep.moved, count(before.kind, after.kind), "{what}: {rep:?}");
    // What really happened: the keys whose primary changed.
    let really = keys
        .iter()
        .zip(&prim_before)
        .filter(|(k, p)| sim.primary_for(TableId(0), &pk(k)).0 != **p)
        .count() as u64;
    assert_eq!(rep.moved, really, "{what}: primaries that changed, {rep:?}");
    assert_eq!((rep.from_kind, rep.to_kind), (before.kind, after.kind));
    assert_eq!(
        (rep.from_members, rep.to_members),
        (before.members.len(), after.members.len())
    );
    rep
}

fn switch_to(sim: &Sim, kind: PlacementKind) -> UserCommand {
    let mut c = sim.config().clone();
    c.placement = kind;
    UserCommand::Configure(Box::new(c))
}

#[test]
fn the_move_report_counts_every_change_over_the_stored_keys() {
    let mut sim = Sim::new(quiet_config(4)).unwrap();
    assert_eq!(sim.placement().kind, PlacementKind::Modulo);
    for i in 0..60 {
        let r = run_op(
            &mut sim,
            DcId((i % 4) as u16),
            put(&format!("k{i}"), i),
            3_000,
        );
        assert_eq!(r.map(|x| x.0), Some(true));
    }
    sim.advance_by(2_000);
    assert_eq!(stored_keys(&sim).len(), 60);

    // Modulo → Ring: the members stay, so neither scheme alone moves a key, but the
    // switch itself moves most of them (about (N−1)/N).
    let cmd = switch_to(&sim, PlacementKind::Ring);
    let rep = change_and_check(&mut sim, cmd, "modulo → ring");
    assert_eq!((rep.modulo_moved, rep.ring_moved), (0, 0), "{rep:?}");
    assert!(rep.moved >= 30, "most keys change owner: {rep:?}");

    // Add a DC under the ring: the ring moves about 1/5, modulo would move about 4/5.
    let rep = change_and_check(&mut sim, UserCommand::AddDc(region_dc(4)), "add (ring)");
    assert_eq!(rep.moved, rep.ring_moved);
    assert!(
        rep.ring_moved > 0 && rep.ring_moved < rep.modulo_moved,
        "{rep:?}"
    );

    // Ring → Modulo.
    let cmd = switch_to(&sim, PlacementKind::Modulo);
    let rep = change_and_check(&mut sim, cmd, "ring → modulo");
    assert_eq!((rep.modulo_moved, rep.ring_moved), (0, 0), "{rep:?}");
    assert!(rep.moved >= 30, "{rep:?}");

    // Remove a DC in the middle of the id list under modulo (ids are no longer 0..N).
    let rep = change_and_check(&mut sim, UserCommand::RemoveDc(DcId(1)), "remove (modulo)");
    assert_eq!(rep.moved, rep.modulo_moved);
    assert!(rep.ring_moved < rep.modulo_moved, "{rep:?}");

    // Add under modulo, then remove under the ring.
    let rep = change_and_check(&mut sim, UserCommand::AddDc(region_dc(5)), "add (modulo)");
    assert_eq!(rep.moved, rep.modulo_moved);
    let cmd = switch_to(&sim, PlacementKind::Ring);
    change_and_check(&mut sim, cmd, "modulo → ring again");
    let rep = change_and_check(&mut sim, UserCommand::RemoveDc(DcId(0)), "remove (ring)");
    assert_eq!(rep.moved, rep.ring_moved);
    assert!(rep.ring_moved < rep.modulo_moved, "{rep:?}");
}

// ---------------------------------------------------------------- the key lookup

#[test]
fn lookup_explains_a_keys_place_with_the_placements_own_numbers() {
    let mut sim = Sim::new(quiet_config(4)).unwrap();
    for i in 0..20 {
        run_op(&mut sim, DcId(0), put(&format!("k{i}"), i), 3_000);
    }
    sim.advance_by(2_000);
    let l = sim.lookup(TableId(0), "hello").unwrap();
    assert_eq!(l.sha1_hex, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
    assert_eq!(
        (l.modulo.n, l.modulo.bucket),
        (4, 1),
        "int(sha1(hello)) % 4 = 1"
    );
    assert_eq!(l.placement, PlacementKind::Modulo);
    assert_eq!(l.owner(), Some(DcId(1)));
    assert_eq!(l.replicas, sim.placement().replicas(l.shard));
    assert!(
        l.copies.iter().all(|c| c.version.is_none()),
        "never written"
    );

    for i in 0..20 {
        let k = format!("k{i}");
        let l = sim.lookup(TableId(0), &k).unwrap();
        assert_eq!(l.owner(), Some(sim.placement().owner_of(&k)));
        assert_eq!(l.modulo.bucket, sha1_mod(&k, 4));
        assert_eq!(l.shard, sim.shard_of(&pk(&k)));
        assert_eq!(l.primary, sim.primary_for(TableId(0), &pk(&k)).0);
        let ring = l.ring.as_ref().unwrap();
        assert_eq!(
            ring.replicas[0],
            owner_independent(sim.placement(), PlacementKind::Ring, &k)
        );
        for c in &l.copies {
            let row = sim.row_at(c.dc, TableId(0), &pk(&k)).unwrap();
            let v = c.version.as_ref().unwrap();
            assert_eq!(
                (v.index, v.term, v.rows),
                (row.version.pos.index, row.version.pos.epoch.term, 1)
            );
        }
    }

    // A placement switch moves the answer: the ring owner is now the owner.
    let k = (0..20)
        .map(|i| format!("k{i}"))
        .find(|k| {
            let l = sim.lookup(TableId(0), k).unwrap();
            l.modulo.replicas[0] != l.ring.as_ref().unwrap().replicas[0]
        })
        .expect("some key has different owners");
    let ring_owner = sim.lookup(TableId(0), &k).unwrap().ring.unwrap().replicas[0];
    let cmd = switch_to(&sim, PlacementKind::Ring);
    sim.apply(cmd).unwrap();
    sim.advance_by(1_000);
    let l = sim.lookup(TableId(0), &k).unwrap();
    assert_eq!(
        (l.placement, l.owner(), l.primary),
        (PlacementKind::Ring, Some(ring_owner), ring_owner)
    );
    assert_eq!(l.shard.0, l.ring.as_ref().unwrap().vnode);
    assert!(
        l.copies.iter().all(|c| c.version.is_some()),
        "copied to the new replicas: {l:?}"
    );

    // Killing the owner: after the failover the primary is another replica.
    sim.apply(UserCommand::Kill(ring_owner)).unwrap();
    sim.advance_by(5_000);
    let l = sim.lookup(TableId(0), &k).unwrap();
    assert_eq!(l.owner(), Some(ring_owner));
    assert_ne!(l.primary, ring_owner, "{l:?}");
    assert!(l.replicas.contains(&l.primary));
    assert!(!l.copies[0].up);

    // Bad input is an error with a message, never a panic.
    assert_eq!(sim.lookup(TableId(0), ""), Err(LookupError::EmptyKey));
    assert!(matches!(
        sim.lookup(TableId(9), "k1"),
        Err(LookupError::UnknownTable(9))
    ));
    assert!(matches!(
        sim.lookup(TableId(0), &"x".repeat(10_000)),
        Err(LookupError::TooLong(_))
    ));
    assert!(!LookupError::EmptyKey.to_string().is_empty());
    assert_eq!(sim.table_named("users"), Some(TableId(0)));
    // Any text is a key, including spaces and non-ASCII.
    assert!(sim.lookup(TableId(1), " é ✓ ").is_ok());
}

/// The per-key cache and the replica table answer exactly what the placement computes:
/// for every key (twice, so the second answer is a cache hit), for shard ids of an older,
/// larger layout, and in a placement rebuilt over other members (a new cache).
#[test]
fn the_cached_shard_and_the_replica_table_equal_the_computation() {
    for kind in [PlacementKind::Modulo, PlacementKind::Ring] {
        let p = Placement::new(kind, members(5), 3, 16);
        for round in 0..2 {
            for i in 0..2_000 {
                let k = format!("k{i}");
                assert_eq!(
                    p.shard_of_cached(&k),
                    p.shard_of(&k),
                    "{kind:?} {k} round {round}"
                );
            }
        }
        for s in 0..200 {
            let s = tablestore_sim::ShardId(s);
            assert_eq!(
                p.replicas_of(s),
                p.replicas_as(kind, s).as_slice(),
                "{kind:?} {s}"
            );
            assert_eq!(p.replicas(s), p.replicas_as(kind, s));
        }
        let q = p.with_members(members(3));
        for i in 0..2_000 {
            let k = format!("k{i}");
            assert_eq!(q.shard_of_cached(&k), q.shard_of(&k), "{kind:?} {k} over 3");
        }
        assert_eq!(p.clone(), p, "the cache is not part of a placement's value");
    }
}
