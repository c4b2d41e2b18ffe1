//! KMeans refitted inside the engine, for those who want the warehouse to cluster every
//! customer: the same scaling and projection as the studio (the embedding CTEs of
//! [`super::score_query`]), the same k, started from the studio's centres.

use super::model::SegmentModel;
use super::score_query::embedding_stages;
use super::{Dialect, WarehouseError};

/// A BigQuery ML script: `CREATE MODEL` (kmeans, custom init from the studio's centres, no
/// re-standardising: the features are already scaled) on the embedding of `table`, then
/// `ML.PREDICT` for every customer. `model_name` is a `dataset.model` path.
pub fn bigquery_ml_script(
    model: &SegmentModel,
    table: &str,
    model_name: &str,
) -> Result<String, WarehouseError> {
    let dialect = Dialect::BigQuery;
    let (stages, dims) = embedding_stages(model, dialect, table)?;
    let features: Vec<String> = (0..dims).map(|d| format!("e{d}")).collect();
    let centres: Vec<String> = model
        .rule
        .centres()
        .iter()
        .map(|centre| {
            let values: Vec<String> = centre
                .iter()
                .zip(&features)
                .map(|(&value, name)| format!("{} AS {name}", dialect.float(value)))
                .collect();
            format!("SELECT {}, TRUE AS is_init_centroid", values.join(", "))
        })
        .collect();
    let model_path = dialect.identifier(model_name);
    let stages = stages.join(",\n");
    Ok(format!(
        "-- rfm-studio {variant}: KMeans refitted in BigQuery ML from the studio's {k} centres.\n\
         -- The features are the studio's scaled embedding, so standardize_features is off.\n\
         -- BigQuery numbers centroids from 1 in its own order: match them to the studio's\n\
         -- clusters by their coordinates (ML.CENTROIDS) before reading them as personas.\n\
         CREATE OR REPLACE MODEL {model_path}\n\
         OPTIONS (\n  model_type = 'kmeans',\n  num_clusters = {k},\n  kmeans_init_method = 'CUSTOM',\n  \
         kmeans_init_col = 'is_init_centroid',\n  standardize_features = FALSE,\n  distance_type = 'EUCLIDEAN',\n  \
         max_iterations = 300\n) AS\n\
         WITH {stages}\n\
         SELECT {columns}, FALSE AS is_init_centroid FROM embedded\n\
         UNION ALL\n{centres};\n\n\
         SELECT customer_id, CENTROID_ID AS centroid_id\n\
         FROM ML.PREDICT(MODEL {model_path}, (\n  WITH {stages}\n  SELECT customer_id, {columns} FROM embedded\n));\n",
        variant = model.variant,
        k = model.rule.clusters(),
        columns = features.join(", "),
        centres = centres.join("\nUNION ALL\n"),
    ))
}

