//! Any bytes through sniff and the full read + RFM: errors are fine, panics are not.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use rfm_studio::core::ingest::{DateOrder, IngestOptions, read_transactions, sniff};
use rfm_studio::core::rfm::RfmTable;

fuzz_target!(|data: &[u8]| {
    let _ = sniff(data);
    for date_order in [DateOrder::Auto, DateOrder::Dmy] {
        let options = IngestOptions { date_order, ..IngestOptions::default() };
        if let Ok(ingested) = read_transactions(Cursor::new(data), None, &options, &mut |_, _| {}) {
            let _ = RfmTable::from_ingested(&ingested, None).map(|table| table.features());
        }
    }
});
