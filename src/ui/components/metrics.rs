//! Metrics over simulated time: small line plots of `Snapshot::metrics` (one point per
//! simulated second). Invariant: re-renders only when a new point arrives (the App keeps
//! the `Rc` while the series is unchanged).

use crate::sim::{DcId, MetricPoint};
use crate::ui::components::el::f1;
use crate::ui::fmt;
use crate::ui::state::Topo;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

const PW: f64 = 300.0;
const PH: f64 = 92.0;
const PAD_L: f64 = 34.0;
const PAD_B: f64 = 14.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub metrics: Rc<Vec<Arc<MetricPoint>>>,
    pub topo: Rc<Topo>,
}

struct Series {
    label: String,
    class: &'static str,
    values: Vec<f64>,
}

fn plot(
    title: &'static str,
    unit: &'static str,
    testid: &'static str,
    xs: &[f64],
    series: Vec<Series>,
) -> Html {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0f64, f64::max);
    let ymax = if max <= 0.0 { 1.0 } else { nice(max) };
    let (x0, x1) = (
        xs.first().copied().unwrap_or(0.0),
        xs.last().copied().unwrap_or(1.0),
    );
    let xspan = (x1 - x0).max(1.0);
    let px = |x: f64| PAD_L + (x - x0) / xspan * (PW - PAD_L - 4.0);
    let py = |y: f64| 4.0 + (1.0 - y / ymax) * (PH - PAD_B - 4.0);
    let lines = series.iter().map(|s| {
        let mut pts = String::new();
        for (x, y) in xs.iter().zip(&s.values) {
            let _ = write!(pts, "{:.1},{:.1} ", px(*x), py(*y));
        }
        html! { <polyline key={s.label.clone()} class={classes!("series", s.class)} points={pts} /> }
    });
    let legend = series.iter().map(|s| {
        let last = s.values.last().copied().unwrap_or(0.0);
        html! {
            <li key={s.label.clone()}><span class={classes!("swatch", "line-swatch", s.class)} />{ format!("{} {}", s.label, trim(last)) }</li>
        }
    });
    html! {
        <figure class="plot" data-testid={testid}>
            <figcaption>{ title }<span class="muted">{ format!(" ({unit})") }</span></figcaption>
            <svg viewBox={format!("0 0 {PW} {PH}")} role="img" aria-label={title}>
                <line class="axis" x1={PAD_L.to_string()} y1={f1(PH - PAD_B)} x2={PW.to_string()} y2={f1(PH - PAD_B)} />
                <line class="grid" x1={PAD_L.to_string()} y1="4" x2={PW.to_string()} y2="4" />
                <text class="tick-label" x={(PAD_L - 4.0).to_string()} y="8">{ trim(ymax) }</text>
                <text class="tick-label" x={(PAD_L - 4.0).to_string()} y={f1(PH - PAD_B)}>{ "0" }</text>
                <text class="tick-label start" x={PAD_L.to_string()} y={PH.to_string()}>{ format!("{:.0} s", x0 / 1000.0) }</text>
                <text class="tick-label end" x={PW.to_string()} y={PH.to_string()}>{ format!("{:.0} s", x1 / 1000.0) }</text>
                { for lines }
            </svg>
            <ul class="plot-legend plain">{ for legend }</ul>
        </figure>
    }
}

/// A round axis maximum ≥ v: 1, 2, 5 × 10^k.
fn nice(v: f64) -> f64 {
    let e = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if v <= m * e {
            return m * e;
        }
    }
    10.0 * e
}

fn trim(v: f64) -> String {
    if v >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[function_component(MetricsPanel)]
pub fn metrics_panel(p: &Props) -> Html {
    let m = &p.metrics;
    if m.is_empty() {
        return html! { <div class="metrics" data-testid="metrics"><p class="muted">{ "The first point appears after one simulated second." }</p></div> };
    }
    let xs: Vec<f64> = m.iter().map(|x| x.t.0 as f64).collect();
    let col = |f: fn(&MetricPoint) -> u32| m.iter().map(|x| f(x) as f64).collect::<Vec<f64>>();
    let s = |label: &str, class: &'static str, values: Vec<f64>| Series {
        label: label.to_string(),
        class,
        values,
    };
    let mut dcs: Vec<DcId> = p.topo.names.iter().map(|n| n.0).collect();
    for pt in m.iter() {
        for (d, _) in &pt.lag_ms {
            if !dcs.contains(d) {
                dcs.push(*d);
            }
        }
    }
    let lag: Vec<Series> = dcs
        .iter()
        .map(|&d| Series {
            label: fmt::dc_name(&p.topo.names, d),
            class: fmt::dc_stroke(d),
            values: m
                .iter()
                .map(|pt| {
                    pt.lag_ms
                        .iter()
                        .find(|x| x.0 == d)
                        .map(|x| x.1 as f64)
                        .unwrap_or(0.0)
                })
                .collect(),
        })
        .collect();
    html! {
        <div class="metrics" data-testid="metrics">
            <p class="caption">{ format!("One point per simulated second; the last {} s.", m.len()) }</p>
            <div class="plots">
                { plot("Throughput", "ops/s", "plot-throughput", &xs, vec![s("ok", "s-ok", col(|x| x.ops_ok)), s("failed", "s-bad", col(|x| x.ops_failed))]) }
                { plot("Latency", "ms", "plot-latency", &xs, vec![s("p50", "s-p50", col(|x| x.p50_ms)), s("p99", "s-p99", col(|x| x.p99_ms))]) }
                { plot("Max replication lag per DC", "ms", "plot-lag", &xs, lag) }
                { plot("Stale reads", "per s", "plot-stale", &xs, vec![s("stale", "s-warn", col(|x| x.stale_reads))]) }
                { plot("Aborted transactions", "per s", "plot-aborted", &xs, vec![s("aborted", "s-bad", col(|x| x.aborted))]) }
                { plot("Transactions in doubt", "participants", "plot-indoubt", &xs, vec![s("in doubt", "s-warn", col(|x| x.in_doubt))]) }
            </div>
        </div>
    }
}
