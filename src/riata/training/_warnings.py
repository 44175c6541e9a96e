"""Convergence warnings that survive a resume.

A path or stability selection resumed from a checkpoint does not refit the steps it
reads back, so the ``ConvergenceWarning`` those fits raised would be lost and the
run's note ("k of its fits stopped before converging") would count fewer. Each step
records the messages its fits raised (:func:`convergence_warnings_recorded`) and saves
them; a resumed run raises them again (:func:`replay_convergence_warnings`).
"""

from __future__ import annotations

import contextlib
import warnings

from sklearn.exceptions import ConvergenceWarning

__all__ = ["convergence_warnings_recorded", "replay_convergence_warnings"]


@contextlib.contextmanager
def convergence_warnings_recorded():
    """Collect the messages of the ConvergenceWarnings raised inside the block into the
    list it yields; every warning (these and others) is raised again on leaving, so
    callers see what they saw before."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            messages.append(str(w.message))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def replay_convergence_warnings(messages) -> None:
    """Raise again the ConvergenceWarnings of a step read back from a checkpoint."""
    for message in messages or ():
        warnings.warn(message, ConvergenceWarning, stacklevel=2)
