//! The pipeline's "Customer value" stage on the real 2009-2010 sheet: its per-customer
//! predictions are `core::clv` called directly (checked against lifetimes in
//! tests/clv_reference.rs), its migration rows add up to the earlier date's segments, and above
//! the sample size it fits on exactly the run's sample yet predicts every customer.

mod support;

use std::io::Cursor;

use chrono::NaiveDate;
use rfm_studio::core::clv::diagnostics::holdout_comparison;
use rfm_studio::core::clv::{
    ClvOptions, CustomerValue, bgnbd, calibration_and_holdout, fit_customer_value, gamma_gamma,
    predict, summarize,
};
use rfm_studio::core::cohorts::cohort_retention;
use rfm_studio::core::export::{churn_risk_csv, labels_csv, migration_csv};
use rfm_studio::core::pipeline::{
    CustomerColumns, HISTOGRAM_BINS, NEW_CUSTOMER, PipelineOptions, Report, run_blocking,
    segment_code,
};
use rfm_studio::core::rfm::RfmTable;
use rfm_studio::core::roi::campaign::{retained_value, segment_audiences};
use rfm_studio::core::warehouse::SegmentModel;

/// Options for the real sheet with the sampled stages kept short.
fn short_options(sample_size: usize) -> PipelineOptions {
    PipelineOptions {
        sample_size,
        k_sweep: false,
        stability_rounds: 2,
        tsne_iterations: 250,
        ..PipelineOptions::default()
    }
}

fn run_real_sheet(options: &PipelineOptions) -> Report {
    let bytes = std::fs::read(support::real_sheet_path()).expect("the real sheet in tests/data");
    run_blocking(
        &mut Cursor::new(bytes.as_slice()),
        None,
        options,
        &mut |_| {},
    )
    .expect("the pipeline runs")
}

