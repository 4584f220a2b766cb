"""An S-VAE and an HSC-VAE trained by two JAX processes, or by one.

Run as a script (JAX backend, CPU):

    python tests/distributed/jax_processes.py OUT.json                   # one process
    python tests/distributed/jax_processes.py OUT.json PORT 2 0 &        # process 0
    python tests/distributed/jax_processes.py OUT.json PORT 2 1          # process 1

With a port, the process joins the cluster on `127.0.0.1:PORT`
(`keras.distribution.initialize`, i.e. `jax.distributed.initialize`), one
CPU device per process, and trains under `keras.distribution.DataParallel`
over the devices of all processes; each process feeds its half of every
global batch (Keras assembles the global batch with
`jax.make_array_from_process_local_data`). Alone it trains on the whole
global batch on its one device. Both write the final weights and logs of
each model (`.npz` beside OUT.json) so that the caller compares them.
"""

import json
import os
import sys

GLOBAL_BATCH = 8
STEPS = 3


def _model(kind):
    import keras

    from keras_hsvae.models import HSCVAE, SVAE, mlp_decoder, mlp_encoder

    encoder = mlp_encoder((4, 4, 1), hidden=(16,))
    decoder = mlp_decoder(3, (4, 4, 1), hidden=(16,))
    if kind == "hsc":
        model = HSCVAE(encoder, decoder, 3, seed=1, likelihood="bernoulli")
    else:
        model = SVAE(encoder, decoder, 3, posterior="vmf", seed=1)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    return model


def main(out_path, port=None, num_processes=1, process_id=0):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import jax

    jax.config.update("jax_platforms", "cpu")
    import keras
    import numpy as np

    if port is not None:
        keras.distribution.initialize(
            f"127.0.0.1:{port}", num_processes=num_processes, process_id=process_id
        )
        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False)
        )
    rng = np.random.default_rng(0)
    x = (rng.random((STEPS * GLOBAL_BATCH, 4, 4, 1)) > 0.5).astype("float32")
    local = GLOBAL_BATCH // num_processes
    # This process's rows of every global batch, in order.
    steps = x.reshape(STEPS, GLOBAL_BATCH, 4, 4, 1)
    shard = steps[:, process_id * local : (process_id + 1) * local].reshape(
        (-1, 4, 4, 1)
    )
    report = {"devices": len(jax.devices()), "processes": jax.process_count()}
    arrays = {}
    for kind in ("svae", "hsc"):
        keras.utils.set_random_seed(0)
        model = _model(kind)
        # Draw a sample on every step: the vMF with a decoder that trains.
        history = model.fit(shard, batch_size=local, shuffle=False, verbose=0)
        report[kind] = {k: float(v[-1]) for k, v in history.history.items()}
        for i, weight in enumerate(model.weights):
            # Replicated: this process's copy is the whole weight.
            arrays[f"{kind}_{i}"] = np.asarray(weight.value.addressable_data(0))
    if process_id == 0:
        np.savez(out_path.replace(".json", ".npz"), **arrays)
        with open(out_path, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 1:
        main(args[0])
    else:
        main(args[0], int(args[1]), int(args[2]), int(args[3]))
