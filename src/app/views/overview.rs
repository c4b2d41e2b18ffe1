//! Overview: key figures of the customers shown, the data-quality report of the file, the same
//! RFM as a query for the user's warehouse, and how long each stage took.

use leptos::prelude::*;

use crate::app::components::{Column, DownloadError, Kpi, TableHead, WarehouseTarget};
use crate::app::downloads::download;
use crate::app::format::{count, money, sample_note};
use crate::app::segmentation::DashboardContext;
use crate::app::state::AppState;
use crate::core::ingest::{InputKind, QualityReport};
use crate::core::pipeline::Customer;
use crate::core::warehouse::{Dialect, rfm_query};

const UNREADABLE_COLUMNS: [Column; 3] = [
    Column::text("Lines dropped: could not be read"),
    Column::text("Lines"),
    Column::text("First at lines"),
];
const REMOVED_COLUMNS: [Column; 2] = [Column::text("Rows removed by rule"), Column::text("Rows")];
const READING_COLUMNS: [Column; 2] = [
    Column::text("Read as"),
    Column::text("How the file was read"),
];

#[component]
pub fn Overview() -> impl IntoView {
    let (_, ctx) = DashboardContext::expect();
    ctx.render(move |s| {
        let visible = ctx.visible.get();
        let customers = &s.report.customers;
        let n = visible.len().max(1) as f64;
        let avg =
            |f: fn(&Customer) -> f64| visible.iter().map(|&i| f(&customers[i])).sum::<f64>() / n;
        let revenue: f64 = visible.iter().map(|&i| customers[i].monetary).sum();
        let quality = s.report.quality.clone();
        let transactions = quality
            .as_ref()
            .is_some_and(|q| q.input_kind != InputKind::AggregatedRfm);
        let timings = s.report.stage_times().join(" · ");
        view! {
            <div class="kpis" data-testid="kpis">
                <Kpi label="Customers" value=count(visible.len() as u64) />
                <Kpi label="Avg recency (days)" value=format!("{:.1}", avg(|c| c.recency)) />
                <Kpi
                    label="Avg frequency (invoices)"
                    value=format!("{:.2}", avg(|c| c.frequency))
                />
                <Kpi label="Avg monetary" value=format!("{:.2}", avg(|c| c.monetary)) />
                <Kpi label="Total revenue" value=money(revenue) />
            </div>
            {quality.map(|q| view! { <DataQuality quality=q /> })}
            {transactions.then(|| view! { <RfmQuery /> })}
            {sample_note(&s.report.sample, s.report.options.seed)
                .map(|note| view! { <p class="muted">{note}</p> })}
            <p class="muted" data-testid="stage-times">
                {format!("Pipeline stages: {timings}")}
            </p>
        }
    })
}

/// The file's column mapping and cleaning policy as one query, for transactions that live in a
/// warehouse (an RFM table is already what the query returns, so it gets none).
#[component]
fn RfmQuery() -> impl IntoView {
    let state = expect_context::<AppState>();
    let dialect = RwSignal::new(Dialect::DuckDb);
    let table = RwSignal::new("transactions".to_owned());
    let message = RwSignal::new(None::<String>);
    let download_query = move |_| {
        state.report.with_untracked(|r| {
            let Some(r) = r else { return };
            let Some(quality) = &r.quality else { return };
            let dialect = dialect.get_untracked();
            let query = rfm_query(
                &quality.mapping,
                &r.options.ingest.policy,
                dialect,
                &table.get_untracked(),
            );
            match query {
                Ok(sql) => {
                    message.set(None);
                    download(
                        &format!("rfm-{}.sql", dialect.name()),
                        "application/sql",
                        &sql,
                    );
                }
                Err(error) => message.set(Some(error.to_string())),
            }
        })
    };
    view! {
        <h3>"Run this in your warehouse"</h3>
        <p class="muted">
            "The same RFM (this file's column mapping and cleaning rules) as one SQL query over a transactions table with these column names; it returns what the customers CSV holds, before clustering."
        </p>
        <div class="controls" data-testid="rfm-sql">
            <WarehouseTarget dialect table table_label="Transactions table" testid="rfm-sql" />
            <button on:click=download_query data-testid="download-rfm-sql">
                "RFM query (.sql)"
            </button>
        </div>
        <DownloadError message />
    }
}

/// What reading and cleaning the file kept, removed and could not read.
#[component]
fn DataQuality(quality: QualityReport) -> impl IntoView {
    let q = &quality;
    let removed = q
        .removed
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <td>{r.label.to_string()}</td>
                    <td class="num">{count(r.rows)}</td>
                </tr>
            }
        })
        .collect_view();
    let unreadable = (!q.unreadable.is_empty()).then(|| {
        let rows = q
            .unreadable
            .iter()
            .map(|u| {
                let lines = u
                    .first_lines
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                view! {
                    <tr title=u.example.clone()>
                        <td>{u.label.clone()}</td>
                        <td class="num">{count(u.lines)}</td>
                        <td>{lines}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="data" data-testid="unreadable">
                <TableHead columns=&UNREADABLE_COLUMNS />
                <tbody>{rows}</tbody>
            </table>
        }
    });
    let notes = q
        .reading_notes()
        .into_iter()
        .map(|note| {
            view! {
                <tr class:warning=note.warning>
                    <th scope="row">{note.topic}</th>
                    <td>{note.text}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3>"Data quality"</h3>
        <div class="grid-2">
            <table class="data" data-testid="quality">
                <tbody>
                    <tr>
                        <td>"Rows read"</td>
                        <td class="num">{count(q.rows_read)}</td>
                    </tr>
                    <tr>
                        <td>"Rows kept"</td>
                        <td class="num">{count(q.rows_kept)}</td>
                    </tr>
                    <tr>
                        <td>"Customers"</td>
                        <td class="num">{count(q.customers)}</td>
                    </tr>
                    <tr>
                        <td>"Invoices"</td>
                        <td class="num">{count(q.invoices)}</td>
                    </tr>
                    <tr>
                        <td>"First purchase"</td>
                        <td>{q.first_date.map(|d| d.to_string()).unwrap_or_default()}</td>
                    </tr>
                    <tr>
                        <td>"Last purchase"</td>
                        <td>{q.last_date.map(|d| d.to_string()).unwrap_or_default()}</td>
                    </tr>
                    <tr>
                        <td>"Recency counted to"</td>
                        <td>{q.snapshot_date.map(|d| d.to_string()).unwrap_or_default()}</td>
                    </tr>
                    <tr>
                        <td>"Revenue kept (file currency)"</td>
                        <td class="num">{money(q.total_revenue)}</td>
                    </tr>
                </tbody>
            </table>
            <table class="data">
                <TableHead columns=&REMOVED_COLUMNS />
                <tbody>{removed}</tbody>
            </table>
        </div>
        {unreadable}
        <table class="data" data-testid="reading-notes">
            <TableHead columns=&READING_COLUMNS />
            <tbody>{notes}</tbody>
        </table>
    }
}
