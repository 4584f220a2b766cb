"""Worst errors of the Bessel and vMF functions against mpmath, per dtype.

    KERAS_BACKEND=tensorflow python benchmarks/accuracy.py

Same grids as the tests (tests/ops/test_ops_bessel.py,
tests/distributions/test_von_mises_fisher.py),
same independent reference (tests/mp_reference.py, mpmath at 40-60 digits), and
for comparison TFP's `log_bessel_ive` / `VonMisesFisher` KL on the TF backend.
Writes results/accuracy.json.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _common import environment, write  # noqa: E402
from mp_reference import iv_ratio, log_iv, vmf_kl  # noqa: E402

from keras_hsvae import ops as hops  # noqa: E402

ORDERS = [0.0, 0.5, 1.0, 4.5, 31.0, 255.0, 1023.0, 4999.0]
ARGS = [1e-6, 1e-4, 1e-2, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 100.0, 300.0]
ARGS += [1e3, 3e3, 1e4, 3e4, 1e5, 1e6, 1e7]
DIMS = [2, 3, 5, 10, 64, 256, 1024, 4096]
KAPPAS = [1e-6, 1e-3, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6]


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), np.float64)


def bessel_errors(dtype):
    v, x = np.meshgrid(np.array(ORDERS, dtype), np.array(ARGS, dtype), indexing="ij")
    v, x = v.ravel(), x.ravel()
    ref_log = np.array([float(log_iv(float(a), float(b))) for a, b in zip(v, x)])
    ref_ratio = np.array([float(iv_ratio(float(a), float(b))) for a, b in zip(v, x)])
    log_err = np.abs(_np(hops.log_bessel_iv(v, x)) - ref_log) / np.maximum(
        1.0, np.abs(ref_log)
    )
    ratio_err = np.abs(_np(hops.bessel_iv_ratio(v, x)) - ref_ratio) / ref_ratio
    out = {
        "log_bessel_iv_max_err_over_max1_abs": float(log_err.max()),
        "bessel_iv_ratio_max_rel_err": float(ratio_err.max()),
    }
    if keras.backend.backend() == "tensorflow":
        import tensorflow_probability as tfp

        tfp_log = tfp.math.log_bessel_ive(v, x).numpy().astype(np.float64) + x
        tfp_err = np.abs(tfp_log - ref_log) / np.maximum(1.0, np.abs(ref_log))
        out["tfp_log_bessel_ive_plus_x_max_err"] = float(tfp_err.max())
    return out


def kl_errors(dtype):
    worst, worst_tfp = 0.0, 0.0
    kappa = np.array(KAPPAS, dtype)
    for m in DIMS:
        ref = np.array([float(vmf_kl(m, float(k))) for k in kappa])
        got = _np(hops.vmf_kl_to_uniform(m, kappa))
        worst = max(worst, float(np.max(np.abs(got - ref) / ref)))
        if keras.backend.backend() == "tensorflow":
            import tensorflow_probability as tfp

            tfd = tfp.distributions
            mu = np.zeros((len(kappa), m), dtype)
            mu[:, 0] = 1
            q = tfd.VonMisesFisher(mu, kappa)
            kl = tfd.kl_divergence(q, tfd.SphericalUniform(m, dtype=dtype)).numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.abs(kl.astype(np.float64) - ref) / ref
            worst_tfp = max(
                worst_tfp, float(np.nanmax(np.where(np.isfinite(rel), rel, np.inf)))
            )
    out = {"vmf_kl_max_rel_err": worst}
    if keras.backend.backend() == "tensorflow":
        out["tfp_vmf_kl_max_rel_err"] = worst_tfp
    return out


def main():
    report = {
        "environment": environment(),
        "grids": {"orders": ORDERS, "args": ARGS, "dims": DIMS, "kappas": KAPPAS},
    }
    for dtype in ("float64", "float32"):
        report[dtype] = {**bessel_errors(dtype), **kl_errors(dtype)}
        print(dtype, report[dtype])
    write("accuracy", report)


if __name__ == "__main__":
    main()
