"""Model names for `train`, the command line and preset recipes.

Each name maps to a model class of `keras_hsvae.models` and the fixed
constructor arguments that name implies. The S-VAE names are generated from
the posterior registry (`svae_<posterior>` for every registered spherical
posterior), so a newly registered posterior is trainable by name, from
Python and from `hsvae train --model`, without touching this file.
"""

from collections.abc import Mapping

from keras_hsvae.layers.posteriors import list_posteriors

# Names that do not depend on the posterior registry.
_FIXED = {
    "beta_vae": ("BetaVAE", {}),
    # Short names kept from 0.1: the vMF and Power Spherical S-VAEs.
    "svae": ("SVAE", {"posterior": "vmf"}),
    "svae_power": ("SVAE", {"posterior": "power_spherical"}),
    "product_svae": ("ProductSVAE", {}),
    "hsc_vae": ("HSCVAE", {}),
    "sae": ("SAE", {}),
}


class _ModelNames(Mapping):
    """name -> (class name, fixed kwargs), read afresh from the registry."""

    def _table(self):
        table = dict(_FIXED)
        for name in list_posteriors(spherical=True):
            table.setdefault(f"svae_{name}", ("SVAE", {"posterior": name}))
        return table

    def __getitem__(self, name):
        return self._table()[name]

    def __iter__(self):
        return iter(self._table())

    def __len__(self):
        return len(self._table())

    def __repr__(self):
        return repr(self._table())


MODELS = _ModelNames()


class _GraphModelNames(_ModelNames):
    """The graph auto-encoders: `nvgae`, `svgae` (vMF), `svgae_<posterior>`."""

    def _table(self):
        table = {"nvgae": ("NVGAE", {}), "svgae": ("SVGAE", {"posterior": "vmf"})}
        for name in list_posteriors(spherical=True):
            table.setdefault(f"svgae_{name}", ("SVGAE", {"posterior": name}))
        return table


# Trained on a whole graph (`keras_hsvae.data.load("cora")`), not on images:
# `build_model` does not make them; `keras_hsvae.training.train` does.
GRAPH_MODELS = _GraphModelNames()


def model_names():
    """The names accepted by `build_model`, `train` and `hsvae train --model`."""
    return tuple(MODELS)


def graph_model_names():
    """The graph auto-encoder names of `train` and `hsvae train --model`."""
    return tuple(GRAPH_MODELS)


def get_model_class(name, table=MODELS):
    """The class and fixed constructor kwargs of a model name of `table`."""
    from keras_hsvae import models

    if name not in table:
        raise ValueError(
            f"`model` must be one of {tuple(table)}. Received: model={name!r}"
        )
    class_name, kwargs = table[name]
    return getattr(models, class_name), dict(kwargs)
