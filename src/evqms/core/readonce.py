"""Reads shared by the parts of one page.

The dashboard's cards and its work queue are written by each area on its own, and some ask the
same question (the training card and the training tasks both read who is due for training). Inside
`scope()` a function marked `@shared` answers each distinct call once and gives the same answer to
every later caller; outside a scope it reads every time, so nothing is kept between requests.
A shared answer must not be changed by its callers.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect

_answers: contextvars.ContextVar[dict | None] = contextvars.ContextVar("evqms_readonce", default=None)


@contextlib.contextmanager
def scope():
    token = _answers.set({})
    try:
        yield
    finally:
        _answers.reset(token)


def shared(func):
    signature = inspect.signature(func)

    @functools.wraps(func)
    def answer(*args, **kwargs):
        answers = _answers.get()
        if answers is None:
            return func(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()  # f(), f(None) and f(person=None) are one question
        key = (func, tuple(bound.arguments.items()))
        if key not in answers:
            answers[key] = func(*args, **kwargs)
        return answers[key]

    return answer
