"""Every exercise check of the book, in one namespace: ``check.<name>(your_function)``.

The checks of chapter NN are written in ``bplib/exercises/chNN.py`` (each lists its checks in
``__all__``); this module gathers them so a notebook needs one import.
"""

from __future__ import annotations

import importlib
import pkgutil

import bplib.exercises as _pkg

__all__: list[str] = []

for _info in sorted(pkgutil.iter_modules(_pkg.__path__), key=lambda m: m.name):
    if _info.name.startswith("ch"):
        _module = importlib.import_module(f"bplib.exercises.{_info.name}")
        for _name in getattr(_module, "__all__", []):
            if _name in globals():
                raise ImportError(f"bplib.exercises: two chapters define the check {_name!r}")
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
