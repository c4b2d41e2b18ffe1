//! A `<select>` over a fixed set of typed choices (a view's projection, feature, ...), bound to
//! a signal both ways.

use leptos::prelude::*;

/// A fixed set of choices, in the order a `<select>` offers them.
pub trait Choice: Copy + PartialEq + Send + Sync + 'static {
    const ALL: &'static [Self];

    /// What the option says.
    fn label(self) -> &'static str;
}

/// Shows `value`'s choice as selected; picking another sets it. Options are numbered by their
/// place in [`Choice::ALL`].
#[component]
pub fn ChoiceSelect<T: Choice>(value: RwSignal<T>) -> impl IntoView {
    let options = T::ALL
        .iter()
        .enumerate()
        .map(|(i, &choice)| {
            view! {
                <option value=i.to_string() selected=move || value.get() == choice>
                    {choice.label()}
                </option>
            }
        })
        .collect_view();
    view! {
        <select on:change=move |ev| {
            let picked = event_target_value(&ev).parse::<usize>().ok().and_then(|i| T::ALL.get(i));
            if let Some(&choice) = picked {
                value.set(choice);
            }
        }>{options}</select>
    }
}
