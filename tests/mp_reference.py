"""Independent reference values computed with mpmath at high precision."""

import functools

import mpmath as mp


@functools.cache
def log_iv(v, x, dps=40):
    """log I_v(x): mpmath's besseli, or its integral form where the series stalls.

    I_v(x) = (x/2)^v / (sqrt(pi) Gamma(v + 1/2)) int_0^2 (s(2-s))^(v-1/2) e^{x(1-s)} ds,
    integrated with breakpoints around the peak of the integrand.
    """
    with mp.workdps(dps):
        v = mp.mpf(v)
        x = mp.mpf(x)
        if x == 0:
            return mp.mpf(0) if v == 0 else -mp.inf
        try:
            return mp.log(mp.besseli(v, x, maxterms=20000))
        except mp.libmp.NoConvergence:
            pass
        a = v - mp.mpf(1) / 2
        if a > 0:
            c = mp.findroot(lambda s: a * (2 - 2 * s) / (s * (2 - s)) - x, a / (x + a))
            curv = a * ((2 - 2 * c) ** 2 / (c * (2 - c)) ** 2 + 2 / (c * (2 - c)))
            width = 1 / mp.sqrt(curv)
            g0 = a * mp.log(c * (2 - c)) - x * c
        else:
            c, width, g0 = mp.mpf(0), 1 / x, mp.mpf(0)
        points = {mp.mpf(0), mp.mpf(2)}
        for k in (0, 1, 2, 4, 8, 16, 32, 64, 128):
            for p in (c - k * width, c + k * width):
                if 0 < p < 2:
                    points.add(p)

        def integrand(s):
            if not 0 < s < 2:
                return mp.mpf(0)
            return mp.exp(a * mp.log(s * (2 - s)) - x * s - g0)

        integral = mp.quad(integrand, sorted(points))
        return (
            v * mp.log(x / 2)
            - mp.log(mp.sqrt(mp.pi))
            - mp.loggamma(v + mp.mpf(1) / 2)
            + x
            + g0
            + mp.log(integral)
        )


@functools.cache
def iv_ratio(v, x):
    with mp.workdps(40):
        return mp.exp(log_iv(v + 1, x) - log_iv(v, x))


@functools.cache
def vmf_kl(m, kappa):
    """Textbook KL(vMF || U) = kappa A + log C_m + log area, at 60 digits."""
    with mp.workdps(60):
        m = mp.mpf(m)
        k = mp.mpf(kappa)
        v = m / 2 - 1
        if k == 0:
            return mp.mpf(0)
        li = log_iv(v, k, 60)
        a = mp.exp(log_iv(v + 1, k, 60) - li)
        log_c = v * mp.log(k) - (m / 2) * mp.log(2 * mp.pi) - li
        log_area = mp.log(2) + (m / 2) * mp.log(mp.pi) - mp.loggamma(m / 2)
        return k * a + log_c + log_area


def log_sphere_area(m):
    with mp.workdps(40):
        m = mp.mpf(m)
        return mp.log(2) + (m / 2) * mp.log(mp.pi) - mp.loggamma(m / 2)


@functools.cache
def vmf_log_normalizer(m, kappa):
    """log C_m(kappa) = v log kappa - (m/2) log(2 pi) - log I_v(kappa), v = m/2 - 1."""
    with mp.workdps(60):
        k = mp.mpf(kappa)
        v = mp.mpf(m) / 2 - 1
        if k == 0:
            return -log_sphere_area(m)
        return v * mp.log(k) - (mp.mpf(m) / 2) * mp.log(2 * mp.pi) - log_iv(v, k, 60)


def power_spherical_parts(m, kappa):
    """`(kappa, log C, entropy, log area)` of PowerSpherical (De Cao & Aziz 2020).

    The textbook formulas, to be evaluated inside `mp.workdps(50)` or higher.
    """
    k = mp.mpf(kappa)
    a = mp.mpf(m - 1) / 2 + k
    b = mp.mpf(m - 1) / 2
    log_c = -(
        (a + b) * mp.log(2) + b * mp.log(mp.pi) + mp.loggamma(a) - mp.loggamma(a + b)
    )
    entropy = -(log_c + k * (mp.log(2) + mp.digamma(a) - mp.digamma(a + b)))
    log_area = mp.log(2) + mp.mpf(m) / 2 * mp.log(mp.pi) - mp.loggamma(mp.mpf(m) / 2)
    return k, log_c, entropy, log_area


@functools.cache
def power_spherical_entropy_kl(m, kappa):
    """`(entropy, KL to uniform, log area)` of PowerSpherical, as floats."""
    with mp.workdps(50):
        _, _, entropy, log_area = power_spherical_parts(m, kappa)
        return float(entropy), float(log_area - entropy), float(log_area)


def power_spherical_log_prob(m, kappa, mu, x):
    """Log density of PowerSpherical(mu, kappa) at the rows of `x` (floats)."""
    with mp.workdps(50):
        k, log_c, _, _ = power_spherical_parts(m, kappa)
        out = []
        for row in x:
            cos = mp.fsum(
                mp.mpf(float(u)) * mp.mpf(float(v))
                for u, v in zip(mu, row, strict=True)
            )
            power = k * mp.log(1 + cos) if k != 0 else mp.mpf(0)
            out.append(float(log_c + power))
        return out
