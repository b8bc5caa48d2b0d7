//! The settings schema (`fields::FIELDS`): every bound and parser is used the same way by
//! the URL parameters, the settings form and `SimConfig::validate`.

use tablestore_sim::config::{KeyDistribution, PlacementKind, ReadPolicy, SimConfig};
use tablestore_sim::fields::{self, FieldError, Kind, FIELDS};
use tablestore_sim::scenario::{config_from_query, settings_from_query, settings_from_query_with};

#[test]
fn every_numeric_field_round_trips_at_its_bounds_and_refuses_past_them() {
    for f in &FIELDS {
        let Kind::Num { min, max, get, set } = f.kind else {
            continue;
        };
        for v in [min, max] {
            let mut c = SimConfig::default();
            set(&mut c, v);
            assert_eq!(get(&c), v, "{} at {v}", f.key);
            assert_eq!(f.parse_num(&format!(" {v} ")), Ok(v), "{}", f.key);
        }
        if min > 0 {
            assert_eq!(
                f.parse_num(&(min - 1).to_string()),
                Err(FieldError::OutOfRange {
                    value: min - 1,
                    min,
                    max
                })
            );
        }
        if max < u64::MAX {
            let e = f.parse_num(&(max + 1).to_string()).unwrap_err();
            assert!(f.form_message(&e, "").starts_with(f.label), "{}", f.key);
            assert!(
                f.url_message(&e, "").contains("must be between"),
                "{}",
                f.key
            );
        }
        assert_eq!(f.parse_num("soon"), Err(FieldError::NotANumber));
    }
}

#[test]
fn the_default_config_shows_and_reads_back_every_field() {
    let base = SimConfig::default();
    assert!(base.validate().is_ok());
    // `mode` sets every table at once (a URL switch); the default's tables differ.
    for f in FIELDS.iter().filter(|f| f.key != "mode") {
        let mut c = base.clone();
        f.apply(&mut c, &f.text(&base))
            .unwrap_or_else(|e| panic!("{}: {e:?}", f.key));
        assert_eq!(c, base, "{} reads back what it shows", f.key);
    }
}

#[test]
fn keys_and_parameters_are_unique() {
    for (i, f) in FIELDS.iter().enumerate() {
        assert!(FIELDS[..i].iter().all(|o| o.key != f.key), "{}", f.key);
        if let Some(p) = f.param {
            assert!(FIELDS[..i].iter().all(|o| o.param != Some(p)), "{p}");
            assert_eq!(fields::by_param(p).map(|x| x.key), Some(f.key));
        }
        assert_eq!(fields::field(f.key).map(|x| x.label), Some(f.label));
    }
}

#[test]
fn words_use_the_cores_parsers_not_silent_defaults() {
    let mut c = SimConfig::default();
    let placement = fields::field("placement").unwrap();
    placement.apply(&mut c, "ring").unwrap();
    assert_eq!(c.placement, PlacementKind::Ring);
    let before = c.clone();
    let e = placement.apply(&mut c, "banana").unwrap_err();
    assert!(matches!(e, FieldError::Invalid(_)));
    assert_eq!(c, before, "a refused word changes nothing");
    for key in ["read_policy", "read_consistency", "distribution", "mode"] {
        let f = fields::field(key).unwrap();
        assert!(f.apply(&mut c, "banana").is_err(), "{key}");
    }
    fields::field("read_policy")
        .unwrap()
        .apply(&mut c, "nearest")
        .unwrap();
    assert_eq!(c.read_policy, ReadPolicy::Nearest);
    fields::field("distribution")
        .unwrap()
        .apply(&mut c, "uniform")
        .unwrap();
    assert_eq!(c.workload.distribution, KeyDistribution::Uniform);
}

#[test]
fn validate_reports_a_bound_under_the_fields_key() {
    let c = SimConfig {
        heartbeat_interval_ms: 10,
        ..SimConfig::default()
    };
    let e = c.validate().unwrap_err();
    assert_eq!(e.field().as_deref(), Some("heartbeat_interval_ms"));
    assert!(e.to_string().contains("50 to 10000 ms"), "{e}");
    let c = SimConfig {
        jitter_ms: 5_000,
        ..SimConfig::default()
    };
    assert_eq!(
        c.validate().unwrap_err().field().as_deref(),
        Some("jitter_ms")
    );
}

