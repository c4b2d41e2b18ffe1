//! `generate --customers N`: a population of exactly N customers, heavy-tailed like the real
//! sheet, as transactions or as the RFM table the ingest computes from those transactions.

use std::io::Cursor;

use rfm_studio::core::generate::{
    GenerationSummary, PopulationConfig, PopulationOutput, generate_population,
};
use rfm_studio::core::ingest::{CustomerTotals, IngestOptions, InputKind, read_transactions};

fn population(customers: u32, seed: u64, output: PopulationOutput) -> (Vec<u8>, GenerationSummary) {
    let mut out = Vec::new();
    let config = PopulationConfig {
        customers,
        seed,
        output,
    };
    let summary = generate_population(&config, &mut out).expect("writing to memory");
    (out, summary)
}

fn read(bytes: &[u8]) -> (InputKind, Vec<CustomerTotals>) {
    let ingested = read_transactions(
        &mut Cursor::new(bytes),
        None,
        &IngestOptions::default(),
        &mut |_, _| {},
    )
    .expect("the generated file reads");
    (ingested.report.input_kind, ingested.customers)
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for output in [PopulationOutput::Transactions, PopulationOutput::Rfm] {
        let (first, _) = population(300, 5, output);
        assert_eq!(first, population(300, 5, output).0);
        assert_ne!(first, population(300, 6, output).0);
    }
}

#[test]
fn rfm_table_has_exactly_n_heavy_tailed_customers() {
    let n = 20_000;
    let (bytes, summary) = population(n, 1, PopulationOutput::Rfm);
    assert_eq!(summary.rows, u64::from(n));
    assert!(bytes.starts_with(b"customer_id,recency,frequency,monetary\n"));
    let (kind, customers) = read(&bytes);
    assert_eq!(kind, InputKind::AggregatedRfm);
    assert_eq!(customers.len(), n as usize);
    let mut frequency: Vec<u32> = customers.iter().map(|c| c.frequency).collect();
    frequency.sort_unstable();
    let once = frequency.iter().filter(|&&f| f == 1).count() as f64 / f64::from(n);
    // the real 2009-2010 sheet: 33% buy once, median 2, max 205 of 4,312 customers
    assert!((0.28..=0.38).contains(&once), "one-invoice share {once}");
    assert!((2..=3).contains(&frequency[frequency.len() / 2]));
    assert!(*frequency.last().unwrap() >= 100, "max {frequency:?}");
    let mut monetary: Vec<f64> = customers.iter().map(|c| c.monetary).collect();
    monetary.sort_by(f64::total_cmp);
    let mean = monetary.iter().sum::<f64>() / monetary.len() as f64;
    assert!(
        mean > 1.5 * monetary[monetary.len() / 2],
        "monetary right-skewed"
    );
    assert!(customers.iter().all(|c| (1..=739).contains(&c.recency)));
}

#[test]
fn transactions_read_back_to_the_same_rfm_table() {
    let n = 3_000;
    let (transactions, summary) = population(n, 11, PopulationOutput::Transactions);
    let rows_per_customer = summary.rows as f64 / f64::from(n);
    assert!(
        (17.0..=23.0).contains(&rows_per_customer),
        "{rows_per_customer} rows per customer"
    );
    let guest_share = summary.guest_rows as f64 / summary.rows as f64;
    let cancellation_share = summary.cancellation_rows as f64 / summary.rows as f64;
    assert!(
        (0.17..=0.27).contains(&guest_share),
        "guest share {guest_share}"
    );
    assert!(
        (0.01..=0.03).contains(&cancellation_share),
        "cancellations {cancellation_share}"
    );
    let (kind, from_transactions) = read(&transactions);
    assert_eq!(kind, InputKind::Transactions);
    assert_eq!(from_transactions.len(), n as usize);

    let (table, _) = population(n, 11, PopulationOutput::Rfm);
    let (_, from_table) = read(&table);
    assert_eq!(from_table.len(), n as usize);
    // The table counts recency from the day after the span; the ingest from the day after the
    // file's last purchase: one shift for every customer.
    let shift = from_table[0].recency - from_transactions[0].recency;
    for (ours, theirs) in from_table.iter().zip(&from_transactions) {
        assert_eq!(ours.customer_id, theirs.customer_id);
        assert_eq!(ours.frequency, theirs.frequency, "{}", ours.customer_id);
        assert_eq!(ours.recency - shift, theirs.recency, "{}", ours.customer_id);
        assert!(
            (ours.monetary - theirs.monetary).abs() <= 0.005 + 1e-9 * theirs.monetary,
            "{}: {} vs {}",
            ours.customer_id,
            ours.monetary,
            theirs.monetary
        );
    }
}
