//! Warehouse hand-off: the studio's RFM and a fitted segment model as SQL, for data that lives in
//! an engine (DuckDB, Spark, BigQuery, Postgres) and should not leave it.
//!
//! - [`rfm_query`]: the column mapping and cleaning policy as one query over a transactions table,
//!   returning what `rfm-studio rfm` writes.
//! - [`SegmentModel`]: the fitted scaler, PCA or encoder and cluster rule of one variant, small
//!   enough to ride in the report; [`score_query`] compiles it into one arithmetic-only SELECT.
//! - [`bigquery_ml_script`], [`pyspark_script`]: refit KMeans in the engine, started from the
//!   studio's centroids.
//!
//! Everything here is text generation (no I/O), so the browser calls it as the CLI does. The
//! queries are verified on real engines by `./run test-warehouse` (tests/warehouse).

mod model;
mod refit;
mod rfm_query;
mod score_query;

use serde::{Deserialize, Serialize};

pub use model::{
    ClusterRule, EmbeddingModels, Projection, ScalerParams, SegmentModel, WARD_SUBCLUSTERS,
};
pub use refit::{bigquery_ml_script, pyspark_script};
pub use rfm_query::{quintile_bin_of_rank, rfm_query};
pub use score_query::score_query;

/// The SQL engines whose spelling the queries follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    DuckDb,
    Spark,
    BigQuery,
    Postgres,
}

impl Dialect {
    pub const ALL: [Dialect; 4] = [
        Dialect::DuckDb,
        Dialect::Spark,
        Dialect::BigQuery,
        Dialect::Postgres,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::BigQuery => "bigquery",
            Dialect::Postgres => "postgres",
        }
    }

    /// A table or column name, quoted so that spaces and capitals survive ("Customer ID").
    /// A dotted BigQuery/Spark table path (`project.dataset.table`) is quoted as a whole.
    fn identifier(self, name: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::Spark | Dialect::BigQuery => format!("`{}`", name.replace('`', "``")),
        }
    }

    /// A string literal. DuckDB and Postgres double the quote; Spark and BigQuery escape it.
    fn string(self, text: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::Postgres => format!("'{}'", text.replace('\'', "''")),
            Dialect::Spark | Dialect::BigQuery => {
                format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
            }
        }
    }

    /// A 64-bit float literal that every engine reads as a double, to the last bit: the
    /// shortest round-trip decimal in exponent form (Spark and Postgres would read a plain
    /// `0.5` as a decimal, and Postgres even `5e-1`, hence the cast there).
    fn float(self, value: f64) -> String {
        let literal = format!("{value:e}");
        match self {
            Dialect::DuckDb | Dialect::Postgres => format!("CAST({literal} AS {})", self.double()),
            Dialect::Spark | Dialect::BigQuery => literal,
        }
    }

    fn double(self) -> &'static str {
        match self {
            Dialect::DuckDb | Dialect::Spark => "DOUBLE",
            Dialect::BigQuery => "FLOAT64",
            Dialect::Postgres => "DOUBLE PRECISION",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Dialect::DuckDb => "VARCHAR",
            Dialect::Spark | Dialect::BigQuery => "STRING",
            Dialect::Postgres => "TEXT",
        }
    }

    /// `value` cast to a double.
    fn as_double(self, value: &str) -> String {
        format!("CAST({value} AS {})", self.double())
    }

    /// Whether the whole of `text` matches `pattern` (a regular expression without anchors).
    fn full_match(self, text: &str, pattern: &str) -> String {
        let anchored = self.string(&format!("^{pattern}$"));
        match self {
            Dialect::DuckDb => format!("regexp_matches({text}, {anchored})"),
            Dialect::Spark => format!("({text} RLIKE {anchored})"),
            Dialect::BigQuery => format!("REGEXP_CONTAINS({text}, {anchored})"),
            Dialect::Postgres => format!("({text} ~ {anchored})"),
        }
    }

    /// `text` with every match of `pattern` replaced by its first group.
    fn replace_with_group(self, text: &str, pattern: &str) -> String {
        let group = match self {
            Dialect::Spark => "$1",
            Dialect::DuckDb | Dialect::BigQuery | Dialect::Postgres => "\\1",
        };
        format!(
            "REGEXP_REPLACE({text}, {}, {})",
            self.string(pattern),
            self.string(group)
        )
    }

    /// Days from `from` to `to` (two dates).
    fn days_between(self, from: &str, to: &str) -> String {
        match self {
            Dialect::DuckDb => format!("DATE_DIFF('day', {from}, {to})"),
            Dialect::Spark => format!("DATEDIFF({to}, {from})"),
            Dialect::BigQuery => format!("DATE_DIFF({to}, {from}, DAY)"),
            Dialect::Postgres => format!("({to} - {from})"),
        }
    }

    /// `text` without its leading zeros.
    fn without_leading_zeros(self, text: &str) -> String {
        match self {
            Dialect::Spark => format!("TRIM(LEADING '0' FROM {text})"),
            Dialect::DuckDb | Dialect::BigQuery | Dialect::Postgres => {
                format!("LTRIM({text}, '0')")
            }
        }
    }

    /// How a scoring CTE is introduced. Postgres would inline each CTE into its readers, copying
    /// an encoder layer's expressions into every unit of the next (the AE query then ran for
    /// minutes in gigabytes); MATERIALIZED computes each layer once.
    fn cte_as(self) -> &'static str {
        match self {
            Dialect::Postgres => "AS MATERIALIZED",
            Dialect::DuckDb | Dialect::Spark | Dialect::BigQuery => "AS",
        }
    }

    /// Byte-wise ordering of text, as Rust compares strings (Postgres sorts by locale otherwise).
    fn bytewise(self, text: &str) -> String {
        match self {
            Dialect::Postgres => format!("{text} COLLATE \"C\""),
            Dialect::DuckDb | Dialect::Spark | Dialect::BigQuery => text.to_owned(),
        }
    }
}

impl std::str::FromStr for Dialect {
    type Err = WarehouseError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Dialect::ALL
            .into_iter()
            .find(|dialect| dialect.name() == name)
            .ok_or_else(|| WarehouseError::UnknownDialect(name.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WarehouseError {
    #[error("unknown SQL dialect \"{0}\": expected duckdb, spark, bigquery or postgres")]
    UnknownDialect(String),
    #[error("the mapping lacks {0}: map it with --map ROLE=COLUMN")]
    MissingRoles(String),
    #[error("no variant named \"{0}\" in the report")]
    UnknownVariant(String),
    #[error("the model's {part} has {found} values where {expected} were expected")]
    Shape {
        part: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("mixture component {0}'s covariance is not positive definite")]
    SingularCovariance(usize),
}
