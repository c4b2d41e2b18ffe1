//! The studio's KMeans and mixture used through linfa's `Fit`/`Predict`: the same fits as the
//! studio's functions (which tests/cluster_reference.rs checks against scikit-learn), and
//! predictions on records the fit never saw that agree with the fitted model's definition.

mod support;

use linfa::prelude::*;
use ndarray::{Array1, Array2, s};
use rfm_studio::core::cluster::{GmmConfig, GmmParams, KMeansConfig, KMeansParams, gmm, kmeans};

fn seed_rows() -> Array2<f64> {
    support::seed_table().standard_scaled()
}

#[test]
fn kmeans_fits_a_linfa_dataset_as_the_studio_does_and_predicts_the_nearest_centroid() {
    let records = seed_rows();
    let params = KMeansParams {
        k: 3,
        seed: 42,
        config: KMeansConfig::default(),
    };
    let fit = params.fit(&DatasetBase::from(records.clone())).unwrap();
    let direct = kmeans(records.view(), 3, 42, &KMeansConfig::default()).unwrap();
    assert_eq!(fit, direct);
    // On its own rows the prediction is the fit's labels (Lloyd stopped at an assignment).
    let predicted: Array1<usize> = fit.predict(&records);
    assert_eq!(predicted.to_vec(), fit.labels);

    // Fitted on 80%, predicting the other 20%: each record's nearest centroid.
    let (train, held_out) = DatasetBase::from(records.clone()).split_with_ratio(0.8);
    let fit = params.fit(&train).unwrap();
    let predicted = fit.predict(held_out.records());
    for (row, &label) in held_out.records().rows().into_iter().zip(&predicted) {
        let distance = |c: usize| (&row - &fit.centroids.row(c)).mapv(|v| v * v).sum();
        assert!((0..3).all(|c| distance(label) <= distance(c)));
    }
}

#[test]
fn the_mixture_fits_a_linfa_dataset_as_the_studio_does_and_predicts_its_components() {
    let records = seed_rows();
    let params = GmmParams {
        k: 3,
        seed: 42,
        config: GmmConfig::default(),
    };
    let fit = params.fit(&DatasetBase::from(records.clone())).unwrap();
    let direct = gmm(records.view(), 3, 42, &GmmConfig::default()).unwrap();
    assert_eq!(fit.labels, direct.labels);
    assert_eq!(fit.bic, direct.bic);
    // GmmFit's own `predict` returns the log-likelihood too; linfa's trait gives the labels.
    let predicted: Array1<usize> = Predict::predict(&fit, &records);
    let (labels, _) = fit.predict(records.view()).unwrap();
    assert_eq!(predicted.to_vec(), labels);
    let first_rows = records.slice(s![..100, ..]).to_owned();
    let predicted: Array1<usize> = Predict::predict(&fit, &first_rows);
    assert_eq!(predicted.to_vec(), labels[..100]);
}
