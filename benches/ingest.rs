//! Parse + clean + RFM throughput: the real 2009-2010 sheet (.csv.gz) and generated rows of the
//! size of the full real file. Inputs are held in memory so that disk speed does not count.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rfm_studio::core::generate::{GeneratorConfig, REAL_ROWS, generate_transactions};
use rfm_studio::core::ingest::{IngestOptions, read_transactions};
use rfm_studio::core::rfm::RfmTable;

const REAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/online_retail_II_2009_2010.csv.gz"
);

fn rfm_of(bytes: &[u8]) -> usize {
    let ingested = read_transactions(
        &mut Cursor::new(bytes),
        None,
        &IngestOptions::default(),
        &mut |_, _| {},
    )
    .expect("ingest");
    RfmTable::from_ingested(&ingested, None)
        .expect("rfm")
        .customers
        .len()
}

fn ingest_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_clean_rfm");
    group.sample_size(10);
    let real = std::fs::read(REAL).expect("shared data");
    group.throughput(Throughput::Bytes(real.len() as u64));
    group.bench_function("real_2009_2010_csv_gz", |b| {
        b.iter(|| black_box(rfm_of(&real)))
    });
    let mut generated = Vec::new();
    generate_transactions(
        &GeneratorConfig {
            rows: REAL_ROWS,
            seed: 0,
            customers: None,
        },
        &mut generated,
    )
    .expect("generate");
    group.throughput(Throughput::Bytes(generated.len() as u64));
    group.bench_function("generated_1067371_rows_csv", |b| {
        b.iter(|| black_box(rfm_of(&generated)))
    });
    group.finish();
}

criterion_group!(benches, ingest_benches);
criterion_main!(benches);
