"""Two training steps on one device and on two devices of one host, compared.

Run as a script (the device count is fixed before the engine starts, so the
tests start it in a fresh process):

    KERAS_BACKEND=tensorflow python tests/distributed/two_devices.py out.json
    KERAS_BACKEND=jax python tests/distributed/two_devices.py train out.json

The second form runs `keras_hsvae.training.train` (Adam; an HSC-VAE on
JAX, the deterministic SAE on TensorFlow) with and without `distribute` and
writes the differences.

TensorFlow: the CPU split into two logical devices, `MirroredStrategy`.
JAX: two forced host devices, `keras.distribution.DataParallel`. Every model
kind trains two SGD steps (global batch 8, then 8 more) from the same
weights and seed, once on one device and once on two; the script writes
the largest weight and logged-metric differences per kind as JSON, the
size of the update (to show the step did something), and, on TensorFlow,
the noise every replica draws for the same inputs.

Kinds whose latent is sampled (`beta`, `vmf`, `power_spherical`,
`product`, `hsc`) train with a frozen all-zero decoder: the reconstruction
then does not depend on the noise (which rightly differs between one
device and two replicas), and the encoder's gradient is the KL's (or the
HSC regularizer's, from global batch statistics) alone. `sae` is
deterministic and trains whole: its step checks the reconstruction scaling.
"""

import json
import os
import sys

GLOBAL_BATCH = 8
STEPS = 2
KINDS = tuple(
    os.environ.get(
        "TWO_DEVICES_KINDS", "sae,hsc,vmf,power_spherical,beta,product"
    ).split(",")
)
# Sampled kinds that also train whole on JAX, where one program draws the
# noise of the global batch (the same numbers as on one device).
WHOLE_ON_JAX = ("hsc", "beta")


def _setup_devices(backend):
    if backend == "jax":
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=2"
    elif backend == "tensorflow":
        import tensorflow as tf

        (cpu,) = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )


def _model(kind, weights=None, zero_decoder=False):
    import keras
    import numpy as np

    from keras_hsvae.models import (
        HSCVAE,
        SAE,
        SVAE,
        BetaVAE,
        ProductSVAE,
        mlp_decoder,
        mlp_encoder,
    )

    latent = 5 if kind == "product" else 3
    encoder = mlp_encoder((4, 4, 1), hidden=(16,))
    decoder = mlp_decoder(latent, (4, 4, 1), hidden=(16,))
    if kind == "sae":
        model = SAE(encoder, decoder, latent, seed=1)
    elif kind == "hsc":
        model = HSCVAE(encoder, decoder, latent, seed=1, likelihood="bernoulli")
    elif kind == "beta":
        model = BetaVAE(encoder, decoder, latent, seed=1)
    elif kind == "product":
        model = ProductSVAE(encoder, decoder, [3, 2], seed=1)
    else:
        model = SVAE(encoder, decoder, latent, posterior=kind, seed=1)
    model(keras.ops.zeros((1, 4, 4, 1)))  # build
    if weights is not None:
        model.set_weights(weights)
    if zero_decoder:
        for weight in model.decoder.weights:
            weight.assign(np.zeros(weight.shape, weight.dtype))
        model.decoder.trainable = False
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    return model


def _train(model, x):
    history = model.fit(x, batch_size=GLOBAL_BATCH, shuffle=False, verbose=0)
    logs = {key: float(values[-1]) for key, values in history.history.items()}
    return [w for w in model.get_weights()], logs


def _max_diff(a, b):
    import numpy as np

    return max(float(np.max(np.abs(u - v))) for u, v in zip(a, b))


def _seed_generators(model):
    return [
        generator
        for layer in model._flatten_layers()
        for generator in getattr(layer, "_seed_generators", [])
    ]


def _replica_noise(strategy, model, x):
    """`z` of the same inputs on each replica (TensorFlow)."""
    import numpy as np

    def step(inputs):
        return model.latent(model.encoder(inputs), training=True)["z"]

    result = strategy.run(step, args=(x,))
    return [np.asarray(v) for v in strategy.experimental_local_results(result)]


