"""bplib: the numpy companion library of *Backprop, derived and verified*.

One concept per module; every formula a function implements is derived in the book
under the equation label its docstring cites.
"""

__version__ = "0.1.0"
