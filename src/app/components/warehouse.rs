//! "Run this in your warehouse": a dialect select, a table-name box and download buttons for the
//! SQL and scripts of [`crate::core::warehouse`], shared by the Overview (the RFM query) and the
//! Models view (the chosen variant's scoring query and refit scripts).

use leptos::prelude::*;

use super::{Choice, ChoiceSelect};
use crate::core::warehouse::Dialect;

impl Choice for Dialect {
    const ALL: &'static [Self] = &Dialect::ALL;

    fn label(self) -> &'static str {
        match self {
            Dialect::DuckDb => "DuckDB",
            Dialect::Spark => "Spark SQL",
            Dialect::BigQuery => "BigQuery",
            Dialect::Postgres => "Postgres",
        }
    }
}

/// The engine and the table a generated query reads; `testid` prefixes the controls' test ids.
#[component]
pub fn WarehouseTarget(
    dialect: RwSignal<Dialect>,
    table: RwSignal<String>,
    table_label: &'static str,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <label data-testid=format!(
            "{testid}-dialect",
        )>"SQL dialect " <ChoiceSelect value=dialect /></label>
        <label>
            {table_label} " "
            <input
                type="text"
                data-testid=format!("{testid}-table")
                prop:value=move || table.get()
                on:input=move |ev| table.set(event_target_value(&ev))
            />
        </label>
    }
}

/// Why the last download could not be built, beside its buttons; nothing when it could.
#[component]
pub fn DownloadError(message: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|text| {
            view! {
                <p class="warning" role="alert">
                    {text}
                </p>
            }
        })
    }
}
