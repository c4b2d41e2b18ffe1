//! The report's per-customer columns ([`CustomerColumns`]) as typed arrays beside the JSON of
//! the worker's final answer. The worker copies each column once into a JS array and transfers
//! its buffer (no structured-clone copy); the page copies it once into its own memory.

#[cfg(feature = "training")]
use js_sys::Object;
use js_sys::{Array, Float64Array, Reflect, Uint8Array, Uint32Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::pipeline::CustomerColumns;

/// Key of the columns in a message object, beside [`super::protocol::JSON_KEY`].
pub const COLUMNS_KEY: &str = "columns";

/// The columns as a JS object, and the buffers to transfer with it.
#[cfg(feature = "training")]
pub fn to_js(columns: &CustomerColumns) -> Result<(Object, Array), JsValue> {
    let object = Object::new();
    let transfer = Array::new();
    let set = |key: &str, array: JsValue, buffer: Option<JsValue>| {
        if let Some(buffer) = buffer {
            transfer.push(&buffer);
        }
        Reflect::set(&object, &key.into(), &array).map(|_| ())
    };
    let bytes = |values: &[u8]| {
        let array = Uint8Array::from(values);
        let buffer = array.buffer().into();
        (array.into(), Some(buffer))
    };
    let floats = |values: &[f64]| {
        let array = Float64Array::from(values);
        let buffer = array.buffer().into();
        (array.into(), Some(buffer))
    };
    let (array, buffer) = bytes(&columns.id_bytes);
    set("id_bytes", array, buffer)?;
    let id_ends = Uint32Array::from(columns.id_ends.as_slice());
    let buffer = id_ends.buffer().into();
    set("id_ends", id_ends.into(), Some(buffer))?;
    for (key, values) in [
        ("recency", &columns.recency),
        ("frequency", &columns.frequency),
        ("monetary", &columns.monetary),
        ("pca", &columns.pca),
        ("latent", &columns.latent),
        ("p_alive", &columns.p_alive),
        ("expected_purchases", &columns.expected_purchases),
        ("clv", &columns.clv),
    ] {
        let (array, buffer) = floats(values);
        set(key, array, buffer)?;
    }
    let (array, buffer) = bytes(&columns.scores);
    set("scores", array, buffer)?;
    let (array, buffer) = bytes(&columns.segments);
    set("segments", array, buffer)?;
    let (array, buffer) = bytes(&columns.migration_before);
    set("migration_before", array, buffer)?;
    let names: Array = columns.segment_names.iter().map(JsValue::from).collect();
    set("segment_names", names.into(), None)?;
    let labels = Array::new();
    for variant in &columns.labels {
        let (array, buffer) = bytes(variant);
        labels.push(&array);
        transfer.push(&buffer.unwrap_or_default());
    }
    Reflect::set(&object, &"labels".into(), &labels)?;
    Ok((object, transfer))
}

/// Reads what [`to_js`] made.
pub fn from_js(object: &JsValue) -> Result<CustomerColumns, String> {
    let get = |key: &str| -> Result<JsValue, String> {
        Reflect::get(object, &key.into())
            .ok()
            .filter(|v| !v.is_undefined())
            .ok_or_else(|| format!("the report's columns lack {key}"))
    };
    let bytes = |key: &str| -> Result<Vec<u8>, String> {
        Ok(get(key)?
            .dyn_into::<Uint8Array>()
            .map_err(|_| key.to_string())?
            .to_vec())
    };
    let floats = |key: &str| -> Result<Vec<f64>, String> {
        Ok(get(key)?
            .dyn_into::<Float64Array>()
            .map_err(|_| key.to_string())?
            .to_vec())
    };
    let id_ends = get("id_ends")?
        .dyn_into::<Uint32Array>()
        .map_err(|_| "id_ends".to_string())?
        .to_vec();
    let segment_names = get("segment_names")?
        .dyn_into::<Array>()
        .map_err(|_| "segment_names".to_string())?
        .iter()
        .map(|name| name.as_string().unwrap_or_default())
        .collect();
    let labels = get("labels")?
        .dyn_into::<Array>()
        .map_err(|_| "labels".to_string())?
        .iter()
        .map(|array| array.dyn_into::<Uint8Array>().map(|a| a.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|_| "labels".to_string())?;
    Ok(CustomerColumns {
        id_bytes: bytes("id_bytes")?,
        id_ends,
        recency: floats("recency")?,
        frequency: floats("frequency")?,
        monetary: floats("monetary")?,
        scores: bytes("scores")?,
        segment_names,
        segments: bytes("segments")?,
        pca: floats("pca")?,
        latent: floats("latent")?,
        labels,
        p_alive: floats("p_alive")?,
        expected_purchases: floats("expected_purchases")?,
        clv: floats("clv")?,
        migration_before: bytes("migration_before")?,
    })
}
