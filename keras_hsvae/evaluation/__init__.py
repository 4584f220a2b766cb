"""Evaluation metrics of the papers (SPEC §6): likelihoods, FID, k-NN, ...

`evaluate_model(model, x_test, ...)` computes all of them and returns plain
JSON data; the functions below are the individual metrics.
"""

from keras_hsvae.evaluation._evaluate import (
    METRICS,
    evaluate_model,
    posterior_means,
    self_fid,
    shell_report,
)
from keras_hsvae.evaluation._features import (
    ClassifierFeatures,
    FeatureExtractorUnavailableError,
    InceptionFeatures,
    describe_feature_extractor,
    get_feature_extractor,
)
from keras_hsvae.evaluation._frechet import (
    feature_statistics,
    frechet_distance,
    frechet_distance_from_features,
)
from keras_hsvae.evaluation._latent import (
    knn_accuracy,
    knn_predict,
    posterior_collapse,
    replica_angle,
    replica_angles,
    sample_labeled_subset,
)
from keras_hsvae.evaluation._likelihood import (
    elbo,
    importance_sampled_log_likelihood,
    reconstruction_mse,
)
from keras_hsvae.evaluation._link_prediction import (
    evaluate_link_prediction,
    link_prediction_scores,
)
from keras_hsvae.evaluation._wasserstein import (
    random_directions,
    sliced_wasserstein_distance,
)

__all__ = [
    "METRICS",
    "ClassifierFeatures",
    "FeatureExtractorUnavailableError",
    "InceptionFeatures",
    "describe_feature_extractor",
    "elbo",
    "evaluate_link_prediction",
    "evaluate_model",
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_from_features",
    "get_feature_extractor",
    "importance_sampled_log_likelihood",
    "knn_accuracy",
    "knn_predict",
    "link_prediction_scores",
    "posterior_collapse",
    "posterior_means",
    "random_directions",
    "reconstruction_mse",
    "replica_angle",
    "replica_angles",
    "sample_labeled_subset",
    "self_fid",
    "shell_report",
    "sliced_wasserstein_distance",
]
