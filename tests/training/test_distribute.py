"""Data-parallel training equals one device on the same global batch.

Fast: one subprocess per engine (`tests/distributed/two_devices.py`: two
logical CPU devices under TensorFlow's `MirroredStrategy`, two forced host
devices under JAX's `keras.distribution.DataParallel`) trains an SAE (the
reconstruction scaling) and an HSC-VAE with a frozen zero decoder (the
regularizer alone: global batch statistics; on TensorFlow also the noise of
each replica) two SGD steps, against one device. Slow: every model kind
(S-VAE, Power Spherical, beta-VAE, product: the KL scaling), two JAX
processes on 127.0.0.1 (`tests/distributed/jax_processes.py`),
`train(distribute=...)` end to end, `MultiWorkerMirroredStrategy`.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_hsvae.ops import _backend_distribute as adapter
from keras_hsvae.training import TrainingConfig, distribute

SCRIPTS = Path(__file__).resolve().parents[1] / "distributed"
BACKEND = keras.backend.backend()
# float32, two SGD steps: summation order only.
ATOL = 1e-5


def _run(script, *args, backend=BACKEND, timeout=600, env=None):
    env = dict(
        os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", **(env or {})
    )
    return subprocess.run(
        [sys.executable, str(SCRIPTS / script), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def _two_devices(tmp_path, kinds):
    out = tmp_path / "report.json"
    result = _run("two_devices.py", out, env={"TWO_DEVICES_KINDS": ",".join(kinds)})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text())["kinds"]


def _check_equal(report):
    for kind, entry in report.items():
        assert entry["replicas"] == 2, kind
        # The steps moved the weights, and moved them the same way.
        assert entry["max_update"] > 1e-3, kind
        assert entry["max_weight_diff"] < ATOL, (kind, entry["max_weight_diff"])
        for name, value in entry["logs_one"].items():
            other = entry["logs_two"][name]
            assert abs(value - other) < ATOL * max(1.0, abs(value)), (kind, name)
        if "noise_replica_diff" in entry:
            # Own noise per replica; replica 0 keeps the one-device stream.
            assert entry["noise_replica_diff"] > 1e-2, kind
            assert entry["noise_replica0_vs_one_device"] == 0.0, kind


not_on_torch = pytest.mark.skipif(
    BACKEND == "torch",
    reason="Keras' PyTorch trainer has no data-parallel fit (refused, tested below)",
)


@not_on_torch
def test_one_step_on_two_devices_equals_one_device(tmp_path):
    # SAE: reconstruction scaling; HSC-VAE: global statistics, own noise.
    _check_equal(_two_devices(tmp_path, ["sae", "hsc"]))


@not_on_torch
@pytest.mark.slow
def test_every_model_on_two_devices_equals_one_device(tmp_path):
    kinds = ["sae", "hsc", "vmf", "power_spherical", "beta", "product"]
    report = _two_devices(tmp_path, kinds)
    if BACKEND == "jax":  # one program draws the global batch's noise
        assert {"hsc_whole", "beta_whole"} <= set(report)
    _check_equal(report)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(BACKEND != "jax", reason="jax.distributed: JAX only")
@pytest.mark.slow
def test_two_jax_processes_equal_one_process(tmp_path):
    port = _free_port()
    many, one = tmp_path / "two.json", tmp_path / "one.json"
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    # A file, not a pipe: nobody reads the worker's output until it ends.
    with open(tmp_path / "worker.log", "w") as log:
        worker = subprocess.Popen(
            [sys.executable, str(SCRIPTS / "jax_processes.py")]
            + [str(many), str(port), "2", "1"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            chief = _run("jax_processes.py", many, port, 2, 0, timeout=300)
            assert worker.wait(timeout=120) == 0
        finally:
            worker.kill()
            worker.wait()
    assert chief.returncode == 0, chief.stderr[-3000:]
    alone = _run("jax_processes.py", one, timeout=300)
    assert alone.returncode == 0, alone.stderr[-3000:]
    a, b = json.loads(many.read_text()), json.loads(one.read_text())
    assert (a["processes"], a["devices"], b["devices"]) == (2, 2, 1)
    for kind in ("svae", "hsc"):
        for name in a[kind]:
            assert abs(a[kind][name] - b[kind][name]) < 1e-5, (kind, name)
    wa, wb = np.load(many.with_suffix(".npz")), np.load(one.with_suffix(".npz"))
    assert sorted(wa) == sorted(wb) and len(wa) > 10
    for name in wa:
        np.testing.assert_allclose(wa[name], wb[name], rtol=0, atol=1e-5)


# -- in-process: no replicas, no change ----------------------------------------


def test_one_device_is_unchanged():
    generator = keras.random.SeedGenerator(3)
    assert adapter.replica_seed(generator) is generator
    assert adapter.cross_replica_sum() is None
    assert adapter.num_replicas_in_sync() == 1
    loss = keras.ops.convert_to_tensor(2.5)
    assert float(adapter.scale_loss_for_replicas(loss)) == 2.5
    adapter.check_fit_distribution(None)  # no distribution: nothing to refuse


def test_distribute_option_is_checked():
    assert TrainingConfig(distribute="mirrored").distribute == "mirrored"
    with pytest.raises(ValueError, match="`distribute` must be one of"):
        TrainingConfig(distribute="pmap")
    wrong = "data_parallel" if BACKEND != "jax" else "mirrored"
    with pytest.raises(ValueError, match=f"distribute='{wrong}' needs the"):
        with distribute.distribution_scope(wrong):
            pass
    x, batch = distribute.process_shard(np.arange(10), 4)
    assert batch == 4 and x.tolist() == list(range(10))


@pytest.mark.skipif(BACKEND != "jax", reason="processes: JAX only")
def test_process_shard_splits_every_global_batch(monkeypatch):
    import jax

    monkeypatch.setattr(distribute, "num_processes", lambda: 2)
    x = np.arange(10)
    monkeypatch.setattr(jax, "process_index", lambda: 0)
    first, batch = distribute.process_shard(x, 4)
    monkeypatch.setattr(jax, "process_index", lambda: 1)
    second, _ = distribute.process_shard(x, 4)
    assert batch == 2
    # Global batches [0..3], [4..7], then the last two rows, one each.
    assert first.tolist() == [0, 1, 4, 5, 8] and second.tolist() == [2, 3, 6, 7, 9]
    with pytest.raises(ValueError, match="multiple of the number of processes"):
        distribute.process_shard(x, 5)


@pytest.mark.skipif(BACKEND != "torch", reason="the refusal is PyTorch's")
def test_torch_fit_refuses_a_distribution():
    from conftest import make_tiny_model, tiny_data

    model = make_tiny_model("vmf")
    model.compile(optimizer="sgd")
    # `list_devices` has no PyTorch implementation: name two CPU devices.
    distribution = keras.distribution.DataParallel(devices=["cpu:0", "cpu:1"])
    keras.distribution.set_distribution(distribution)
    try:
        with pytest.raises(RuntimeError, match="PyTorch trainer has no data-parallel"):
            model.fit(tiny_data(8), epochs=1, verbose=0)
    finally:
        keras.distribution.set_distribution(None)


_MULTI_WORKER = """
import json, os, sys
ports, index = sys.argv[1].split(","), int(sys.argv[2])
os.environ["TF_CONFIG"] = json.dumps({
    "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
    "task": {"type": "worker", "index": index},
})
import tensorflow as tf
from conftest import make_tiny_model, tiny_data

