"""With `max_proposals=1`, a vMF draw whose single Wood proposal is rejected
comes back NaN: the rejection loop stops at its limit and never returns an
unaccepted value, nor keeps drawing past it."""

import numpy as np

from keras_hsvae.distributions import VonMisesFisher


def test_one_proposal_leaves_some_draws_unaccepted():
    # m = 10, kappa = 3: Wood's acceptance rate is well below 1, so among
    # 4000 single-proposal draws some are rejected (seeded).
    q = VonMisesFisher(np.eye(10)[0].astype("float32"), 3.0, max_proposals=1)
    z = np.asarray(q.sample(4000, seed=5))
    rejected = np.isnan(z).any(axis=-1)
    assert 0 < rejected.mean() < 0.9
    np.testing.assert_allclose(np.linalg.norm(z[~rejected], axis=-1), 1.0, rtol=1e-5)
