//! The quality report in words: one note per decision taken while reading the file (format,
//! header, number and date formats, cancellations, dates far from the rest), written once for
//! the CLI's summary and the page's data-quality panel alike.

use super::{DateOrder, DecimalSeparator, FileFormat, InputKind, QualityReport, TextEncoding};

/// One decision, and whether the user should look at it (an assumption or a suspicious value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingNote {
    pub topic: String,
    pub text: String,
    pub warning: bool,
}

impl ReadingNote {
    fn new(topic: impl Into<String>, text: impl Into<String>) -> Self {
        ReadingNote {
            topic: topic.into(),
            text: text.into(),
            warning: false,
        }
    }

    fn warning(topic: impl Into<String>, text: impl Into<String>) -> Self {
        ReadingNote {
            warning: true,
            ..ReadingNote::new(topic, text)
        }
    }
}

impl QualityReport {
    /// How the file was read, in the order a reader would check it.
    pub fn reading_notes(&self) -> Vec<ReadingNote> {
        let mut notes = vec![ReadingNote::new("file", self.file_description())];
        if let Some(at) = &self.header_found_at {
            notes.push(ReadingNote::new(
                "header",
                format!("found at {at} (rows above it skipped)"),
            ));
        }
        for sheet in &self.skipped_sheets {
            notes.push(ReadingNote::warning(
                format!("sheet \"{}\"", sheet.name),
                format!(
                    "skipped: its first row is not the header ({})",
                    sheet.first_row
                ),
            ));
        }
        for number in &self.number_formats {
            let separator = match number.decimal {
                DecimalSeparator::Dot => "decimal point",
                DecimalSeparator::Comma => "decimal comma",
            };
            let mut how = number
                .evidence
                .clone()
                .unwrap_or_else(|| "whole numbers".into());
            if number.ambiguous {
                how = format!("ASSUMED: {how}");
            }
            if let Some(contradicted) = &number.contradicted {
                how += &format!("; contradicted at {contradicted}");
            }
            let text = format!("{separator} ({how})");
            let topic = format!("numbers in \"{}\"", number.column);
            notes.push(if number.ambiguous || number.contradicted.is_some() {
                ReadingNote::warning(topic, text)
            } else {
                ReadingNote::new(topic, text)
            });
        }
        if let Some(switch) = &self.not_utf8 {
            notes.push(ReadingNote::warning(
                "text",
                format!(
                    "UTF-8 at the start, but customer id \"{}\" at {} is not: ids like it are \
                     read as Windows-1252",
                    switch.customer, switch.at
                ),
            ));
        }
        self.date_notes(&mut notes);
        self.cancellation_notes(&mut notes);
        if let Some(at) = &self.read_twice_from {
            notes.push(ReadingNote::new(
                "duplicates",
                format!(
                    "read twice: an invoice came back at {at} after its lines had ended, so \
                     every line was compared with every other"
                ),
            ));
        }
        notes
    }

    fn file_description(&self) -> String {
        let format = match self.format {
            FileFormat::Csv => "CSV",
            FileFormat::GzipCsv => "gzip-compressed CSV",
            FileFormat::ZipCsv => "CSV in a ZIP archive",
            FileFormat::Xlsx => "XLSX workbook",
        };
        let encoding = match self.encoding {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Windows1252 => "Windows-1252",
        };
        let delimiter = match self.delimiter {
            Some('\t') => ", tab-separated".to_owned(),
            Some(',') => ", comma-separated".to_owned(),
            Some(';') => ", semicolon-separated".to_owned(),
            Some(other) => format!(", separated by '{other}'"),
            None => String::new(),
        };
        let kind = match self.input_kind {
            InputKind::Transactions => "transaction lines with invoices",
            InputKind::TransactionsWithoutInvoice => {
                "transaction lines without invoices (a customer's day is one purchase)"
            }
            InputKind::AmountTransactions => {
                "line amounts without invoices (a customer's day is one purchase)"
            }
            InputKind::AggregatedRfm => "an RFM table (one row per customer)",
        };
        let encoding = if self.format == FileFormat::Xlsx {
            String::new()
        } else {
            format!(", {encoding}")
        };
        format!("{format}{encoding}{delimiter}: {kind}")
    }

    fn date_notes(&self, notes: &mut Vec<ReadingNote>) {
        let order = &self.date_order;
        if !order.shapes.is_empty() {
            let shapes = order
                .shapes
                .iter()
                .map(|seen| {
                    format!(
                        "{} lines {} (first at {})",
                        seen.lines,
                        seen.shape.describe(),
                        seen.example
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            notes.push(ReadingNote::new(
                "dates",
                format!("written in more than one way, each read on its own: {shapes}"),
            ));
        } else if let Some(shape) = order.shape {
            notes.push(ReadingNote::new("dates", shape.describe()));
        }
        if let Some(date_order) = order.order {
            let name = match date_order {
                DateOrder::Dmy => "day first",
                DateOrder::Mdy | DateOrder::Auto => "month first",
            };
            notes.push(match (&order.evidence, order.ambiguous) {
                (_, true) => ReadingNote::warning(
                    "date order",
                    format!("ASSUMED {name}: no day above 12 tells (choose the order to override)"),
                ),
                (Some(evidence), false) => {
                    ReadingNote::new("date order", format!("{name} ({evidence})"))
                }
                (None, false) => ReadingNote::new("date order", name),
            });
        }
        if let Some(far) = &self.far_dates {
            notes.push(ReadingNote::warning(
                "dates far from the rest",
                format!(
                    "{} customer purchase days between {} and {}, over a year outside {} .. {} \
                     where 98% of them lie (e.g. customer {}); kept: the snapshot and first \
                     purchase count from them, so check the file",
                    far.purchase_days,
                    far.earliest,
                    far.latest,
                    far.usual_first,
                    far.usual_last,
                    far.example_customer
                ),
            ));
        }
    }

    fn cancellation_notes(&self, notes: &mut Vec<ReadingNote>) {
        let cancellations = &self.cancellations;
        for matched in &cancellations.matched {
            notes.push(ReadingNote::new(
                "cancellations",
                format!(
                    "{} lines, recognised by: {}, e.g. {} ({})",
                    matched.rows, matched.rule, matched.example, matched.example_at
                ),
            ));
        }
        if cancellations.other_c_invoice_rows > 0 {
            notes.push(ReadingNote::warning(
                "cancellations",
                format!(
                    "{} lines whose invoice starts with \"C\" but is not \"C\" and digits: \
                     not cancellations by their invoice",
                    cancellations.other_c_invoice_rows
                ),
            ));
        }
        if self.netted_cancellation_rows > 0 {
            notes.push(ReadingNote::new(
                "cancellations",
                format!(
                    "{} cancellation lines netted against purchases",
                    self.netted_cancellation_rows
                ),
            ));
        }
        if self.customers_without_positive_total > 0 {
            notes.push(ReadingNote::new(
                "customers left out",
                format!(
                    "{} without a positive total",
                    self.customers_without_positive_total
                ),
            ));
        }
    }
}
