"""Self-checking exercises of the book, and the student-notebook generator.

In a chapter notebook an exercise is three cells:

1. a markdown cell ``:::{admonition} Exercise 4.2: title`` saying what to write;
2. a code cell (tagged ``hide-input``: the HTML hides it behind a toggle) defining a function
   whose body sits between ``# BEGIN SOLUTION`` and ``# END SOLUTION``;
3. a check cell, e.g. ``check.softmax_backward(softmax_backward)``.

A check (see ``bplib.exercises._harness``) runs the reader's function on many random cases
against a reference and, on failure, names the case, what was expected, what came, and a hint
aimed at the typical mistake, never the answer; in Jupyter that message is all it shows.
``python -m bplib.exercises student book/ -o exercises/`` writes the student notebooks that
are missing (:mod:`bplib.exercises.student`; it never overwrites one), and ``python -m
bplib.exercises status exercises/`` runs their checks and prints ✓ / ✗ + hint / not started
per exercise (``bplib.exercises.status``).

The checks of chapter NN live in ``bplib/exercises/chNN.py``; ``bplib.exercises.check``
gathers them all, so notebooks only ``from bplib.exercises import check``.
"""

from bplib.exercises._harness import ExerciseFailed, Hint, check_function_cases

__all__ = ["ExerciseFailed", "Hint", "check_function_cases"]