/// A PySpark script: the embedding in Spark SQL, then MLlib KMeans with the studio's centres as
/// its initial model (so it starts where the studio ended), labels written per customer.
/// Run as `spark-submit script.py [RFM_CSV OUT_DIR]`: without arguments it reads the table
/// `table` and writes `{table}_segments`.
pub fn pyspark_script(model: &SegmentModel, table: &str) -> Result<String, WarehouseError> {
    let (stages, dims) = embedding_stages(model, Dialect::Spark, table)?;
    let columns: Vec<String> = (0..dims).map(|d| format!("\"e{d}\"")).collect();
    let centres: Vec<String> = model
        .rule
        .centres()
        .iter()
        .map(|centre| {
            let values: Vec<String> = centre.iter().map(|v| format!("{v:e}")).collect();
            format!("[{}]", values.join(", "))
        })
        .collect();
    let personas: Vec<String> = model
        .personas
        .iter()
        .map(|name| format!("{name:?}"))
        .collect();
    Ok(format!(
        r#""""rfm-studio {variant}: KMeans refitted in Spark MLlib from the studio's {k} centres.

The features are the studio's scaled embedding (Spark SQL below); KMeans starts from the
studio's centres, so cluster i stays the studio's cluster i and its persona.
Usage: spark-submit this.py [RFM_CSV OUT_DIR]  (default: table {table:?} -> {table}_segments)
"""
import sys

from pyspark.mllib.clustering import KMeans, KMeansModel
from pyspark.sql import SparkSession

TABLE = {table:?}
CENTRES = [{centres}]
PERSONAS = [{personas}]
EMBEDDING_SQL = """WITH {stages}
SELECT customer_id, {plain_columns} FROM embedded"""

spark = SparkSession.builder.appName("rfm-studio {variant}").getOrCreate()
if len(sys.argv) > 1:
    spark.read.csv(sys.argv[1], header=True, inferSchema=True).createOrReplaceTempView(TABLE)
embedded = spark.sql(EMBEDDING_SQL)
points = embedded.rdd.map(lambda row: [float(row[c]) for c in [{columns}]]).cache()
fitted = KMeans.train(
    points, len(CENTRES), maxIterations=300, initialModel=KMeansModel(CENTRES), epsilon=1e-4
)
centres = spark.sparkContext.broadcast(fitted)
assigned = embedded.rdd.map(
    lambda row: (
        row["customer_id"],
        centres.value.predict([float(row[c]) for c in [{columns}]]),
    )
).map(lambda pair: (pair[0], pair[1], PERSONAS[pair[1]])).toDF(["customer_id", "cluster", "persona"])
if len(sys.argv) > 2:
    assigned.coalesce(1).write.mode("overwrite").csv(sys.argv[2], header=True)
else:
    assigned.write.mode("overwrite").saveAsTable(TABLE + "_segments")
print("centres after refitting:", [[float(v) for v in c] for c in fitted.clusterCenters])
spark.stop()
"#,
        variant = model.variant,
        k = model.rule.clusters(),
        stages = stages.join(",\n"),
        plain_columns = (0..dims)
            .map(|d| format!("e{d}"))
            .collect::<Vec<_>>()
            .join(", "),
        columns = columns.join(", "),
        centres = centres.join(", "),
        personas = personas.join(", "),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::embed::scale::Scaling;
    use crate::core::warehouse::{ClusterRule, Projection, ScalerParams};

    fn model() -> SegmentModel {
        SegmentModel {
            variant: "KM_PCA".into(),
            scaler: ScalerParams {
                scaling: Scaling::SeedCompatible,
                mean: vec![90.0, 4.0, 1500.0],
                scale: vec![100.0, 8.0, 9000.0],
            },
            projection: Projection::Pca {
                mean: vec![0.0; 3],
                components: vec![vec![0.6, 0.8, 0.0], vec![0.0, 0.0, 1.0]],
            },
            rule: ClusterRule::NearestCentroid {
                centroids: vec![vec![-1.0, 0.0], vec![2.5, 0.5], vec![30.0, 40.0]],
            },
            personas: vec![
                "Loyal regulars".into(),
                "VIP".into(),
                "Dormant low value".into(),
            ],
        }
    }

    #[test]
    fn bigquery_ml_starts_from_the_studio_centres_without_restandardising() {
        let script = bigquery_ml_script(&model(), "shop.rfm", "shop.segments").unwrap();
        assert!(script.contains("model_type = 'kmeans'"));
        assert!(script.contains("num_clusters = 3"));
        assert!(script.contains("kmeans_init_method = 'CUSTOM'"));
        assert!(script.contains("kmeans_init_col = 'is_init_centroid'"));
        assert!(script.contains("standardize_features = FALSE"));
        assert_eq!(script.matches("TRUE AS is_init_centroid").count(), 3);
        assert!(script.contains("SELECT 2.5e0 AS e0, 5e-1 AS e1, TRUE AS is_init_centroid"));
        assert!(script.contains("FROM `shop.rfm`"));
        assert!(script.contains("ML.PREDICT(MODEL `shop.segments`"));
        assert_eq!(script.matches('(').count(), script.matches(')').count());
    }

    #[test]
    fn pyspark_script_uses_the_centres_as_initial_model() {
        let script = pyspark_script(&model(), "rfm").unwrap();
        assert!(script.contains("CENTRES = [[-1e0, 0e0], [2.5e0, 5e-1], [3e1, 4e1]]"));
        assert!(script.contains("initialModel=KMeansModel(CENTRES)"));
        assert!(script.contains(r#"PERSONAS = ["Loyal regulars", "VIP", "Dormant low value"]"#));
        assert!(script.contains("(CAST(`recency` AS DOUBLE) - 9e1) / 1e2 AS z0"));
        assert!(script.contains("FROM `rfm`"));
    }
}