#[test]
fn below_the_sample_size_the_stage_is_core_clv_on_every_customer() {
    let report = run_real_sheet(&short_options(PipelineOptions::default().sample_size));
    let value = report
        .value
        .as_ref()
        .expect("the real sheet has purchase dates");
    assert_eq!(report.value_note, None);
    assert_eq!((value.customers, value.fitted_on), (4312, 4312));
    assert!(!value.is_sampled());

    let ingested = support::read_real_sheet();
    let snapshot = ingested.report.snapshot_date.unwrap();
    let summaries = summarize(&ingested.customers, snapshot).unwrap();
    let direct = fit_customer_value(&summaries, &ClvOptions::default()).unwrap();
    assert_eq!(value.purchases, direct.purchases);
    assert_eq!(value.spend.as_ref(), Some(&direct.spend));
    assert_eq!(value.spend_note, None);
    for (i, (customer, expected)) in report.customers.iter().zip(&direct.customers).enumerate() {
        assert_eq!(customer.id, expected.summary.customer_id);
        assert_eq!(value.p_alive[i], expected.p_alive, "{}", customer.id);
        assert_eq!(
            value.expected_purchases[i], expected.expected_purchases,
            "{}",
            customer.id
        );
        assert_eq!(value.clv[i], expected.clv, "{}", customer.id);
    }
    assert_eq!(
        value.cohorts,
        cohort_retention(&ingested.customers).unwrap()
    );
    let observed: usize = value
        .frequency_histogram
        .iter()
        .map(|bin| bin.observed_customers)
        .sum();
    assert_eq!(observed, 4312);

    // Migration from the default earlier date: each row adds up to that segment's customers
    // as of the earlier date, new customers are their own row, and the per-customer column
    // agrees with the rows.
    let migration = value.migration.as_ref().expect("migration");
    assert!(
        migration.customers.is_empty(),
        "per customer it is a column"
    );
    let earlier = RfmTable::as_of(&ingested, migration.earlier_date).unwrap();
    for (row, (segment, count)) in migration.rows.iter().zip(earlier.segment_counts()) {
        assert_eq!(row.to_customers.iter().sum::<usize>(), count, "{segment:?}");
        assert_eq!(row.customers, count, "{segment:?}");
        let coded = value
            .migration_before
            .iter()
            .filter(|&&code| code == segment_code(segment))
            .count();
        assert_eq!(coded, count, "{segment:?}");
    }
    let new = migration.rows.last().unwrap();
    assert_eq!(new.customers, 4312 - earlier.customers.len());

    // The holdout check is the purchase model refitted on the purchases up to the earlier date
    // and compared on those after it, as core::clv computes them directly.
    let holdout = value.holdout.as_ref().expect("a holdout check");
    let last = ingested.report.last_date.unwrap().date();
    let split = calibration_and_holdout(&ingested.customers, migration.earlier_date, last).unwrap();
    let calibration: Vec<_> = split.iter().map(|c| c.calibration.clone()).collect();
    assert_eq!(holdout.purchases, bgnbd::fit(&calibration).unwrap());
    assert_eq!(holdout.calibration_end, migration.earlier_date);
    let days = (last - migration.earlier_date).num_days() as f64;
    assert_eq!(
        holdout.bins,
        holdout_comparison(&holdout.purchases.params, &split, days, HISTOGRAM_BINS).unwrap()
    );
    assert_eq!(
        holdout.bins.iter().map(|b| b.customers).sum::<usize>(),
        earlier.customers.len()
    );

    // Each variant's model assigns its own customers as the scoring SQL does on real engines
    // (README, "When your data outgrows one tab"): KMeans and mixtures exactly, the
    // autoencoder's to float ties, Ward by the nearest sub-cluster mean (at most 1% moved).
    let raw: Vec<[f64; 3]> = report
        .customers
        .iter()
        .map(|c| [c.recency, c.frequency, c.monetary])
        .collect();
    for variant in &report.variants {
        let model = SegmentModel::from_report(&report, &variant.name).unwrap();
        let moved = model
            .assign(&raw)
            .iter()
            .zip(&variant.labels)
            .filter(|(a, b)| a != b)
            .count();
        let allowed = match variant.name.as_str() {
            "AGGLO_PCA" | "AGGLO_AE" => 43,
            "KM_AE" | "GMM_AE" => 4,
            _ => 0,
        };
        assert!(moved <= allowed, "{}: {moved} moved", variant.name);
    }

    // The clusters' migration: the earlier date's customers by the cluster the end's model
    // gives them, the new customers as the last row, every customer once.
    assert_eq!(value.cluster_migrations.len(), report.variants.len());
    let earlier_raw: Vec<[f64; 3]> = earlier
        .customers
        .iter()
        .map(|c| [f64::from(c.recency), f64::from(c.frequency), c.monetary])
        .collect();
    for (variant, moved) in report.variants.iter().zip(&value.cluster_migrations) {
        assert_eq!(moved.variant, variant.name);
        let model = SegmentModel::from_report(&report, &variant.name).unwrap();
        let before = model.assign(&earlier_raw);
        let k = report.options.k;
        assert_eq!(moved.to_customers.len(), k + 1);
        for cluster in 0..k {
            let expected = before.iter().filter(|&&c| c == cluster).count();
            let row: usize = moved.to_customers[cluster].iter().sum();
            assert_eq!(row, expected, "{} cluster {cluster}", variant.name);
        }
        assert_eq!(moved.to_customers[k].iter().sum::<usize>(), new.customers);
        for after in 0..k {
            let column: usize = moved.to_customers.iter().map(|row| row[after]).sum();
            let labelled = variant.labels.iter().filter(|&&l| l == after).count();
            assert_eq!(column, labelled, "{} end cluster {after}", variant.name);
        }
        let revenue: f64 = moved.to_revenue.iter().flatten().sum();
        let segments_revenue: f64 = migration.rows.iter().flat_map(|r| &r.to_revenue).sum();
        assert!((revenue - segments_revenue).abs() <= 1e-6 * segments_revenue);
    }
    let coded_new = value
        .migration_before
        .iter()
        .filter(|&&code| code == NEW_CUSTOMER)
        .count();
    assert_eq!(coded_new, new.customers);

    // The downloads: the customers CSV carries the predictions, the migration CSV every
    // customer's before and after segment.
    let customers_csv = labels_csv(&report, &[0]);
    let (header, first) = customers_csv.split_once('\n').unwrap();
    assert!(
        header.ends_with(",p_alive,expected_purchases,clv"),
        "{header}"
    );
    assert!(first.trim_end().ends_with(&format!(
        ",{},{},{}",
        value.p_alive[0], value.expected_purchases[0], value.clv[0]
    )));
    let risk = churn_risk_csv(&report, &[0]);
    assert_eq!(
        risk.lines().nth(1).unwrap(),
        format!(
            "{},{},{},{},{},{}",
            report.customers[0].id,
            report.customers[0].segment,
            value.p_alive[0],
            value.expected_purchases[0],
            value.clv[0],
            value.clv[0] * (1.0 - value.p_alive[0])
        )
    );
    let moved = migration_csv(&report);
    assert_eq!(moved.lines().count(), 4313);
    assert_eq!(
        moved
            .lines()
            .filter(|line| line.contains(",New customer,"))
            .count(),
        new.customers
    );

    // The ROI view's audiences: every customer once, and a segment's retained value is
    // campaign::retained_value of its customers' direct predictions.
    let audiences = segment_audiences(&report);
    assert_eq!(audiences.iter().map(|a| a.customers).sum::<usize>(), 4312);
    for audience in &audiences {
        let members: Vec<&CustomerValue> = report
            .customers
            .iter()
            .zip(&direct.customers)
            .filter(|(c, _)| c.segment == audience.segment)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(members.len(), audience.customers);
        let expected = retained_value(&members);
        assert!(
            (audience.retained_value - expected).abs() <= 1e-12 * expected.abs(),
            "{}: {} vs {expected}",
            audience.segment,
            audience.retained_value
        );
    }

    // The value columns cross to the page with the others and come back unchanged.
    let mut sent = report.clone();
    let columns = CustomerColumns::take_from(&mut sent).unwrap();
    let left = sent.value.as_ref().unwrap();
    assert!(left.p_alive.is_empty() && left.clv.is_empty() && left.migration_before.is_empty());
    assert_eq!(columns.clv.len(), 4312);
    columns.restore_into(&mut sent).unwrap();
    assert_eq!(sent, report);
}

