//! The seeded workload: rate, mix, key distribution, client home DCs.

use std::collections::BTreeMap;
use tablestore_sim::config::{KeyDistribution, SimConfig};
use tablestore_sim::rng::Rng;
use tablestore_sim::workload::Workload;
use tablestore_sim::{ClientOp, DcId};

fn sample(
    dist: KeyDistribution,
    n: usize,
) -> (
    BTreeMap<&'static str, usize>,
    Vec<usize>,
    BTreeMap<DcId, usize>,
) {
    let mut c = SimConfig::default();
    c.workload.distribution = dist;
    c.workload.keys = 100;
    c.workload.read_pct = 60;
    c.workload.write_pct = 30;
    c.workload.txn_pct = 10;
    c.workload.client_dcs = vec![DcId(1), DcId(3)];
    let mut w = Workload::new(Rng::new(9), &c.workload);
    let members: Vec<DcId> = (0..5).map(DcId).collect();
    let mut mix = BTreeMap::new();
    let mut keys = vec![0usize; 100];
    let mut homes = BTreeMap::new();
    for _ in 0..n {
        let (home, op) = w.next_op(&c, &members);
        *homes.entry(home).or_insert(0) += 1;
        let kind = match &op {
            ClientOp::Get { .. } => "read",
            ClientOp::Write(_) => "write",
            ClientOp::Txn(ws) => {
                assert!(ws.len() >= 2 || ws.len() == 1);
                "txn"
            }
            ClientOp::Range { .. } => "range",
        };
        *mix.entry(kind).or_insert(0) += 1;
        if let ClientOp::Get { pk, .. } = &op {
            let k: usize = pk[0].hash_text()[1..].parse().unwrap();
            keys[k] += 1;
        }
    }
    (mix, keys, homes)
}

#[test]
fn the_mix_and_the_home_dcs_follow_the_settings() {
    let (mix, _, homes) = sample(KeyDistribution::Uniform, 20_000);
    let share = |k: &str| mix.get(k).copied().unwrap_or(0) as f64 / 20_000.0;
    assert!((share("read") - 0.60).abs() < 0.02, "{mix:?}");
    assert!((share("write") - 0.30).abs() < 0.02, "{mix:?}");
    assert!((share("txn") - 0.10).abs() < 0.02, "{mix:?}");
    assert_eq!(
        homes.keys().copied().collect::<Vec<_>>(),
        vec![DcId(1), DcId(3)]
    );
}

#[test]
fn zipf_concentrates_on_the_first_keys_and_uniform_does_not() {
    let (_, zipf, _) = sample(KeyDistribution::Zipf, 20_000);
    let (_, uni, _) = sample(KeyDistribution::Uniform, 20_000);
    let total: usize = zipf.iter().sum();
    // Zipf(1) over 100 keys: P(k0) = 1/H(100) ≈ 0.193.
    let p0 = zipf[0] as f64 / total as f64;
    assert!((p0 - 0.193).abs() < 0.02, "{p0}");
    assert!(zipf[0] > 5 * zipf[9]);
    let ut: usize = uni.iter().sum();
    assert!(
        uni.iter().all(|&c| (c as f64 / ut as f64) < 0.02),
        "uniform has no hot key"
    );
}

#[test]
fn the_arrival_rate_matches_ops_per_second() {
    let mut c = SimConfig::default();
    c.workload.ops_per_sec = 250;
    let mut w = Workload::new(Rng::new(1), &c.workload);
    let total_us: u64 = (0..10_000).map(|_| w.gap_us(250)).sum();
    let rate = 10_000.0 / (total_us as f64 / 1e6);
    assert!((rate - 250.0).abs() < 10.0, "{rate}");
}
