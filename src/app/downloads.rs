//! Downloads: files are built in memory and handed to the browser as a blob: URL, so nothing
//! touches the network.

use wasm_bindgen::JsCast;

pub fn download(file_name: &str, mime: &str, text: &str) {
    let blob = gloo_file::Blob::new_with_options(text, Some(mime));
    // Revoked when dropped, after the click has started the download.
    let url = gloo_file::ObjectUrl::from(blob);
    let document = leptos::prelude::document();
    if let Ok(a) = document.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
    }
}
