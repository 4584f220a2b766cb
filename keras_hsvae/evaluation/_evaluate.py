"""`evaluate_model`: every metric of SPEC §6 for one model, as plain JSON data."""

import numpy as np
from keras import ops

from keras_hsvae.evaluation._features import (
    FeatureExtractorUnavailableError,
    describe_feature_extractor,
    get_feature_extractor,
)
from keras_hsvae.evaluation._frechet import frechet_distance_from_features
from keras_hsvae.evaluation._latent import (
    knn_accuracy,
    posterior_collapse,
    replica_angle,
)
from keras_hsvae.evaluation._likelihood import (
    elbo,
    ensure_built,
    importance_sampled_log_likelihood,
    reconstruction_mse,
)
from keras_hsvae.evaluation._wasserstein import sliced_wasserstein_distance
from keras_hsvae.ops import vmf_kl_to_uniform

METRICS = (
    "elbo",
    "log_likelihood",
    "mse",
    "fid",
    "sliced_wasserstein",
    "knn",
    "replica_angle",
    "posterior_collapse",
    "shells",
)
_LIKELIHOOD_HOOKS = ("posterior_distribution", "prior_distribution", "log_likelihood")


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def _in_batches(fn, x, batch_size):
    """Concatenate `fn(batch)` (numpy) over batches of `x`."""
    x = np.asarray(x, dtype="float32")
    return np.concatenate(
        [_numpy(fn(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    )


def embed(model, x, batch_size=500):
    """`model.embed(x)` for a whole array, in batches, as numpy."""
    return _in_batches(model.embed, x, batch_size)


def reconstruct(model, x, batch_size=500):
    """`model.reconstruct(x)` for a whole array, in batches, as numpy."""
    return _in_batches(model.reconstruct, x, batch_size)


def generate(model, n, seed=0, batch_size=500):
    """`n` decoded samples of `model.generate`, in batches of distinct seeds."""
    out = []
    for i, start in enumerate(range(0, n, batch_size)):
        out.append(_numpy(model.generate(min(batch_size, n - start), seed=seed + i)))
    return np.concatenate(out)


def posterior_means(model, x, batch_size=500):
    """`E_q[z | x]` when the posterior has a `mean()`, else `model.embed(x)`.

    Returns:
        `(means, statistic)` with `statistic` `"posterior_mean"` or
        `"embedding"`.
    """
    if hasattr(model, "posterior_distribution"):
        ensure_built(model, x)
        try:
            fn = lambda xb: model.posterior_distribution(xb).mean()  # noqa: E731
            return _in_batches(fn, x, batch_size), "posterior_mean"
        except (NotImplementedError, AttributeError):
            pass
    return embed(model, x, batch_size), "embedding"


def self_fid(model, x, feature_extractor, num_samples=None, seed=0, batch_size=500):
    """ "Self-FID" of the HSC-VAE paper (001): decoded samples vs reconstructions.

    The Frechet distance between the features of `num_samples` decoded random
    samples (`model.generate`, i.e. the prior or the model's sampler) and of
    the reconstructed test set `model.reconstruct(x)`. Low values mean the
    samples look like what the model reconstructs, independently of how
    sharp the reconstructions are (MSE measures that).

    Args:
        model: a model with `generate` and `reconstruct`.
        x: test images `(N, ...)`.
        feature_extractor: callable `images -> (n, f)` features.
        num_samples: number of generated images (default N).
        seed: seed of the generated samples.
        batch_size: images per pass.

    Returns:
        Python float.
    """
    num_samples = len(x) if num_samples is None else num_samples
    generated = generate(model, num_samples, seed, batch_size)
    recon = reconstruct(model, x, batch_size)
    return frechet_distance_from_features(
        feature_extractor(generated), feature_extractor(recon)
    )


def shell_report(model, x, batch_size=500, kl_threshold=0.01):
    """Per-shell KL and concentration of a product model (`ProductSVAE`).

    A shell whose mean KL exceeds the smallest KL its posterior layer can
    produce (`"kl_floor"`: the KL at the concentration floor, `kappa = 1`
    for the default `softplus + 1` head) by less than `kl_threshold` nats is
    reported in `"inactive_shells"`: its posterior is as close to the uniform
    prior as the layer allows, whatever the input, so the model ignores it
    (Davidson et al. 2019, appendix B).

    Args:
        model: a model whose `posterior` has `kl_per_shell(features)` and
            `parameters(features)` with per-shell lists.
        x: inputs `(N, ...)`.
        batch_size: examples per pass.
        kl_threshold: nats.

    Returns:
        dict with lists (one entry per shell) `"kl"`, `"kl_floor"`,
        `"concentration_mean"`, `"concentration_std"`, plus `"shell_dims"`,
        `"inactive_shells"`.
    """
    posterior = model.posterior
    kls, kappas = [], []
    x = np.asarray(x, dtype="float32")
    for start in range(0, len(x), batch_size):
        features = model.encoder(x[start : start + batch_size], training=False)
        kls.append(np.stack([_numpy(k) for k in posterior.kl_per_shell(features)]))
        params = posterior.parameters(features)["concentration"]
        kappas.append(np.stack([_numpy(k) for k in params]))
    kls = np.concatenate(kls, axis=1).astype("float64")
    kappas = np.concatenate(kappas, axis=1).astype("float64")
    kl_mean = kls.mean(axis=1)
    # The head's floor kappa >= offset keeps every KL above KL(offset) > 0
    # (0.05 nats at m = 10): an absolute threshold would never fire.
    floors = np.array(
        [
            float(_numpy(vmf_kl_to_uniform(shell.dim, shell.concentration_offset)))
            for shell in posterior.shells
        ]
    )
    inactive = np.flatnonzero(kl_mean - floors < kl_threshold)
    return {
        "shell_dims": [int(d) for d in getattr(model, "shell_dims", [])],
        "kl": kl_mean.tolist(),
        "kl_floor": floors.tolist(),
        "concentration_mean": kappas.mean(axis=1).tolist(),
        "concentration_std": kappas.std(axis=1).tolist(),
        "inactive_shells": inactive.tolist(),
        "kl_threshold": kl_threshold,
    }


def _concentration_summary(model, x, batch_size):
    """Mean/std of a single-shell spherical posterior's concentration, or None."""
    if not hasattr(model, "encode"):
        return None
    values = []
    x = np.asarray(x, dtype="float32")
    for start in range(0, len(x), batch_size):
        params = model.encode(x[start : start + batch_size])
        kappa = params.get("concentration") if isinstance(params, dict) else None
        if kappa is None or isinstance(kappa, list | tuple):
            return None
        values.append(_numpy(kappa).astype("float64"))
    values = np.concatenate(values)
    return {"mean": float(values.mean()), "std": float(values.std())}


def _check_metrics(metrics):
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = tuple(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(
            f"Unknown metrics {unknown}. Valid names: {list(METRICS)}. "
            f"Received: metrics={list(metrics)}"
        )
    return metrics


def _check_labels(y, x, name):
    if y is None:
        return None
    y = np.asarray(y).reshape(-1)
    if len(y) != len(x):
        raise ValueError(
            f"`{name}` must have one label per example ({len(x)}). "
            f"Received: {name}.shape={np.shape(y)}"
        )
    return y


def evaluate_model(
    model,
    x_test,
    y_test=None,
    x_train=None,
    y_train=None,
    metrics=METRICS,
    feature_extractor=None,
    num_importance_samples=500,
    seed=0,
    *,
    dataset=None,
    batch_size=100,
    num_generated=None,
    knn_k=5,
    knn_metric="euclidean",
    knn_label_budgets=(100, 600, 1000),
    knn_num_draws=20,
    num_projections=128,
):
    """Evaluate a model with the metrics of the papers; return plain JSON data.

    Metrics (names for `metrics`), each a key of the result:

    - `"elbo"`: `{"elbo", "reconstruction", "kl", "kl_estimator"}` on
      `x_test` (see `elbo`; one posterior draw per example).
    - `"log_likelihood"`: `{"value", "num_importance_samples"}`, the
      importance-sampled `log p(x)` (see `importance_sampled_log_likelihood`).
    - `"mse"`: squared error of reconstructions, summed over pixels, mean
      over images.
    - `"fid"`: `{"feature_extractor": {...}, "samples", "reconstructions",
      "self_fid", "num_generated"}`: Frechet distances between features of
      generated samples and test images, reconstructions and test images,
      and generated samples and reconstructions (self-FID, SPEC §6).
    - `"sliced_wasserstein"`: `{"samples", "reconstructions",
      "num_projections", "p"}`: pixel-space SW_2 of the same pairs vs test.
    - `"knn"`: k-NN accuracy on `model.embed` latents; `"all_labels"` trains
      on every `(x_train, y_train)` example (HSC-VAE protocol), and
      `"labels_<L>"` gives `{"mean", "std", "num_draws"}` over
      `knn_num_draws` class-balanced draws of L labels (S-VAE Table 2).
    - `"replica_angle"`: `{"mean", "std"}` (radians) of test latents.
    - `"posterior_collapse"`: see `posterior_collapse`, computed on
      `E_q[z|x]` (`"statistic"` says whether posterior means or embeddings
      were used), plus the concentration of spherical posteriors.
    - `"shells"`: per-shell KL and concentration of product models.

    A metric that does not apply (no labels, a model without a posterior,
    no feature extractor available) is listed in `"skipped"` with the reason
    instead of raising.

    Args:
        model: a `keras_hsvae.models` model (or an object with the same hooks).
        x_test: test inputs `(N, ...)`.
        y_test: test labels `(N,)` (k-NN only).
        x_train, y_train: training inputs and labels (k-NN only).
        metrics: names of the metrics to compute (default all).
        feature_extractor: see `get_feature_extractor`: None / `"auto"`,
            `"inception"`, `"classifier:<dataset>"` or a callable.
        num_importance_samples: K of the log-likelihood estimate.
        seed: int seed of every random draw.
        dataset: dataset name, used to pick the zoo classifier for FID.
        batch_size: examples per pass for the likelihood metrics.
        num_generated: generated images for FID/SWD (default N).
        knn_k, knn_metric: k-NN neighbours and metric.
        knn_label_budgets: label counts of the semi-supervised protocol.
        knn_num_draws: draws per label budget.
        num_projections: directions of the sliced Wasserstein distance.

    Returns:
        A dict of Python floats, ints, strings, lists and dicts.

    Example:

    >>> import numpy as np
    >>> from keras_hsvae.models import BetaVAE, mlp_decoder, mlp_encoder
    >>> vae = BetaVAE(mlp_encoder((6,), (8,)), mlp_decoder(3, (6,), (8,)), 3)
    >>> x = (np.random.default_rng(0).random((20, 6)) > 0.5).astype("float32")
    >>> report = evaluate_model(vae, x, metrics=("elbo", "replica_angle", "knn"))
    >>> sorted(report["elbo"]), sorted(report["skipped"])
    (['elbo', 'kl', 'kl_estimator', 'reconstruction'], ['knn'])
    """
    metrics = _check_metrics(metrics)
    x_test = np.asarray(x_test, dtype="float32")
    ensure_built(model, x_test)
    y_test = _check_labels(y_test, x_test, "y_test")
    if x_train is not None:
        x_train = np.asarray(x_train, dtype="float32")
    y_train = _check_labels(y_train, x_train if x_train is not None else [], "y_train")
    num_generated = len(x_test) if num_generated is None else int(num_generated)
    result = {
        "model": type(model).__name__,
        "latent_dim": int(getattr(model, "latent_dim", -1)),
        "num_test_examples": len(x_test),
        "seed": seed,
        "metrics": list(metrics),
    }
    skipped = {}
    has_likelihood = all(hasattr(model, h) for h in _LIKELIHOOD_HOOKS)

    def likelihood_metric(name, fn):
        if not has_likelihood:
            skipped[name] = "the model has no posterior/prior/likelihood hooks"
            return
        try:
            result[name] = fn()
        except NotImplementedError as error:
            skipped[name] = f"not implemented for this model: {error}"

    if "elbo" in metrics:
        likelihood_metric(
            "elbo", lambda: elbo(model, x_test, batch_size=batch_size, seed=seed)
        )
    if "log_likelihood" in metrics:
        likelihood_metric(
            "log_likelihood",
            lambda: {
                "value": importance_sampled_log_likelihood(
                    model,
                    x_test,
                    num_samples=num_importance_samples,
                    batch_size=batch_size,
                    seed=seed,
                ),
                "num_importance_samples": num_importance_samples,
            },
        )
    if "mse" in metrics:
        result["mse"] = reconstruction_mse(model, x_test)

    images = {}
    if "fid" in metrics or "sliced_wasserstein" in metrics:
        images["generated"] = generate(model, num_generated, seed)
        images["reconstructed"] = reconstruct(model, x_test)
    if "fid" in metrics:
        try:
            extractor = get_feature_extractor(feature_extractor, dataset)
        except FeatureExtractorUnavailableError as error:
            skipped["fid"] = f"no feature extractor available: {error}"
        else:
            feats = {
                "test": extractor(x_test),
                "generated": extractor(images["generated"]),
                "reconstructed": extractor(images["reconstructed"]),
            }
            result["fid"] = {
                "feature_extractor": describe_feature_extractor(extractor),
                "samples": frechet_distance_from_features(
                    feats["generated"], feats["test"]
                ),
                "reconstructions": frechet_distance_from_features(
                    feats["reconstructed"], feats["test"]
                ),
                "self_fid": frechet_distance_from_features(
                    feats["generated"], feats["reconstructed"]
                ),
                "num_generated": num_generated,
            }
    if "sliced_wasserstein" in metrics:
        swd = lambda a: sliced_wasserstein_distance(  # noqa: E731
            a, x_test, num_projections=num_projections, p=2, seed=seed
        )
        result["sliced_wasserstein"] = {
            "samples": swd(images["generated"]),
            "reconstructions": swd(images["reconstructed"]),
            "num_projections": num_projections,
            "p": 2,
            "space": "pixels",
        }

    z_test = None
    if {"knn", "replica_angle"} & set(metrics):
        z_test = embed(model, x_test)
    if "knn" in metrics:
        if y_test is None or x_train is None or y_train is None:
            skipped["knn"] = "needs x_train, y_train and y_test"
        else:
            z_train = embed(model, x_train)
            report = {"k": knn_k, "metric": knn_metric, "latent": "embed"}
            report["all_labels"] = knn_accuracy(
                z_train, y_train, z_test, y_test, k=knn_k, metric=knn_metric
            )
            for budget in knn_label_budgets:
                if budget > len(y_train):
                    continue
                runs = [
                    knn_accuracy(
                        z_train,
                        y_train,
                        z_test,
                        y_test,
                        k=min(knn_k, budget),
                        num_labels=budget,
                        metric=knn_metric,
                        seed=seed + draw,
                    )
                    for draw in range(knn_num_draws)
                ]
                report[f"labels_{budget}"] = {
                    "mean": float(np.mean(runs)),
                    "std": float(np.std(runs)),
                    "num_draws": knn_num_draws,
                }
            result["knn"] = report
    if "replica_angle" in metrics:
        result["replica_angle"] = replica_angle(z_test)
    if "posterior_collapse" in metrics:
        means, statistic = posterior_means(model, x_test)
        report = posterior_collapse(means)
        report["statistic"] = statistic
        concentration = _concentration_summary(model, x_test, 500)
        if concentration is not None:
            report["concentration"] = concentration
        result["posterior_collapse"] = report
    if "shells" in metrics:
        posterior = getattr(model, "posterior", None)
        if hasattr(posterior, "kl_per_shell") and hasattr(model, "encoder"):
            result["shells"] = shell_report(model, x_test)
        else:
            skipped["shells"] = "not a product-of-shells model"
    result["skipped"] = skipped
    return result
