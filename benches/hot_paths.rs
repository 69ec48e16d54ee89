//! Criterion benchmarks of the per-call hot paths: parsing a canonical line,
//! pricing a call, simulating the prompt cache, and aggregating.
//!
//!     cargo bench --bench hot_paths
//!
//! End-to-end figures (whole files, peak memory) come from `benches/run.sh`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

use costsim::cache::{PromptShape, ScopeCache};
use costsim::ingest::canonical::parse_line;
use costsim::pricing::{load_embedded, PricingDate, Ttl};
use costsim::report::aggregate::{Aggregator, GroupTotals};
use costsim::scenario::Placement;

const PLAIN: &str = r#"{"ts":"2026-03-01T12:00:00.000Z","model":"claude-sonnet-4-5","account":"prod","session":"run-42","step":3,"tags":{"team":"search"},"usage":{"input":1200,"cache_read":24000,"output":800},"id":"req_01"}"#;
const SEGMENTS: &str = r#"{"account":"default","id":"bench-0-0-3","model":"claude-sonnet-4-5","prompt":{"segments":[{"cache":"5m","id":"bench-system","tokens":4000},{"id":"bench-0-0-user","tokens":300},{"id":"bench-0-0-1","tokens":1500},{"id":"bench-0-0-2","tokens":1500}]},"session":"bench-0-0","step":3,"ts":"2026-03-01T00:01:00.000Z","usage":{"input":7300,"output":600}}"#;

fn parsing(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse canonical line");
    g.throughput(Throughput::Elements(1));
    g.bench_function("plain", |b| {
        b.iter(|| parse_line(black_box(PLAIN.as_bytes())).unwrap())
    });
    g.bench_function("with prompt segments", |b| {
        b.iter(|| parse_line(black_box(SEGMENTS.as_bytes())).unwrap())
    });
    g.finish();
}

fn pricing(c: &mut Criterion) {
    let catalog = load_embedded().unwrap();
    let call = parse_line(PLAIN.as_bytes()).unwrap();
    let mut g = c.benchmark_group("price one call");
    g.throughput(Throughput::Elements(1));
    g.bench_function("resolve model", |b| {
        b.iter(|| catalog.resolve_index(black_box("claude-sonnet-4-5-20250929")))
    });
    let model = catalog.resolve("claude-sonnet-4-5").unwrap();
    g.bench_function("price usage", |b| {
        b.iter(|| {
            model.price(
                black_box(&call.usage),
                1,
                false,
                &call.options,
                PricingDate::AtCall,
                call.ts,
            )
        })
    });
    g.finish();
}

fn cache_simulation(c: &mut Criterion) {
    let catalog = load_embedded().unwrap();
    let rules = &catalog.resolve("claude-sonnet-4-5").unwrap().cache;
    // A 10-step agent session replayed over and over: each step's prompt
    // extends the previous one, as in the synth benchmark data.
    let shapes: Vec<PromptShape> = (0..10u64)
        .map(|step| {
            let line = SEGMENTS.replace("\"step\":3", &format!("\"step\":{}", step + 1));
            PromptShape::of(&parse_line(line.as_bytes()).unwrap(), step)
        })
        .collect();
    let mut g = c.benchmark_group("cache simulation");
    g.throughput(Throughput::Elements(shapes.len() as u64));
    g.bench_function("10-step session, segments", |b| {
        let mut cache = ScopeCache::new(rules, Ttl::FIVE_MINUTES, Placement::End, 0);
        let mut now = 0i64;
        b.iter(|| {
            for shape in &shapes {
                now += 30_000;
                black_box(cache.call(now, shape));
            }
        })
    });
    g.finish();
}

fn aggregation(c: &mut Criterion) {
    let totals = GroupTotals {
        calls: 1,
        ..GroupTotals::default()
    };
    let mut g = c.benchmark_group("aggregate");
    const CALLS: u64 = 100_000;
    g.throughput(Throughput::Elements(CALLS));
    for groups in [10u64, 100_000] {
        g.bench_function(format!("{CALLS} calls into {groups} groups"), |b| {
            let keys: Vec<String> = (0..groups).map(|i| format!("session-{i}")).collect();
            b.iter(|| {
                let mut agg = Aggregator::new(1);
                for i in 0..CALLS {
                    agg.push_totals(vec![keys[(i % groups) as usize].clone()], &totals)
                        .unwrap();
                }
                black_box(agg.finish().unwrap().len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, parsing, pricing, cache_simulation, aggregation);
criterion_main!(benches);
