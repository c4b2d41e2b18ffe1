//! The studio's RFM table ([`crate::core::rfm`]) as one SQL query over a table of typed columns.
//!
//! Same definitions as the ingest ([`crate::core::ingest`]): the cleaning rules of the policy
//! (missing id, cancellation, quantity <= 0, price <= 0, non-product codes, exact duplicate rows
//! over every column), distinct invoices (or purchase days without an invoice column), recency in
//! calendar days to the day after the last purchase, and quintile scores where ties are ranked
//! in the studio's customer order (numeric ids numerically, then the rest byte-wise), like
//! `rank(method="first")`.
//!
//! What a typed table cannot reproduce from a text file, and is documented instead: ids are
//! trimmed of spaces only (the file reader trims tabs too), an id of more than 20 digits sorts
//! as a number here but as text in the studio, and a day-first/month-first choice does not
//! arise (dates are typed).

use super::{Dialect, WarehouseError};
use crate::core::ingest::{
    CANCELLED_STATUSES, CancellationPolicy, CleaningPolicy, ColumnMapping, InputKind, Role,
    input_kind,
};
use crate::core::rfm::{SEGMENT_RULES, Segment};

/// Id spellings the studio reads as a missing customer (lower case, see
/// [`crate::core::ingest::normalised_customer_id`]).
const MISSING_IDS: [&str; 9] = [
    "", "nan", "null", "none", "n/a", "#n/a", "unknown", "-", "0",
];

/// The quintile bin (0..=4) of the value ranked `rank` (1-based) of `n`, in integers: bin b
/// holds the ranks above the linear quantile `1 + (n - 1) b / 5`. Equal to
/// [`crate::core::rfm::quintile_bins`] (pandas' `qcut` of the ranks): a test checks every n up
/// to 2,000 and sizes up to a million; the query spells out this form.
pub fn quintile_bin_of_rank(rank: u64, n: u64) -> u8 {
    (1..=4u64).filter(|&b| 5 * (rank - 1) > b * (n - 1)).count() as u8
}

