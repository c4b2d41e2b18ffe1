//! The t-SNE map, computed beside the other stages. It needs only the sample's scaled R, F, M,
//! known before the autoencoder trains, and on its own takes about as long as the autoencoder,
//! evaluation and k sweep together: a platform with a second core computes it there meanwhile
//! (a thread natively, a second Web Worker in a browser). The map is the same wherever it is
//! computed: the same input, configuration and code.

use std::future::Future;
use std::pin::Pin;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{Progress, Stage};
use crate::core::tsne::{self, TsneConfig, TsneError};

/// A finished map and what it cost where it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Map {
    /// One point per sampled customer, in the sample's order.
    pub points: Vec<[f64; 2]>,
    /// Seconds the computation took, on its own core.
    pub seconds: f64,
    /// Where it ran, in the words the report shows.
    pub computed_on: String,
}

/// A map on its way; an `Err` is a message for the user.
pub type PendingMap<'a> = Pin<Box<dyn Future<Output = Result<Map, String>> + 'a>>;

/// Where the map is computed.
pub trait MapMaker {
    /// Hands the input over and resolves once the computation is under way (or, where it
    /// runs when awaited, at once) to the map's own future.
    fn start(
        &self,
        points: Array2<f64>,
        config: TsneConfig,
    ) -> Pin<Box<dyn Future<Output = PendingMap<'_>> + '_>>;
}

/// Computes a map on the calling thread, which `computed_on` names. `now` reads seconds for
/// [`Map::seconds`]; `progress` hears the t-SNE stage's iterations every tenth one and at
/// the end.
pub fn make_map(
    points: ArrayView2<f64>,
    config: &TsneConfig,
    computed_on: &str,
    now: &dyn Fn() -> f64,
    progress: &dyn Fn(Progress),
) -> Result<Map, TsneError> {
    let started = now();
    let result = tsne::tsne(points, config, &mut |done, total| {
        if done % 10 == 0 || done == total {
            progress(Progress::Stage {
                stage: Stage::Tsne,
                done: done as u64,
                total: total as u64,
            })
        }
    })?;
    Ok(Map {
        points: super::pairs(result.embedding.view()),
        seconds: now() - started,
        computed_on: computed_on.to_string(),
    })
}

/// Natively: the map on a thread of its own.
#[cfg(not(target_arch = "wasm32"))]
pub struct MapThread;

#[cfg(not(target_arch = "wasm32"))]
impl MapMaker for MapThread {
    fn start(
        &self,
        points: Array2<f64>,
        config: TsneConfig,
    ) -> Pin<Box<dyn Future<Output = PendingMap<'_>> + '_>> {
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let now = move || started.elapsed().as_secs_f64();
            make_map(points.view(), &config, "a second thread", &now, &|_| {})
                .map_err(|e| e.to_string())
        });
        // Joining blocks, which is what awaiting means to `run_blocking`'s executor: it has
        // nothing else to run.
        let pending: PendingMap<'_> = Box::pin(async move {
            thread
                .join()
                .unwrap_or_else(|_| Err("the t-SNE map's thread panicked".to_string()))
        });
        Box::pin(std::future::ready(pending))
    }
}
