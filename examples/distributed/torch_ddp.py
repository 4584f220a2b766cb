"""Data-parallel training on PyTorch: our models under `DistributedDataParallel`.

    KERAS_BACKEND=torch python examples/distributed/torch_ddp.py  # 2 CPU processes
    KERAS_BACKEND=torch python examples/distributed/torch_ddp.py --model svae

Keras' torch trainer has no data-parallel `fit` (a `keras.distribution` set
there makes our `fit` raise). The models are ordinary `torch.nn.Module`s, so
`torch.nn.parallel.DistributedDataParallel` trains them with a hand-written
loop. Each process:

1. builds the model with the same seed (DDP also broadcasts rank 0's weights);
2. reseeds Keras with its rank, so that posterior noise differs per process;
3. computes `model.compute_loss` on its share of every global batch: the mean
   over its examples, the way `fit` computes it;
4. calls `backward()`: DDP averages the gradients over processes, so with
   equal shares one step equals one step on the whole global batch.

The HSC-VAE's batch statistics are per process on this path (the regularizer
needs a cross-process sum, see docs/DISTRIBUTED.md); the S-VAE, beta-VAE and
SAE need nothing else. The gloo backend runs on CPUs; use "nccl" on GPUs.
`tests/distributed/test_torch_ddp.py` checks one step of two processes
against one process on the same global batch.
"""

import argparse
import os
import socket

GLOBAL_BATCH = 64
SHAPE = (28, 28, 1)


def build(kind, seed=0):
    """The model of `kind` (`"sae"`, `"svae"`, `"beta"`), weights from `seed`."""
    import keras

    from keras_hsvae.models import SAE, SVAE, BetaVAE, mlp_decoder, mlp_encoder

    keras.utils.set_random_seed(seed)
    latent = 8
    encoder = mlp_encoder(SHAPE, hidden=(64,))
    decoder = mlp_decoder(latent, SHAPE, hidden=(64,))
    models = {"sae": SAE, "svae": SVAE, "beta": BetaVAE}
    model = models[kind](encoder, decoder, latent, seed=seed)
    model(keras.ops.zeros((1,) + SHAPE))  # build: DDP needs the parameters
    return model


def images(n, seed=0):
    """Stand-in binary images (the example runs offline)."""
    import numpy as np

    return (np.random.default_rng(seed).random((n,) + SHAPE) > 0.5).astype("float32")


def train(model, module, x, steps, learning_rate, rank=0, world_size=1):
    """SGD on `x` in global batches of `GLOBAL_BATCH`; this rank's share of each.

    `module` is `model` itself, or `model` wrapped in DDP. Returns the losses
    this rank computed (each the mean over its share of the batch).
    """
    import torch

    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    share = GLOBAL_BATCH // world_size
    losses = []
    for step in range(steps):
        start = step * GLOBAL_BATCH + rank * share
        batch = torch.as_tensor(x[start : start + share])
        optimizer.zero_grad()
        loss = model.compute_loss(x=batch, y_pred=module(batch, training=True))
        loss.backward()  # under DDP: the gradients averaged over ranks
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


def worker(rank, world_size, port, kind, steps, out_dir):
    """One process of the group: train and save this rank's final weights."""
    os.environ["KERAS_BACKEND"] = "torch"
    import keras
    import numpy as np
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size
    )
    try:
        model = build(kind)
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        # Same weights everywhere, its own noise on every rank.
        keras.utils.set_random_seed(1000 + rank)
        x = images(steps * GLOBAL_BATCH)
        losses = train(model, ddp, x, steps, 0.05, rank, world_size)
        weights = [keras.ops.convert_to_numpy(w) for w in model.weights]
        path = os.path.join(out_dir, f"rank{rank}.npz")
        np.savez(path, *weights, losses=np.array(losses))
    finally:
        dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(kind="sae", steps=3, world_size=2, out_dir="."):
    """Train with `world_size` CPU processes; the paths of their weight files."""
    import torch.multiprocessing as mp

    os.makedirs(out_dir, exist_ok=True)
    mp.spawn(
        worker,
        args=(world_size, free_port(), kind, steps, out_dir),
        nprocs=world_size,
        join=True,
    )
    return [os.path.join(out_dir, f"rank{r}.npz") for r in range(world_size)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("sae", "svae", "beta"), default="sae")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out-dir", default="ddp_out")
    args = parser.parse_args(argv)
    import numpy as np

    paths = run(args.model, args.steps, args.processes, args.out_dir)
    for path in paths:
        with np.load(path) as f:
            print(f"{path}: losses {np.round(f['losses'], 3).tolist()}")


if __name__ == "__main__":
    main()
