//! Parser throughput on the dev corpus: messages per second on one core, and the time per
//! message at the 99th percentile.
//!
//! `cargo bench --bench parse` (criterion) for the throughput; the p99 is printed by a plain
//! timing pass over every message before criterion runs.

use std::hint::black_box;
use std::time::Instant;

use chrono::DateTime;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use voisinage::parse::{ParseInput, Parser};

fn corpus() -> Vec<(String, String)> {
    let path = std::env::var("VOISINAGE_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/dev.jsonl").to_owned());
    let raw = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read the corpus {path}: {e}"));
    raw.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("corpus line is JSON");
            (
                v["text"].as_str().unwrap_or("").to_owned(),
                v["sent_at"].as_str().unwrap_or("2026-01-01T12:00:00+01:00").to_owned(),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let parser = Parser::embedded();
    let msgs = corpus();
    let inputs: Vec<_> = msgs
        .iter()
        .map(|(t, s)| (t.as_str(), DateTime::parse_from_rfc3339(s).expect("sent_at")))
        .collect();

    // p99 per message: time each message many times and take the per-message median, then the
    // 99th percentile over messages.
    let mut per_msg: Vec<f64> = inputs
        .iter()
        .map(|(t, s)| {
            let mut runs: Vec<f64> = (0..31)
                .map(|_| {
                    let start = Instant::now();
                    black_box(parser.parse(&ParseInput::new(t, *s)));
                    start.elapsed().as_secs_f64()
                })
                .collect();
            runs.sort_by(f64::total_cmp);
            runs[runs.len() / 2]
        })
        .collect();
    per_msg.sort_by(f64::total_cmp);
    let pct = |p: f64| per_msg[((per_msg.len() as f64 * p).ceil() as usize).min(per_msg.len()) - 1] * 1e6;
    println!(
        "per message over {} corpus messages: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        per_msg.len(),
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );

    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(inputs.len() as u64));
    g.bench_function("dev_corpus", |b| {
        b.iter(|| {
            for (t, s) in &inputs {
                black_box(parser.parse(&ParseInput::new(t, *s)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
