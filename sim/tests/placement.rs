//! Placement: the seed's modulo rule, the ring, replica sets, and how many rows move.

use crate::common::*;
use tablestore_sim::config::PlacementKind;
use tablestore_sim::placement::{move_report, sha1, sha1_mod, Member, Placement};
use tablestore_sim::{DcId, Sim, TableId, UserCommand};

fn members(n: u16) -> Vec<Member> {
    (0..n)
        .map(|i| Member {
            id: DcId(i),
            name: format!("dc{i}"),
        })
        .collect()
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
    let rep = move_report(&before, members(4), keys.iter().map(|s| s.as_str()));
    assert_eq!(rep.keys, 20_000);
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
