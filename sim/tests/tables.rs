//! Tables: PutRow, GetRow, UpdateRow, DeleteRow, GetRange; every cell versioned.

use crate::common::*;
use tablestore_sim::table::{Value, WriteKind, WriteOp};
use tablestore_sim::{ClientOp, DcId, Sim, TableId};

fn update(k: &str, col: &str, v: i64, delete: &[&str]) -> ClientOp {
    ClientOp::Write(WriteOp {
        table: TableId(0),
        pk: pk(k),
        kind: WriteKind::Update {
            set: vec![(col.into(), Value::Int(v))],
            delete: delete.iter().map(|s| (*s).into()).collect(),
        },
    })
}

#[test]
fn put_update_delete_and_versions_per_cell() {
    let mut sim = Sim::new(quiet_config(3)).unwrap();
    sim.advance_to(t(300));
    let k = "alice";
    let put = ClientOp::Write(WriteOp {
        table: TableId(0),
        pk: pk(k),
        kind: WriteKind::Put(vec![
            ("name".into(), Value::Str("Alice".into())),
            ("balance".into(), Value::Int(10)),
        ]),
    });
    assert!(run_op(&mut sim, DcId(0), put, 2_000).unwrap().0);
    assert!(
        run_op(&mut sim, DcId(0), update(k, "balance", 25, &[]), 2_000)
            .unwrap()
            .0
    );
    let (owner, _) = sim.primary_for(TableId(0), &pk(k));
    let row = sim.row_at(owner, TableId(0), &pk(k)).unwrap().clone();
    let (name, name_v) = row.cells.get("name").unwrap();
    let (bal, bal_v) = row.cells.get("balance").unwrap();
    assert_eq!(name, &Value::Str("Alice".into()));
    assert_eq!(bal, &Value::Int(25));
    assert!(
        bal_v.pos > name_v.pos,
        "the updated cell carries the newer version"
    );
    assert_eq!(row.version.pos, bal_v.pos);
    assert_eq!(bal_v.origin, owner);
    // Update that deletes a column.
    assert!(
        run_op(
            &mut sim,
            DcId(1),
            update(k, "balance", 30, &["name"]),
            2_000
        )
        .unwrap()
        .0
    );
    let row = sim.row_at(owner, TableId(0), &pk(k)).unwrap();
    assert!(!row.cells.contains_key("name"));
    // Delete leaves a versioned tombstone that reads as no row.
    let del = ClientOp::Write(WriteOp {
        table: TableId(0),
        pk: pk(k),
        kind: WriteKind::Delete,
    });
    assert!(run_op(&mut sim, DcId(2), del, 2_000).unwrap().0);
    let row = sim.row_at(owner, TableId(0), &pk(k)).unwrap();
    assert!(row.deleted && row.cells.is_empty());
    // Reads at `One` may hit a replica: let the delete ship first.
    sim.advance_by(1_000);
    let got = run_op(
        &mut sim,
        DcId(0),
        ClientOp::Get {
            table: TableId(0),
            pk: pk(k),
        },
        2_000,
    )
    .unwrap();
    assert!(got.0 && got.1.starts_with("no row"), "{got:?}");
}

#[test]
fn get_range_gathers_rows_from_every_owner_in_key_order() {
    let mut sim = Sim::new(quiet_config(4)).unwrap();
    sim.advance_to(t(300));
    let keys = ["a1", "a2", "a3", "a4", "a5", "a6", "b1", "b2"];
    for (i, k) in keys.iter().enumerate() {
        assert!(
            run_op(&mut sim, DcId(0), put(k, i as i64), 2_000)
                .unwrap()
                .0
        );
    }
    let owners: std::collections::BTreeSet<DcId> = keys
        .iter()
        .map(|k| sim.primary_for(TableId(0), &pk(k)).0)
        .collect();
    assert!(owners.len() >= 2, "the rows live on several DCs");
    let range = ClientOp::Range {
        table: TableId(0),
        start: pk("a"),
        end: pk("b"),
        limit: 100,
    };
    let r = run_op(&mut sim, DcId(1), range, 3_000).unwrap();
    assert!(r.0);
    assert_eq!(r.1, "6 row(s)");
    let limited = ClientOp::Range {
        table: TableId(0),
        start: pk("a"),
        end: pk("z"),
        limit: 3,
    };
    assert_eq!(
        run_op(&mut sim, DcId(1), limited, 3_000).unwrap().1,
        "3 row(s)"
    );
}

#[test]
fn a_multi_column_primary_key_partitions_by_its_first_column() {
    let mut sim = Sim::new(quiet_config(5)).unwrap();
    sim.advance_to(t(300));
    let lines: Vec<Vec<Value>> = (0..4)
        .map(|l| vec![Value::Str("o42".into()), Value::Int(l)])
        .collect();
    for line in &lines {
        assert_eq!(
            sim.shard_of(line),
            sim.shard_of(&lines[0]),
            "same partition key, same shard"
        );
        let op = ClientOp::Write(WriteOp {
            table: TableId(1),
            pk: line.clone(),
            kind: WriteKind::Put(vec![("qty".into(), Value::Int(1))]),
        });
        assert!(run_op(&mut sim, DcId(0), op, 3_000).unwrap().0);
    }
    let (owner, _) = sim.primary_for(TableId(1), &lines[0]);
    for line in &lines {
        assert!(sim.row_at(owner, TableId(1), line).is_some());
    }
}
