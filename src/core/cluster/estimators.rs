//! The studio's KMeans and Gaussian mixture as linfa estimators: parameters that `Fit` a linfa
//! `DatasetBase`, fitted models that `Predict` the clusters of new records. They compose with
//! the rest of linfa (datasets, splits, metrics) while the numbers stay the studio's own,
//! checked against scikit-learn (kmeans.rs and gmm.rs say why linfa-clustering's differ).
//!
//! As linfa's own models do, prediction assumes records with the fit's column count and panics
//! otherwise: it is an API for code, not a path for user files.

use linfa::DatasetBase;
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2};

use super::{
    ClusterError, GmmConfig, GmmFit, KMeansConfig, KMeansFit, gmm, kmeans, squared_distance,
};

/// KMeans with its number of clusters and seed, ready to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansParams {
    pub k: usize,
    pub seed: u64,
    pub config: KMeansConfig,
}

/// A Gaussian mixture with its number of components and seed, ready to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct GmmParams {
    pub k: usize,
    pub seed: u64,
    pub config: GmmConfig,
}

impl From<linfa::Error> for ClusterError {
    fn from(error: linfa::Error) -> Self {
        ClusterError::Linfa(error.to_string())
    }
}

impl<T> Fit<Array2<f64>, T, ClusterError> for KMeansParams {
    type Object = KMeansFit;

    fn fit(&self, dataset: &DatasetBase<Array2<f64>, T>) -> Result<KMeansFit, ClusterError> {
        kmeans(dataset.records.view(), self.k, self.seed, &self.config)
    }
}

impl<T> Fit<Array2<f64>, T, ClusterError> for GmmParams {
    type Object = GmmFit;

    fn fit(&self, dataset: &DatasetBase<Array2<f64>, T>) -> Result<GmmFit, ClusterError> {
        gmm(dataset.records.view(), self.k, self.seed, &self.config)
    }
}

/// Each record's nearest centroid (the first on a tie, as Lloyd's assignment step).
impl PredictInplace<Array2<f64>, Array1<usize>> for KMeansFit {
    fn predict_inplace(&self, x: &Array2<f64>, y: &mut Array1<usize>) {
        assert_eq!(
            x.ncols(),
            self.centroids.ncols(),
            "records and centroids differ in columns"
        );
        for (row, label) in x.rows().into_iter().zip(y.iter_mut()) {
            let distances = self
                .centroids
                .rows()
                .into_iter()
                .map(|c| squared_distance(row, c));
            *label = distances
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |best, (c, d)| if d < best.1 { (c, d) } else { best },
                )
                .0;
        }
    }

    fn default_target(&self, x: &Array2<f64>) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}

/// Each record's most probable component ([`GmmFit::predict`]).
impl PredictInplace<Array2<f64>, Array1<usize>> for GmmFit {
    fn predict_inplace(&self, x: &Array2<f64>, y: &mut Array1<usize>) {
        let (labels, _) = self
            .predict(x.view())
            .expect("records with the fit's columns, and the fit's own covariances");
        y.assign(&Array1::from(labels));
    }

    fn default_target(&self, x: &Array2<f64>) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}
