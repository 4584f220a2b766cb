"""`kl_divergence(q, p)` with closed forms registered per pair of types."""

_REGISTRY = {}


def register_kl(type_q, type_p):
    """Decorator registering `fn(q, p)` as KL(q || p) for the two types."""

    def decorator(fn):
        _REGISTRY[(type_q, type_p)] = fn
        return fn

    return decorator


def kl_divergence(q, p):
    """KL divergence `KL(q || p)` in nats, with the batch shape of `q`.

    Closed forms are registered for: `VonMisesFisher || HypersphericalUniform`,
    `PowerSpherical || HypersphericalUniform`,
    `ProductVonMisesFisher || ProductHypersphericalUniform` (sum over shells),
    `Normal || Normal` (diagonal Gaussians).

    Args:
        q: the approximating distribution.
        p: the reference distribution (same ambient dimension).

    Raises:
        NotImplementedError: no closed form is registered for the pair.
        ValueError: the dimensions of `q` and `p` differ.

    Example:

    >>> from keras_hsvae import distributions as hd
    >>> q = hd.VonMisesFisher([0.0, 0.0, 1.0], 0.0)
    >>> float(hd.kl_divergence(q, hd.HypersphericalUniform(3)))
    0.0
    """
    for tq in type(q).__mro__:
        for tp in type(p).__mro__:
            fn = _REGISTRY.get((tq, tp))
            if fn is not None:
                if getattr(q, "dim", None) != getattr(p, "dim", None):
                    raise ValueError(
                        "`q` and `p` must have the same ambient dimension. "
                        f"Received: q.dim={q.dim}, p.dim={p.dim}"
                    )
                return fn(q, p)
    raise NotImplementedError(
        f"No KL divergence registered for q={type(q).__name__}, "
        f"p={type(p).__name__}. Registered pairs: "
        + ", ".join(f"({a.__name__}, {b.__name__})" for a, b in _REGISTRY)
    )
