//! The scaled features and both fitted embeddings of one run, with the run's sample of each,
//! able to cluster any of them and to re-embed perturbed features.

use ndarray::{Array2, ArrayView2, Axis};

use super::PipelineError;
use super::report::Embedding;
use crate::core::cluster::{self, Algorithm, ClusterError, Clustering, WardTree};
use crate::core::embed::autoencoder::Encoder;
use crate::core::embed::pca::Pca;
use crate::core::sampling::CustomerSample;

pub(super) struct Embeddings<'a> {
    pub pca: &'a Pca,
    pub encoder: &'a Encoder,
    pub sample: &'a CustomerSample,
    /// Every customer, in `Embedding::ALL` order.
    points: [&'a Array2<f64>; 2],
    /// The sample's rows of `scaled` and of each embedding.
    sampled_scaled: Array2<f64>,
    sampled_points: [Array2<f64>; 2],
    /// One Ward dendrogram per embedding, over the sample (every customer below the budget),
    /// cut for the chosen k and for every k of the sweep.
    ward_trees: [WardTree; 2],
}

impl<'a> Embeddings<'a> {
    /// `sampled_scaled` holds the sample's rows of the scaled R, F, M.
    pub fn new(
        sampled_scaled: Array2<f64>,
        pca: &'a Pca,
        pca_points: &'a Array2<f64>,
        encoder: &'a Encoder,
        ae_points: &'a Array2<f64>,
        sample: &'a CustomerSample,
    ) -> Result<Self, ClusterError> {
        let pick = |x: &Array2<f64>| x.select(Axis(0), &sample.rows);
        let sampled_points = [pick(pca_points), pick(ae_points)];
        Ok(Self {
            pca,
            encoder,
            sample,
            points: [pca_points, ae_points],
            sampled_scaled,
            ward_trees: [
                WardTree::fit(sampled_points[0].view())?,
                WardTree::fit(sampled_points[1].view())?,
            ],
            sampled_points,
        })
    }

    fn slot(embedding: Embedding) -> usize {
        match embedding {
            Embedding::Pca => 0,
            Embedding::Autoencoder => 1,
        }
    }

    /// Every customer's coordinates in `embedding`.
    pub fn points(&self, embedding: Embedding) -> ArrayView2<'_, f64> {
        self.points[Self::slot(embedding)].view()
    }

    /// The sample's coordinates in `embedding`.
    pub fn sampled_points(&self, embedding: Embedding) -> ArrayView2<'_, f64> {
        self.sampled_points[Self::slot(embedding)].view()
    }

    /// The sample's scaled R, F, M.
    pub fn sampled_scaled(&self) -> ArrayView2<'_, f64> {
        self.sampled_scaled.view()
    }

    /// Clusters every customer. Below the budget: each algorithm on everyone, exactly. Above:
    /// each starts from a fit on the sample and costs O(n k) for the rest
    /// ([`cluster::cluster_from_sample`], [`cluster::extend_to_all_rows`]).
    pub fn cluster(
        &self,
        algorithm: Algorithm,
        embedding: Embedding,
        k: usize,
        seed: u64,
    ) -> Result<Clustering, ClusterError> {
        if self.sample.is_everyone() {
            return self.cluster_sample(algorithm, embedding, k, seed);
        }
        let points = self.points(embedding);
        match algorithm {
            Algorithm::Ward => {
                let cut = self.cluster_sample(algorithm, embedding, k, seed)?;
                cluster::extend_to_all_rows(&cut, &self.sample.rows, points)
            }
            Algorithm::KMeans | Algorithm::Gmm => {
                cluster::cluster_from_sample(algorithm, points, &self.sample.rows, k, seed)
            }
        }
    }

    /// Clusters the sample only: the k sweep's evidence, and every customer's clustering when
    /// the sample is everyone.
    pub fn cluster_sample(
        &self,
        algorithm: Algorithm,
        embedding: Embedding,
        k: usize,
        seed: u64,
    ) -> Result<Clustering, ClusterError> {
        match algorithm {
            Algorithm::Ward => self.ward_trees[Self::slot(embedding)].cut(k),
            Algorithm::KMeans | Algorithm::Gmm => {
                cluster::cluster(algorithm, self.sampled_points(embedding), k, seed)
            }
        }
    }

    /// The Ward tree of `embedding` cut at up to `subclusters` clusters, finer than any k: the
    /// means that assign a new customer to a Ward cluster
    /// ([`crate::core::warehouse::ClusterRule::NearestWardSubcluster`]).
    pub fn ward_subclusters(
        &self,
        embedding: Embedding,
        subclusters: usize,
    ) -> Result<Clustering, ClusterError> {
        let tree_rows = self.sampled_points(embedding).nrows();
        self.ward_trees[Self::slot(embedding)].cut(subclusters.min(tree_rows))
    }

    /// Embeds new scaled rows with the already fitted PCA or encoder (no refitting), so a
    /// perturbation test measures the whole chain's sensitivity, not a new model's.
    pub fn reembed(
        &self,
        embedding: Embedding,
        scaled: ArrayView2<'_, f64>,
    ) -> Result<Array2<f64>, PipelineError> {
        Ok(match embedding {
            Embedding::Pca => self.pca.transform(scaled)?,
            Embedding::Autoencoder => self.encoder.encode(scaled),
        })
    }
}
