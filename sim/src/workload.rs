//! The seeded client workload.
//!
//! Invariants: the generator owns a stream forked from the simulation's RNG, so the ops it
//! produces depend only on the seed and the workload settings; arrivals are spaced in
//! microseconds so high rates stay exact; Zipf weights are integers (no floating point can
//! differ between targets). Every value the workload writes is unique within the run (a
//! counter, not a draw), so a history checker can tell which write produced a stored
//! value without trusting the simulator's versions.

use crate::config::{KeyDistribution, SimConfig, WorkloadSpec};
use crate::ids::{DcId, TableId};
use crate::rng::Rng;
use crate::table::{Pk, Text, Value, WriteKind, WriteOp};
use crate::vocab::ClientOp;

/// The seeded generator of client operations.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Its own stream, forked from the simulation's.
    pub rng: Rng,
    /// Cumulative integer weights for Zipf(1) over the keys.
    zipf_cdf: Vec<u64>,
    /// Next arrival, in microseconds of simulated time.
    pub next_at_us: u64,
    /// The last value written (each written cell gets the next one).
    pub last_value: i64,
    /// Key texts (`k7`) made so far, by index, shared by every op naming the key.
    key_names: Vec<Option<Text>>,
    /// Each table's column names as last read from the settings, shared by every write.
    column_names: Vec<Vec<Text>>,
}

impl Workload {
    /// A generator drawing from `rng`, shaped by `spec`.
    pub fn new(rng: Rng, spec: &WorkloadSpec) -> Workload {
        let mut w = Workload {
            rng,
            zipf_cdf: Vec::new(),
            next_at_us: 0,
            last_value: 0,
            key_names: Vec::new(),
            column_names: Vec::new(),
        };
        w.reshape(spec);
        w
    }

    /// Rebuilds the key distribution after a settings change.
    pub fn reshape(&mut self, spec: &WorkloadSpec) {
        self.zipf_cdf.clear();
        if spec.distribution == KeyDistribution::Zipf {
            let mut acc = 0u64;
            for k in 1..=spec.keys as u64 {
                acc += (1u64 << 32) / k;
                self.zipf_cdf.push(acc);
            }
        }
    }

    /// Microseconds until the next arrival: uniform in [1, 2·mean), mean = 1/rate.
    pub fn gap_us(&mut self, rate: u32) -> u64 {
        let mean = 1_000_000 / u64::from(rate.max(1));
        self.rng.range(1, (2 * mean).max(2) - 1)
    }

    /// The next key's index under the configured distribution.
    pub fn key_index(&mut self, spec: &WorkloadSpec) -> u32 {
        match spec.distribution {
            KeyDistribution::Uniform => self.rng.below(u64::from(spec.keys.max(1))) as u32,
            KeyDistribution::Zipf => {
                let total = self.zipf_cdf.last().copied().unwrap_or(1);
                let x = self.rng.below(total);
                self.zipf_cdf.partition_point(|&c| c <= x) as u32
            }
        }
    }

    fn pk(&mut self, cfg: &SimConfig, table: TableId, spec: &WorkloadSpec) -> Pk {
        let t = &cfg.tables[table.0 as usize];
        let i = self.key_index(spec) as usize;
        if self.key_names.len() <= i {
            self.key_names.resize(i + 1, None);
        }
        let name = self.key_names[i].get_or_insert_with(|| format!("k{i}").into());
        // Sized once: a `vec![]` grown by the pushes reallocated per key column.
        let mut pk = Vec::with_capacity(t.pk.len().max(1));
        pk.push(Value::Str(name.clone()));
        for _ in 1..t.pk.len() {
            pk.push(Value::Int(self.rng.below(3) as i64));
        }
        pk
    }

    /// A value never written before in this run.
    fn fresh_value(&mut self) -> Value {
        self.last_value += 1;
        Value::Int(self.last_value)
    }

    fn write(&mut self, cfg: &SimConfig, spec: &WorkloadSpec) -> WriteOp {
        let table = TableId(self.rng.below(cfg.tables.len() as u64) as u16);
        let pk = self.pk(cfg, table, spec);
        let spec_cols = &cfg.tables[table.0 as usize].columns;
        let t = table.0 as usize;
        if self.column_names.len() <= t {
            self.column_names.resize(t + 1, Vec::new());
        }
        // Settings may rename columns: refresh the shared names when they differ.
        let same = self.column_names[t].len() == spec_cols.len()
            && self.column_names[t]
                .iter()
                .zip(spec_cols)
                .all(|(a, b)| **a == **b);
        if !same {
            self.column_names[t] = spec_cols.iter().map(|c| Text::from(c.as_str())).collect();
        }
        let n = self.column_names[t].len();
        let roll = self.rng.below(100);
        let kind = if roll < 80 || n == 0 {
            let mut put = Vec::with_capacity(n);
            for j in 0..n {
                let c = self.column_names[t][j].clone();
                put.push((c, self.fresh_value()));
            }
            WriteKind::Put(put)
        } else if roll < 95 {
            let c = self.column_names[t][self.rng.below(n as u64) as usize].clone();
            WriteKind::Update {
                set: vec![(c, self.fresh_value())],
                delete: vec![],
            }
        } else {
            WriteKind::Delete
        };
        WriteOp { table, pk, kind }
    }

    /// The next operation and the client's home DC, among `members`.
    pub fn next_op(&mut self, cfg: &SimConfig, members: &[DcId]) -> (DcId, ClientOp) {
        let spec = &cfg.workload;
        let homes: Vec<DcId> = if spec.client_dcs.is_empty() {
            members.to_vec()
        } else {
            spec.client_dcs
                .iter()
                .copied()
                .filter(|d| members.contains(d))
                .collect()
        };
        let homes = if homes.is_empty() {
            members.to_vec()
        } else {
            homes
        };
        let home = homes[self.rng.below(homes.len() as u64) as usize];
        let roll = self.rng.below(100) as u32;
        let op = if roll < spec.read_pct {
            let table = TableId(self.rng.below(cfg.tables.len() as u64) as u16);
            ClientOp::Get {
                table,
                pk: self.pk(cfg, table, spec),
            }
        } else if roll < spec.read_pct + spec.write_pct {
            ClientOp::Write(self.write(cfg, spec))
        } else {
            let n = 2 + self.rng.below(2);
            let mut writes: Vec<WriteOp> = Vec::new();
            for _ in 0..n {
                let w = self.write(cfg, spec);
                if !writes.iter().any(|o| o.table == w.table && o.pk == w.pk) {
                    writes.push(w);
                }
            }
            ClientOp::Txn(writes)
        };
        (home, op)
    }
}