#[test]
fn url_parameters_keep_their_names_and_meanings() {
    let c = config_from_query(
        "?seed=7&dcs=6&placement=ring&r=2&vnodes=8&mode=quorum2&rate=50&keys=90&zipf=0&policy=nearest&read=quorum&loss=5&failover=off",
    )
    .unwrap();
    assert_eq!(c.seed, 7);
    assert_eq!(c.dcs.len(), 6);
    assert_eq!(c.placement, PlacementKind::Ring);
    assert_eq!(c.replication_factor, 2);
    assert_eq!(c.vnodes, 8);
    assert_eq!(c.workload.ops_per_sec, 50);
    assert_eq!(c.workload.keys, 90);
    assert_eq!(c.workload.distribution, KeyDistribution::Uniform);
    assert_eq!(c.loss_permille, 5);
    assert!(!c.failover);
    // `dcs` applies first wherever it stands: the other parameters act on those DCs.
    let a = config_from_query("?r=2&dcs=3").unwrap();
    let b = config_from_query("?dcs=3&r=2").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.replication_factor, 2);
    assert!(config_from_query("?r=4&dcs=3").is_err());
    // Each DC count gives exactly the catalogue config.
    for n in 2..=16 {
        let c = config_from_query(&format!("?dcs={n}")).unwrap();
        assert_eq!(c, SimConfig::with_dcs(n));
    }
    let e = config_from_query("?colour=red").unwrap_err();
    assert!(
        e.0.ends_with("Known: seed, dcs, placement, r, vnodes, mode, rate, keys, zipf, policy, read, loss, failover."),
        "{e}"
    );
    let e = config_from_query("?vnodes=many").unwrap_err();
    assert_eq!(e.0, "URL parameter vnodes=many is not a number.");
    let e = config_from_query("?loss=900").unwrap_err();
    assert_eq!(e.0, "URL parameter loss=900 must be between 0 and 500.");
}

#[test]
fn a_link_with_bad_parameters_keeps_the_valid_ones_and_names_every_bad_one() {
    let q = settings_from_query("?seed=7&colour=red&dcs=99&rate=50&mode=fast&size=xl&keys=90");
    assert!(!q.defaults_only);
    // The valid ones are applied...
    assert_eq!(q.cfg.seed, 7);
    assert_eq!(q.cfg.workload.ops_per_sec, 50);
    assert_eq!(q.cfg.workload.keys, 90);
    // ...the refused ones keep their defaults...
    assert_eq!(q.cfg.dcs.len(), SimConfig::default().dcs.len());
    assert_eq!(q.cfg.tables, SimConfig::default().tables);
    // ...and each refused one is named, once, in one list of messages.
    let all = q.problems.join(" ");
    assert_eq!(q.problems.len(), 3, "{all}");
    assert!(all.contains("dcs=99"), "{all}");
    assert!(all.contains("fast"), "{all}");
    assert!(
        all.contains("Unknown URL parameters colour, size."),
        "{all}"
    );
    // The strict form refuses the link with the same messages.
    assert_eq!(
        config_from_query("?seed=7&colour=red&dcs=99&rate=50&mode=fast&size=xl&keys=90")
            .unwrap_err()
            .0,
        all
    );
    // Valid parameters that break a rule together fall back to the defaults, and say why.
    let q = settings_from_query("?dcs=3&r=4&seed=9");
    assert!(q.defaults_only);
    assert_eq!(q.cfg, SimConfig::default());
    assert_eq!(q.problems.len(), 1);
    // A clean link has no problem.
    let q = settings_from_query("?seed=3&dcs=4");
    assert!(q.problems.is_empty() && !q.defaults_only);
    assert_eq!(q.cfg.dcs.len(), 4);
}

#[test]
fn a_page_reads_its_own_parameters_and_the_settings_skip_them() {
    let page = ["embed", "tab"];
    let q = settings_from_query_with("?embed=txn&seed=4&tab=bogus&colour=red", &page);
    assert_eq!(q.cfg.seed, 4);
    // The page's parameters are neither settings nor unknown (their values are the
    // page's to check), and the message about an unknown one lists them as known.
    assert_eq!(q.problems.len(), 1, "{:?}", q.problems);
    assert!(
        q.problems[0].starts_with("Unknown URL parameter colour. Known: seed,"),
        "{}",
        q.problems[0]
    );
    assert!(
        q.problems[0].ends_with("failover, embed, tab."),
        "{}",
        q.problems[0]
    );
    // Without the page's list they are unknown, as before.
    let q = settings_from_query("?embed=txn&seed=4");
    assert!(
        q.problems[0].contains("Unknown URL parameter embed."),
        "{:?}",
        q.problems
    );
}

/// docs/URL.md has one row per URL parameter of `FIELDS`, giving its bounds (numbers) or
/// choices (words) and its default as the code has them, so the table a teacher reads
/// stays true. (The page's own parameters are checked by tests/web.rs.)
#[test]
fn the_url_doc_gives_every_setting_parameter_its_bounds_and_default() {
    let doc = include_str!("../../docs/URL.md");
    let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with("| `")).collect();
    let defaults = SimConfig::default();
    let mut problems = Vec::new();
    for f in &FIELDS {
        let Some(p) = f.param else {
            continue;
        };
        let Some(row) = rows.iter().find(|r| r.starts_with(&format!("| `{p}` |"))) else {
            problems.push(format!("no row for `{p}`"));
            continue;
        };
        let mut want = vec![format!("`{}`", f.text(&defaults))];
        match f.kind {
            Kind::Num { min, max, .. } => want.push(format!("{min} to {max}")),
            Kind::Word { options, .. } => {
                want.extend(options.iter().map(|(v, _)| format!("`{v}`")));
            }
            Kind::Flag { .. } => {}
        }
        for w in want {
            if !row.contains(&w) {
                problems.push(format!("the row of `{p}` lacks {w}: {row}"));
            }
        }
    }
    assert!(problems.is_empty(), "docs/URL.md:\n{}", problems.join("\n"));
}