def main(out_path):
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    _setup_devices(backend)
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = (rng.random((STEPS * GLOBAL_BATCH, 4, 4, 1)) > 0.5).astype("float32")
    runs = [(kind, kind != "sae") for kind in KINDS]
    if backend == "jax":
        runs += [(kind, False) for kind in WHOLE_ON_JAX]
    report = {"backend": backend, "kinds": {}}
    if backend == "tensorflow":
        import tensorflow as tf

        # One strategy per process: the collectives of a second one collide.
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    for kind, zero_decoder in runs:
        keras.utils.set_random_seed(0)
        initial = _model(kind).get_weights()
        one = _model(kind, initial, zero_decoder)
        w1, logs1 = _train(one, x)
        if backend == "tensorflow":
            with strategy.scope():
                two = _model(kind, initial, zero_decoder)
            w2, logs2 = _train(two, x)
            replicas = strategy.num_replicas_in_sync
        else:
            import jax

            distribution = keras.distribution.DataParallel(devices=jax.devices())
            keras.distribution.set_distribution(distribution)
            try:
                two = _model(kind, initial, zero_decoder)
                w2, logs2 = _train(two, x)
            finally:
                keras.distribution.set_distribution(None)
            replicas = len(jax.devices())
        before = _model(kind, initial, zero_decoder).get_weights()
        entry = {
            "replicas": replicas,
            "max_weight_diff": _max_diff(w1, w2),
            "max_update": _max_diff(w1, before),
            "max_log_diff": max(abs(logs1[k] - logs2[k]) for k in logs1),
            "logs_one": logs1,
            "logs_two": logs2,
        }
        if backend == "tensorflow" and kind != "sae":
            same = x[:4]
            fresh = _model(kind, two.get_weights(), zero_decoder)
            for mine, theirs in zip(_seed_generators(fresh), _seed_generators(two)):
                mine.state.assign(theirs.state.value)
            z = _replica_noise(strategy, two, same)
            z_one = np.asarray(fresh.latent(fresh.encoder(same), training=True)["z"])
            entry["noise_replica_diff"] = float(np.max(np.abs(z[0] - z[1])))
            entry["noise_replica0_vs_one_device"] = float(np.max(np.abs(z[0] - z_one)))
        name = kind if zero_decoder or kind == "sae" else f"{kind}_whole"
        report["kinds"][name] = entry
    with open(out_path, "w") as f:
        json.dump(report, f, indent=1)


def main_train(out_path):
    """`train(...)` with and without `distribute`, on two devices."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    _setup_devices(backend)
    import tempfile

    from keras_hsvae.training import train

    name = "mirrored" if backend == "tensorflow" else "data_parallel"
    # TensorFlow replicas draw other noise than one device: the SAE has none.
    kind = "sae" if backend == "tensorflow" else "hsc_vae"
    weights = {}
    for distribute in (None, name):
        model, history = train(
            kind,
            "vmf_circle",
            latent_dim=3,
            epochs=1,
            batch_size=16,
            max_train_examples=48,
            shuffle=False,
            learning_rate=0.01,
            output_dir=tempfile.mkdtemp(),
            verbose=0,
            distribute=distribute,
        )
        weights[distribute] = (model.get_weights(), history.history)
        if backend == "tensorflow":
            replicas = model.distribute_strategy.num_replicas_in_sync
    (w1, h1), (w2, h2) = weights[None], weights[name]
    with open(out_path, "w") as f:
        json.dump(
            {
                "distribute": name,
                "replicas": replicas if backend == "tensorflow" else None,
                "max_weight_diff": _max_diff(w1, w2),
                "max_log_diff": max(abs(h1[k][-1] - h2[k][-1]) for k in h1),
            },
            f,
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["train"]:
        main_train(sys.argv[2])
    else:
        main(sys.argv[1])
