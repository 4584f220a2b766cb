"""Model names for `train`, the command line and preset recipes.

Each name maps to a model class of `keras_hsvae.models` and the fixed
constructor arguments that name implies. The spherical-posterior names are
generated from the posterior registry, so a newly registered posterior is
trainable by name without touching this file.
"""

# name -> (class name in keras_hsvae.models, fixed constructor kwargs)
MODELS = {
    "beta_vae": ("BetaVAE", {}),
    "svae": ("SVAE", {"posterior": "vmf"}),
    "svae_power": ("SVAE", {"posterior": "power_spherical"}),
    "product_svae": ("ProductSVAE", {}),
    "hsc_vae": ("HSCVAE", {}),
    "sae": ("SAE", {}),
}


def model_names():
    """The names accepted by `build_model`, `train` and `hsvae train --model`."""
    return tuple(MODELS)


def get_model_class(name):
    """The class and fixed constructor kwargs of a model name."""
    from keras_hsvae import models

    if name not in MODELS:
        raise ValueError(
            f"`model` must be one of {model_names()}. Received: model={name!r}"
        )
    class_name, kwargs = MODELS[name]
    return getattr(models, class_name), dict(kwargs)
