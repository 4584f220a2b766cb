"""Power of the 1 %-kappa sample-mean test of the vMF sampler.

For each (m, kappa) of `tests/distributions/test_von_mises_fisher.py`'s
`MEAN_CASES`, draws the test's number of samples (seed 13) at kappa,
1.01 kappa and 0.99 kappa and prints how many standard errors the sample
mean of mu^T z lies from A_m(kappa) (mpmath). The test accepts |score| < 4:
the first column must pass, the other two must fail. The numbers in the
test's docstring come from this script on TensorFlow.

    KERAS_BACKEND=tensorflow python experiments/vmf_mean_power.py
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mp_reference import iv_ratio  # noqa: E402

from keras_hsvae import distributions as hd  # noqa: E402

CASES = [(2, 2.0), (3, 5.0), (3, 50.0), (10, 10.0), (10, 100.0)]
CASES += [(64, 100.0), (64, 1e3), (512, 1e3), (512, 1e4)]


def main():
    print("m kappa draws: score at kappa / 1.01 kappa / 0.99 kappa")
    for m, kappa in CASES:
        a = float(iv_ratio(m / 2 - 1, kappa))
        slope = 1.0 - a * a - (m - 1) * a / kappa
        n = int(np.ceil((8.0 / (0.01 * kappa)) ** 2 / slope))
        se = np.sqrt(slope / n)
        rng = np.random.default_rng(m)
        mu = rng.normal(size=m)
        mu /= np.linalg.norm(mu)
        scores = []
        for factor in (1.0, 1.01, 0.99):
            q = hd.VonMisesFisher(mu.astype("float32"), np.float32(kappa * factor))
            z = np.asarray(q.sample((n,), seed=13), np.float64)
            scores.append((np.mean(z @ mu) - a) / se)
        print(m, kappa, n, " / ".join(f"{s:.1f}" for s in scores), flush=True)


if __name__ == "__main__":
    main()
