//! Charts: plotly figures built in Rust, drawn by plotly.js served from our own files.
//!
//! plotly.js (4.8 MB) is loaded on first use, not with the page, so the start screen appears at
//! once; every chart awaits the same load.

use std::cell::RefCell;

use leptos::prelude::*;
use leptos::task::spawn_local;
use plotly::Plot;
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::JsFuture;

use crate::app::worker_client::describe_js_error;

const PLOTLY_SCRIPT: &str = "plotly-cartesian.min.js";

thread_local! {
    static PLOTLY_LOADED: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// Resolves once `window.Plotly` exists, injecting its script the first time.
async fn plotly_loaded() -> Result<(), String> {
    let promise = PLOTLY_LOADED.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                js_sys::Promise::new(&mut |resolve, reject| {
                    let document = web_sys::window().and_then(|w| w.document());
                    let Some(document) = document else {
                        let _ = reject.call1(&JsValue::NULL, &"no document".into());
                        return;
                    };
                    let script = document
                        .create_element("script")
                        .expect("creating a script element cannot fail");
                    let _ = script.set_attribute("src", PLOTLY_SCRIPT);
                    let on_load = Closure::once_into_js(move || {
                        let _ = resolve.call0(&JsValue::NULL);
                    });
                    let on_error = Closure::once_into_js(move || {
                        let _ = reject.call1(&JsValue::NULL, &"plotly.js failed to load".into());
                    });
                    let script: web_sys::HtmlScriptElement = script.unchecked_into();
                    script.set_onload(Some(on_load.unchecked_ref()));
                    script.set_onerror(Some(on_error.unchecked_ref()));
                    let _ = document.head().map(|h| h.append_child(&script));
                })
            })
            .clone()
    });
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(describe_js_error)
}

/// `Plotly.react` on the chart's element. The element may be gone by the time plotly.js has
/// loaded (the user switched views or cancelled a run): then there is nothing to draw.
async fn draw(target: &str, plot: &Plot) -> Result<(), String> {
    plotly_loaded().await?;
    let Some(element) = leptos::prelude::document().get_element_by_id(target) else {
        return Ok(());
    };
    let plotly =
        js_sys::Reflect::get(&js_sys::global(), &"Plotly".into()).map_err(describe_js_error)?;
    let react: js_sys::Function = js_sys::Reflect::get(&plotly, &"react".into())
        .map_err(describe_js_error)?
        .unchecked_into();
    let figure = js_sys::JSON::parse(&plot.to_json()).map_err(describe_js_error)?;
    let drawn = react
        .call2(&plotly, &element, &figure)
        .map_err(describe_js_error)?;
    JsFuture::from(js_sys::Promise::resolve(&drawn))
        .await
        .map(|_| ())
        .map_err(describe_js_error)
}

/// A plotly chart that redraws whenever the signals read by `figure` change.
#[component]
pub fn Chart(
    /// Unique DOM id of the chart's container.
    #[prop(into)]
    id: String,
    figure: impl Fn() -> Plot + 'static,
) -> impl IntoView {
    let target = id.clone();
    Effect::new(move |_| {
        let mut plot = figure();
        plot.set_configuration(
            plotly::Configuration::new()
                .responsive(true)
                .display_logo(false),
        );
        let target = target.clone();
        spawn_local(async move {
            if let Err(e) = draw(&target, &plot).await {
                web_sys::console::error_1(&e.into());
            }
        });
    });
    view! { <div id=id class="chart"></div> }
}

/// Cluster colours: colour-blind-safe (Okabe-Ito), in cluster order.
pub const CLUSTER_COLOURS: [&str; 10] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#999999", "#882255",
];

pub fn cluster_colour(cluster: usize) -> &'static str {
    CLUSTER_COLOURS[cluster % CLUSTER_COLOURS.len()]
}

/// Layout shared by every chart: plotly's own light or dark template (grid and axis colours),
/// on a transparent background so the page's theme shows through.
pub fn base_layout(title: &str, dark: bool) -> plotly::Layout {
    use plotly::layout::themes::BuiltinTheme;
    let (theme, text) = if dark {
        (BuiltinTheme::PlotlyDark, "#e6e9ef")
    } else {
        (BuiltinTheme::PlotlyWhite, "#1c2330")
    };
    plotly::Layout::new()
        .template(theme.build())
        .title(plotly::common::Title::with_text(title))
        .paper_background_color("rgba(0,0,0,0)")
        .plot_background_color("rgba(0,0,0,0)")
        .font(plotly::common::Font::new().color(text))
        .margin(
            plotly::layout::Margin::new()
                .left(60)
                .right(20)
                .top(50)
                .bottom(50),
        )
}
