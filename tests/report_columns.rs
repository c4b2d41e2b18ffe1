//! The report crosses from the worker to the page as flat columns (transferred typed arrays) and
//! a small JSON document: nothing may be lost or changed on the way.

mod support;

use std::io::Cursor;

use rfm_studio::core::pipeline::{
    ColumnsError, CustomerColumns, PipelineOptions, Report, run_blocking,
};

fn report() -> Report {
    let bytes = support::retail_rfm_table(300, 5);
    let options = PipelineOptions {
        stability_rounds: 2,
        tsne_iterations: 250,
        ..PipelineOptions::default()
    };
    run_blocking(
        &mut Cursor::new(bytes.as_slice()),
        None,
        &options,
        &mut |_| {},
    )
    .expect("the pipeline runs")
}

#[test]
fn a_report_split_into_columns_and_restored_is_unchanged() {
    let report = report();
    let mut sent = report.clone();
    let columns = CustomerColumns::take_from(&mut sent).unwrap();
    // What is left travels as JSON: nothing per customer.
    assert!(sent.customers.is_empty() && sent.pca.is_empty() && sent.latent.is_empty());
    assert!(sent.variants.iter().all(|v| v.labels.is_empty()));
    assert_eq!(columns.id_ends.len(), 300);
    assert_eq!(columns.labels.len(), 6);
    columns.restore_into(&mut sent).unwrap();
    assert_eq!(sent, report);
}

#[test]
fn columns_that_disagree_are_refused() {
    let report = report();
    let mut sent = report.clone();
    let mut columns = CustomerColumns::take_from(&mut sent).unwrap();
    columns.monetary.pop();
    assert_eq!(
        columns.restore_into(&mut sent),
        Err(ColumnsError::Inconsistent("lengths"))
    );
    let mut sent = report.clone();
    let mut columns = CustomerColumns::take_from(&mut sent).unwrap();
    columns.segments[0] = 200;
    assert_eq!(
        columns.restore_into(&mut sent),
        Err(ColumnsError::Inconsistent("segment codes"))
    );
}
