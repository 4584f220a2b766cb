"""Olver's polynomials u_k(t) of the uniform asymptotic expansion of I_v,
built by the recurrence in `bessel._uae_polynomials`, against the closed forms
printed in DLMF 10.41.10 (u_1, u_2, u_3).

The recurrence runs once, at import, to build the module's tables; this test
calls it directly so that a change to it fails here and not only through
the last digits of the Bessel functions.
"""

from fractions import Fraction

import numpy as np

from keras_hsvae.ops import bessel

# DLMF 10.41.10, coefficients by power of t (t^0, t^1, ...).
U1 = [0, Fraction(3, 24), 0, Fraction(-5, 24)]
U2 = [0, 0, Fraction(81, 1152), 0, Fraction(-462, 1152), 0, Fraction(385, 1152)]
U3 = [0, 0, 0, Fraction(30375, 414720), 0, Fraction(-369603, 414720), 0]
U3 += [Fraction(765765, 414720), 0, Fraction(-425425, 414720)]


def test_first_polynomials_match_dlmf():
    polys = bessel._uae_polynomials(3)
    assert len(polys) == 4
    assert polys[0] == [1.0]
    for got, want in zip(polys[1:], (U1, U2, U3)):
        np.testing.assert_allclose(got, [float(c) for c in want], rtol=1e-15, atol=0)


def test_tables_are_the_recurrence_and_its_derivatives():
    polys = bessel._uae_polynomials(len(bessel._U) - 1)
    assert bessel._U == polys
    for u, du in zip(polys, bessel._DU):
        assert du == [p * c for p, c in enumerate(u)][1:]