strategy = tf.distribute.MultiWorkerMirroredStrategy()
with strategy.scope():
    model = make_tiny_model("hsc")
    model.compile(optimizer="sgd")
try:
    model.fit(tiny_data(8), epochs=1, verbose=0)
    print("TRAINED")
except RuntimeError as error:
    print("REFUSED", error)
"""


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.distribute: TensorFlow only")
@pytest.mark.slow
def test_multi_worker_mirrored_is_refused_at_fit():
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(SCRIPTS.parent), env.get("PYTHONPATH", "")]
    )
    ports = f"{_free_port()},{_free_port()}"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _MULTI_WORKER, ports, str(index)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for index in (0, 1)
    ]
    try:
        outputs = [worker.communicate(timeout=300) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
        (line,) = [x for x in out.splitlines() if x.startswith("REFUSED")]
        assert "cannot `fit` under MultiWorkerMirroredStrategy" in line


@not_on_torch
@pytest.mark.slow
def test_train_with_distribute_equals_one_device(tmp_path):
    out = tmp_path / "train.json"
    result = _run("two_devices.py", "train", out)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["replicas"] in (None, 2), report
    # Adam's first steps are about lr * sign(g): rounding in g shows more.
    assert report["max_weight_diff"] < 1e-4 and report["max_log_diff"] < ATOL, report
