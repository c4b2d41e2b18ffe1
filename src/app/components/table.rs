//! Table headers written as data: a view lists its columns once, as a constant.

use leptos::prelude::*;

/// A column's header cell; numeric columns are right-aligned like their values.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    title: &'static str,
    numeric: bool,
}

impl Column {
    pub const fn text(title: &'static str) -> Self {
        Self {
            title,
            numeric: false,
        }
    }

    pub const fn num(title: &'static str) -> Self {
        Self {
            title,
            numeric: true,
        }
    }
}

/// `<thead>` with one row of header cells.
#[component]
pub fn TableHead(columns: &'static [Column]) -> impl IntoView {
    let cells = columns
        .iter()
        .map(|column| {
            if column.numeric {
                view! { <th class="num">{column.title}</th> }.into_any()
            } else {
                view! { <th>{column.title}</th> }.into_any()
            }
        })
        .collect_view();
    view! {
        <thead>
            <tr>{cells}</tr>
        </thead>
    }
}
