//! Browser layer (Leptos).
