"""Every exercise check of the book, in one namespace: ``check.<name>(your_function)``.

The checks of chapter NN are written in ``bplib/exercises/chNN.py`` (each lists its checks in
``__all__``); this module gathers them so a notebook needs one import.
"""

from __future__ import annotations

import importlib
import pkgutil

import bplib.exercises as _pkg

__all__: list[str] = []
_defined_in: dict[str, str] = {}  # check name -> chapter module (a reload must not trip this)

for _info in sorted(pkgutil.iter_modules(_pkg.__path__), key=lambda m: m.name):
    if _info.name.startswith("ch") and _info.name[2:].isdigit():
        _module = importlib.import_module(f"bplib.exercises.{_info.name}")
        for _name in getattr(_module, "__all__", []):
            if _defined_in.setdefault(_name, _info.name) != _info.name:
                raise ImportError(
                    f"bplib.exercises: {_defined_in[_name]} and {_info.name} both define "
                    f"the check {_name!r}; rename one."
                )
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
