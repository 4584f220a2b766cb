"""pytest plugin for the mutation check only (`make mutation`, docs/MUTATION.md).

mutmut 3 replaces every mutated function by a `(*args, **kwargs)` trampoline.
Keras reads `inspect.getfullargspec(cls.__init__)` when a Layer or Model is
created (`Operation.__new__`), which does not follow `__wrapped__` and fails on
such a signature. Giving each trampoline the original function's
`__signature__` lets the `__init__` of layers and models be mutated too. Only
`__init__`: a signature stored on other methods would be copied, `self`
included, onto Keras' `functools.wraps` wrappers of bound methods (`build`).
Loaded with `-p tests.mutmut_plugin` from `[tool.mutmut]` in pyproject.toml,
before the mutated package is imported.
"""

import inspect

try:
    from mutmut.mutation import trampoline
except ImportError:  # `--doctest-modules` imports this file in every test run
    trampoline = None


def _wrap_keeping_signature(mutants_dict, is_classmethod=False):
    decorate = _wrap_in_trampoline(mutants_dict, is_classmethod)

    def wrap(function):
        wrapped = decorate(function)
        if function.__name__ == "__init__":
            wrapped.__signature__ = inspect.signature(function)
        return wrapped

    return wrap


if trampoline is not None:
    _wrap_in_trampoline = trampoline.wrap_in_trampoline
    trampoline.wrap_in_trampoline = _wrap_keeping_signature