/// One query returning customer_id, recency, frequency, monetary, r_score, f_score, m_score,
/// segment, ordered like `rfm-studio rfm`'s output. `mapping` names the columns of `table`
/// (as detected from a sample export's header, with the user's overrides).
pub fn rfm_query(
    mapping: &ColumnMapping,
    policy: &CleaningPolicy,
    dialect: Dialect,
    table: &str,
) -> Result<String, WarehouseError> {
    let kind = input_kind(mapping).map_err(|missing| {
        WarehouseError::MissingRoles(
            missing
                .iter()
                .map(|role| role.name())
                .collect::<Vec<_>>()
                .join(", "),
        )
    })?;
    let column = |role: Role| mapping.get(role).map(|name| dialect.identifier(name));
    let required = |role: Role| {
        column(role).ok_or_else(|| WarehouseError::MissingRoles(role.name().to_owned()))
    };
    let source = dialect.identifier(table);
    let distinct = if kind == InputKind::AggregatedRfm || policy.drop_duplicates {
        "DISTINCT "
    } else {
        ""
    };
    let text = |value: &str| format!("TRIM(CAST({value} AS {}))", dialect.text());
    let customer =
        dialect.replace_with_group(&text(&required(Role::CustomerId)?), "^([0-9]+)[.,]0*$");
    let missing_ids = MISSING_IDS
        .iter()
        .map(|id| dialect.string(id))
        .collect::<Vec<_>>()
        .join(", ");
    let keep_customer =
        format!("customer_id IS NOT NULL AND LOWER(customer_id) NOT IN ({missing_ids})");

    let totals = if kind == InputKind::AggregatedRfm {
        format!(
            "totals AS (\n  SELECT customer_id, CAST(recency AS BIGINT) AS recency, \
             CAST(frequency AS BIGINT) AS frequency, monetary\n  FROM (\n    SELECT {customer} AS customer_id, \
             {recency} AS recency, {frequency} AS frequency, {monetary} AS monetary\n    \
             FROM (SELECT {distinct}* FROM {source}) AS lines\n  ) AS typed\n  WHERE {keep_customer}\n)",
            recency = required(Role::Recency)?,
            frequency = required(Role::Frequency)?,
            monetary = dialect.as_double(&required(Role::Monetary)?),
        )
    } else {
        let invoice = column(Role::Invoice);
        // The conventions of [`crate::core::ingest::CancellationConvention`]; each term is
        // FALSE where its column is empty, as in the studio.
        let mut cancellation_terms = Vec::new();
        if let Some(invoice) = &invoice {
            cancellation_terms.push(dialect.full_match(&text(invoice), "C[0-9]+"));
        }
        if let Some(status) = column(Role::Status) {
            let cancelled = CANCELLED_STATUSES
                .iter()
                .map(|status| dialect.string(status))
                .collect::<Vec<_>>()
                .join(", ");
            cancellation_terms.push(format!("LOWER({}) IN ({cancelled})", text(&status)));
        }
        let (amount, price) = match kind {
            InputKind::AmountTransactions => {
                let amount = dialect.as_double(&required(Role::Amount)?);
                cancellation_terms.push(format!("{amount} < 0"));
                // The price rule looks at the size of a refund, not its sign.
                let price = "CASE WHEN is_cancellation THEN ABS(amount) ELSE amount END".to_owned();
                (amount, price)
            }
            _ => {
                let quantity = dialect.as_double(&required(Role::Quantity)?);
                cancellation_terms.push(format!("{quantity} < 0"));
                (
                    format!(
                        "{quantity} * {}",
                        dialect.as_double(&required(Role::Price)?)
                    ),
                    "price".to_owned(),
                )
            }
        };
        let cancellation = cancellation_terms
            .iter()
            .map(|term| format!("COALESCE({term}, FALSE)"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let mut keep = vec![
            keep_customer,
            "day IS NOT NULL AND amount IS NOT NULL".to_owned(),
        ];
        if policy.cancellations == CancellationPolicy::Drop {
            keep.push("NOT is_cancellation".into());
        }
        let quantity = column(Role::Quantity).filter(|_| kind != InputKind::AmountTransactions);
        if policy.drop_nonpositive_quantity && quantity.is_some() {
            keep.push("(quantity > 0 OR is_cancellation)".into());
        }
        if policy.drop_nonpositive_price {
            keep.push(format!("{price} > 0"));
        }
        let stock_code = column(Role::StockCode);
        if let (true, Some(_)) = (policy.drop_non_product_codes, &stock_code) {
            let codes = policy
                .non_product_codes
                .iter()
                .map(|code| dialect.string(&code.trim().to_ascii_uppercase()))
                .collect::<Vec<_>>()
                .join(", ");
            keep.push(format!(
                "(stock_code IS NULL OR stock_code NOT IN ({codes}))"
            ));
        }
        let mut fields = vec![
            format!("{customer} AS customer_id"),
            format!("{cancellation} AS is_cancellation"),
            format!("CAST({} AS DATE) AS day", required(Role::Date)?),
            format!("{amount} AS amount"),
        ];
        if let Some(invoice) = &invoice {
            fields.push(format!("{invoice} AS invoice"));
        }
        if let Some(quantity) = &quantity {
            fields.push(format!("{} AS quantity", dialect.as_double(quantity)));
        }
        if kind != InputKind::AmountTransactions {
            fields.push(format!(
                "{} AS price",
                dialect.as_double(&required(Role::Price)?)
            ));
        }
        if let (true, Some(stock_code)) = (policy.drop_non_product_codes, &stock_code) {
            fields.push(format!("UPPER({}) AS stock_code", text(stock_code)));
        }
        // Without an invoice column a purchase occasion is a (customer, calendar day).
        let occasion = if invoice.is_some() { "invoice" } else { "day" };
        // A netted cancellation takes money back, whichever sign the file wrote it with.
        let net_amount = "SUM(CASE WHEN is_cancellation THEN -ABS(amount) ELSE amount END)";
        let positive_total = if policy.cancellations == CancellationPolicy::Net {
            format!(" AND {net_amount} > 0")
        } else {
            String::new()
        };
        format!(
            "kept AS (\n  SELECT * FROM (\n    SELECT {fields}\n    FROM (SELECT {distinct}* FROM {source}) AS lines\n  ) AS typed\n  WHERE {keep}\n),\n\
             last_day AS (\n  SELECT MAX(day) AS snapshot_eve FROM kept WHERE NOT is_cancellation\n),\n\
             purchases AS (\n  SELECT customer_id,\n    MAX(CASE WHEN NOT is_cancellation THEN day END) AS last_purchase,\n    \
             COUNT(DISTINCT CASE WHEN NOT is_cancellation THEN {occasion} END) AS frequency,\n    \
             {net_amount} AS monetary\n  FROM kept\n  GROUP BY customer_id\n  \
             HAVING COUNT(CASE WHEN NOT is_cancellation THEN 1 END) > 0{positive_total}\n),\n\
             totals AS (\n  SELECT customer_id, {recency} + 1 AS recency, frequency, monetary\n  \
             FROM purchases CROSS JOIN last_day\n)",
            fields = fields.join(",\n      "),
            keep = keep.join("\n    AND "),
            recency = dialect.days_between("last_purchase", "snapshot_eve"),
        )
    };

    let id_order = id_order_keys(dialect).join(", ");
    let rank = |value: &str| format!("ROW_NUMBER() OVER (ORDER BY {value}, {id_order})");
    let bin = |rank: &str| {
        let arms: String = (1..=4)
            .rev()
            .map(|b| format!("WHEN 5 * ({rank} - 1) > {b} * (n - 1) THEN {b} "))
            .collect();
        format!("CASE {arms}ELSE 0 END")
    };
    let segment = segment_case(dialect);
    Ok(format!(
        "-- RFM as rfm-studio computes it ({dialect}); generated by rfm-studio sql rfm.\n\
         WITH {totals},\n\
         ranked AS (\n  SELECT customer_id, recency, frequency, monetary, COUNT(*) OVER () AS n,\n    \
         {r_rank} AS r_rank,\n    {f_rank} AS f_rank,\n    {m_rank} AS m_rank,\n    \
         {id_order_columns}\n  FROM totals\n),\n\
         scored AS (\n  SELECT customer_id, recency, frequency, monetary,\n    \
         5 - ({r_bin}) AS r_score,\n    ({f_bin}) + 1 AS f_score,\n    ({m_bin}) + 1 AS m_score,\n    \
         id_kind, id_length, id_digits, id_text\n  FROM ranked\n)\n\
         SELECT customer_id, recency, frequency, monetary, r_score, f_score, m_score,\n  \
         {segment} AS segment\nFROM scored\nORDER BY id_kind, id_length, id_digits, id_text",
        dialect = dialect.name(),
        r_rank = rank("recency"),
        f_rank = rank("frequency"),
        m_rank = rank("monetary"),
        id_order_columns = id_order_columns(dialect),
        r_bin = bin("r_rank"),
        f_bin = bin("f_rank"),
        m_bin = bin("m_rank"),
    ))
}

/// The studio's customer order ([`crate::core::ingest::compare_ids`]): numeric ids by value (by
/// length, then digits, without leading zeros), then as written; other ids after them,
/// byte-wise. Length and digits are NULL for other ids, so that they sort by the text alone.
fn id_order_keys(dialect: Dialect) -> [String; 4] {
    let numeric = dialect.full_match("customer_id", "[0-9]+");
    let digits = dialect.without_leading_zeros("customer_id");
    [
        format!("CASE WHEN {numeric} THEN 0 ELSE 1 END"),
        format!("CASE WHEN {numeric} THEN LENGTH({digits}) END"),
        format!("CASE WHEN {numeric} THEN {} END", dialect.bytewise(&digits)),
        dialect.bytewise("customer_id"),
    ]
}

/// The id order's keys as named columns, for the final ORDER BY.
fn id_order_columns(dialect: Dialect) -> String {
    let [kind, length, digits, text] = id_order_keys(dialect);
    format!(
        "{kind} AS id_kind,\n    {length} AS id_length,\n    {digits} AS id_digits,\n    {text} AS id_text"
    )
}

/// [`SEGMENT_RULES`] as a CASE over the three scores.
fn segment_case(dialect: Dialect) -> String {
    let within = |name: &str, range: &std::ops::RangeInclusive<u8>| {
        if range.start() == range.end() {
            format!("{name} = {}", range.start())
        } else {
            format!("{name} BETWEEN {} AND {}", range.start(), range.end())
        }
    };
    let arms: String = SEGMENT_RULES
        .iter()
        .map(|rule| {
            format!(
                "\n    WHEN {} AND {} AND {} THEN {}",
                within("r_score", &rule.r),
                within("f_score", &rule.f),
                within("m_score", &rule.m),
                dialect.string(rule.segment.name())
            )
        })
        .collect();
    format!(
        "CASE{arms}\n    ELSE {} END",
        dialect.string(Segment::Hibernating.name())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::rfm::quintile_bins;

    #[test]
    fn integer_quintile_rule_equals_the_studios_for_every_size() {
        // quintile_bins on distinct ascending values gives the bin of each rank directly: every
        // size up to 2,000, then sizes up to a million (and the real sheet's 4,312).
        for n in (2..=2_000u64)
            .chain((2_001..=1_000_000).step_by(49_999))
            .chain([4_312, 1_000_000])
        {
            let values: Vec<f64> = (0..n).map(|v| v as f64).collect();
            let bins = quintile_bins(&values);
            for (position, &bin) in bins.iter().enumerate() {
                assert_eq!(quintile_bin_of_rank(position as u64 + 1, n), bin, "n {n}");
            }
        }
    }

    fn online_retail_mapping() -> ColumnMapping {
        ColumnMapping::detect(&crate::core::generate::HEADER.map(String::from))
    }

    #[test]
    fn the_default_policy_spells_each_rule_in_each_dialect() {
        for dialect in Dialect::ALL {
            let sql = rfm_query(
                &online_retail_mapping(),
                &CleaningPolicy::default(),
                dialect,
                "tx",
            )
            .unwrap();
            assert!(sql.contains("SELECT DISTINCT * FROM"), "{sql}");
            assert!(sql.contains("AND NOT is_cancellation\n"), "{sql}");
            assert!(sql.contains("(quantity > 0 OR is_cancellation)"));
            assert!(sql.contains("price > 0"));
            assert!(
                !sql.contains("stock_code"),
                "non-product codes are off by default"
            );
            assert!(sql.contains("COUNT(DISTINCT CASE WHEN NOT is_cancellation THEN invoice END)"));
            assert_eq!(sql.matches("WHEN 5 * (").count(), 12, "4 edges x 3 scores");
            assert_eq!(sql.matches(" THEN 'Hibernating'").count(), 2);
            assert_eq!(sql.matches('(').count(), sql.matches(')').count());
        }
        let spark = rfm_query(
            &online_retail_mapping(),
            &CleaningPolicy::default(),
            Dialect::Spark,
            "tx",
        )
        .unwrap();
        assert!(spark.contains("`Customer ID`") && spark.contains("RLIKE '^C[0-9]+$'"));
        assert!(spark.contains("DATEDIFF(snapshot_eve, last_purchase) + 1"));
        assert!(spark.contains("'$1'"));
        let postgres = rfm_query(
            &online_retail_mapping(),
            &CleaningPolicy::default(),
            Dialect::Postgres,
            "tx",
        )
        .unwrap();
        assert!(postgres.contains("\"Customer ID\"") && postgres.contains("COLLATE \"C\""));
        assert!(postgres.contains("(snapshot_eve - last_purchase) + 1"));
    }

    #[test]
    fn net_policy_keeps_cancellations_and_needs_a_positive_total() {
        let policy = CleaningPolicy {
            cancellations: CancellationPolicy::Net,
            drop_duplicates: false,
            drop_non_product_codes: true,
            non_product_codes: vec!["post".into(), "O'NEIL".into()],
            ..CleaningPolicy::default()
        };
        let sql = rfm_query(&online_retail_mapping(), &policy, Dialect::BigQuery, "tx").unwrap();
        assert!(!sql.contains("DISTINCT *") && !sql.contains("AND NOT is_cancellation"));
        assert!(sql.contains(
            "HAVING COUNT(CASE WHEN NOT is_cancellation THEN 1 END) > 0 \
             AND SUM(CASE WHEN is_cancellation THEN -ABS(amount) ELSE amount END) > 0"
        ));
        assert!(sql.contains("NOT IN ('POST', 'O\\'NEIL')"), "{sql}");
        assert!(sql.contains("DATE_DIFF(snapshot_eve, last_purchase, DAY)"));
    }

    #[test]
    fn every_cancellation_convention_is_a_term() {
        let mut mapping = online_retail_mapping();
        mapping.set(Role::Status, Some("Order Status".into()));
        let sql = rfm_query(&mapping, &CleaningPolicy::default(), Dialect::DuckDb, "tx").unwrap();
        let terms = [
            "COALESCE(regexp_matches(TRIM(CAST(\"Invoice\" AS VARCHAR)), '^C[0-9]+$'), FALSE) OR ",
            "COALESCE(LOWER(TRIM(CAST(\"Order Status\" AS VARCHAR))) IN ('cancelled', 'canceled', ",
            "COALESCE(CAST(\"Quantity\" AS DOUBLE) < 0, FALSE) AS is_cancellation",
        ];
        for term in terms {
            assert!(sql.contains(term), "{term} in {sql}");
        }
        assert_eq!(
            sql.matches("'chargeback', 'charged back')").count(),
            1,
            "every status of CANCELLED_STATUSES"
        );
    }

    #[test]
    fn amount_files_without_invoice_count_purchase_days() {
        let mut mapping = ColumnMapping::default();
        mapping.set(Role::CustomerId, Some("customer_id".into()));
        mapping.set(Role::Date, Some("date".into()));
        mapping.set(Role::Amount, Some("dollar_value".into()));
        let sql = rfm_query(
            &mapping,
            &CleaningPolicy::default(),
            Dialect::DuckDb,
            "cdnow",
        )
        .unwrap();
        assert!(sql.contains("THEN day END) AS frequency"));
        assert!(sql.contains("CASE WHEN is_cancellation THEN ABS(amount) ELSE amount END > 0"));
        assert!(
            sql.contains(
                "COALESCE(CAST(\"dollar_value\" AS DOUBLE) < 0, FALSE) AS is_cancellation"
            ),
            "{sql}"
        );
        mapping.set(Role::Date, None);
        assert_eq!(
            rfm_query(
                &mapping,
                &CleaningPolicy::default(),
                Dialect::DuckDb,
                "cdnow"
            ),
            Err(WarehouseError::MissingRoles("date".into()))
        );
    }
}
