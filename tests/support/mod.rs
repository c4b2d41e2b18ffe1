//! What the native tests share: the paths of the data sets in tests/data (see tests/data/NOTICE),
//! the seed project's table, fixture loading, and the cluster tests' helpers.
//!
//! Paths are resolved when a test runs, from `CARGO_MANIFEST_DIR` (cargo sets it for every test
//! it runs), not baked in at compile time with `env!`: the native build cache is shared by every
//! clone on a machine, so a cached test binary may run for a clone other than the one it was
//! built from.
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

pub mod cluster;
pub mod xlsx;

use std::path::PathBuf;

use ndarray::{Array2, Axis};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use rfm_studio::core::ingest::normalised_customer_id;
use serde::de::DeserializeOwned;

/// `relative` inside the repository being tested.
pub fn repo_path(relative: &str) -> PathBuf {
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .expect("CARGO_MANIFEST_DIR is set: run the tests through cargo");
    PathBuf::from(root).join(relative)
}

/// A data set in tests/data.
pub fn data_path(name: &str) -> PathBuf {
    repo_path("tests/data").join(name)
}

/// UCI Online Retail II, sheet "Year 2009-2010", complete (525,461 rows, gzip).
pub fn real_sheet_path() -> PathBuf {
    data_path("online_retail_II_2009_2010.csv.gz")
}

/// The real sheet read with the default options.
pub fn read_real_sheet() -> rfm_studio::core::ingest::Ingested {
    let file = std::fs::File::open(real_sheet_path()).expect("the real sheet in tests/data");
    rfm_studio::core::ingest::read_transactions(
        &mut std::io::BufReader::new(file),
        None,
        &rfm_studio::core::ingest::IngestOptions::default(),
        &mut |_, _| {},
    )
    .expect("ingest")
}

/// A 99-row Online Retail II excerpt with a UTF-8 BOM and month-first dates.
pub fn bom_sample_path() -> PathBuf {
    data_path("online_retail_II_sample_bom_mdy.csv")
}

/// The CDNOW master transactions: another schema (no quantity or price column).
pub fn cdnow_path() -> PathBuf {
    data_path("cdnow_master.csv")
}

/// The seed project's published RFM table with its KM_AE labels, as a file.
pub fn seed_table_path() -> PathBuf {
    data_path("seed_rfm_with_km_ae.csv")
}

/// The seed project's published table: 4,312 customers of the real sheet.
pub struct SeedTable {
    /// Ids as the product normalises them ("12346", where the file has "12346.0").
    pub customer_ids: Vec<String>,
    /// Recency, Frequency, Monetary, one row per customer.
    pub rfm: Array2<f64>,
    /// The seed's KM_AE cluster labels.
    pub km_ae: Vec<usize>,
}

impl SeedTable {
    /// RFM scaled to zero mean and unit population standard deviation, as the seed did.
    pub fn standard_scaled(&self) -> Array2<f64> {
        let mean = self.rfm.mean_axis(Axis(0)).expect("rows");
        let std = self.rfm.std_axis(Axis(0), 0.0);
        (&self.rfm - &mean) / &std
    }
}

/// Reads [`seed_table_path`].
pub fn seed_table() -> SeedTable {
    let path = seed_table_path();
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let (mut customer_ids, mut values, mut km_ae) = (Vec::new(), Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.expect("well-formed row");
        let id = normalised_customer_id(record[0].as_bytes()).expect("a customer id");
        customer_ids.push(String::from_utf8_lossy(id).into_owned());
        values.extend((1..=3).map(|column| record[column].parse::<f64>().expect("numeric RFM")));
        km_ae.push(record[4].parse().expect("integer KM_AE label"));
    }
    let rfm = Array2::from_shape_vec((km_ae.len(), 3), values).expect("three columns");
    SeedTable {
        customer_ids,
        rfm,
        km_ae,
    }
}

/// A JSON fixture under tests/fixtures, e.g. `fixture("cluster/seed_table.json")`.
pub fn fixture<T: DeserializeOwned>(relative: &str) -> T {
    let path = repo_path("tests/fixtures").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// An aggregated RFM table (CSV bytes) shaped like retail: a third buy once, spend grows with
/// visits.
pub fn retail_rfm_table(customers: usize, seed: u64) -> Vec<u8> {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut csv = String::from("customer_id,recency,frequency,monetary\n");
    for id in 0..customers {
        let frequency = if rng.gen_bool(0.35) {
            1
        } else {
            1 + (rng.r#gen::<f64>().powf(-0.8) as u32).min(300)
        };
        let recency = 1 + (-(1.0 - rng.r#gen::<f64>()).ln() * 120.0) as u32;
        let monetary = f64::from(frequency) * (20.0 + 400.0 * rng.r#gen::<f64>());
        csv.push_str(&format!("C{id},{recency},{frequency},{monetary:.2}\n"));
    }
    csv.into_bytes()
}