#[test]
fn above_the_sample_size_the_fit_uses_exactly_the_sample_and_predicts_everyone() {
    // A chosen migration date and a half-year horizon.
    let chosen = NaiveDate::from_ymd_opt(2010, 6, 30).unwrap();
    let options = PipelineOptions {
        clv: ClvOptions {
            horizon_days: 180.0,
            monthly_discount_rate: 0.02,
        },
        migration_date: Some(chosen),
        ..short_options(1_000)
    };
    let report = run_real_sheet(&options);
    let value = report.value.as_ref().expect("customer value");
    assert!(value.is_sampled());
    assert_eq!(value.fitted_on, report.sample.size);
    assert_eq!(value.options, options.clv);
    assert_eq!(value.migration.as_ref().unwrap().earlier_date, chosen);
    assert_eq!(value.holdout.as_ref().unwrap().calibration_end, chosen);
    assert_eq!(value.customers, 4312);

    let ingested = support::read_real_sheet();
    let summaries = summarize(&ingested.customers, ingested.report.snapshot_date.unwrap()).unwrap();
    let sample: Vec<_> = report
        .sample_rows
        .iter()
        .map(|&i| summaries[i].clone())
        .collect();
    assert_eq!(sample.len(), report.sample.size);
    let purchases = bgnbd::fit(&sample).unwrap();
    let spend = gamma_gamma::fit(&sample).unwrap();
    assert_eq!(value.purchases, purchases);
    assert_eq!(value.spend.as_ref(), Some(&spend));

    let everyone = predict(&summaries, &purchases.params, &spend.params, &options.clv).unwrap();
    assert_eq!(value.p_alive.len(), 4312);
    for (i, expected) in everyone.iter().enumerate() {
        assert_eq!(value.p_alive[i], expected.p_alive);
        assert_eq!(value.expected_purchases[i], expected.expected_purchases);
        assert_eq!(value.clv[i], expected.clv);
    }
}

#[test]
fn an_aggregated_rfm_table_has_no_customer_value_and_says_why() {
    let bytes = support::retail_rfm_table(300, 5);
    let options = PipelineOptions {
        stability_rounds: 2,
        tsne_iterations: 250,
        k_sweep: false,
        ..PipelineOptions::default()
    };
    let report = run_blocking(
        &mut Cursor::new(bytes.as_slice()),
        None,
        &options,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(report.value, None);
    let note = report.value_note.expect("a reason");
    assert!(note.contains("no purchase dates"), "{note}");
}
