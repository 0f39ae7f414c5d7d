"""core.readonce: inside a scope a shared read is made once per distinct question; outside, every time."""

from __future__ import annotations

from evqms.core import readonce

calls: list[tuple] = []


@readonce.shared
def who_is_due(person=None, *, today=None):
    calls.append((person, today))
    return [person, today]


def test_outside_a_scope_every_call_reads():
    calls.clear()
    who_is_due()
    who_is_due()
    assert len(calls) == 2


def test_inside_a_scope_one_read_per_question_and_the_same_answer():
    calls.clear()
    with readonce.scope():
        first = who_is_due()
        assert who_is_due(None) is first and who_is_due(person=None, today=None) is first
        other = who_is_due("qa")
        assert who_is_due("qa") is other and other is not first
    assert calls == [(None, None), ("qa", None)]
    who_is_due()  # the scope is over: nothing is kept
    assert len(calls) == 3


def test_scopes_do_not_share():
    calls.clear()
    with readonce.scope():
        who_is_due()
    with readonce.scope():
        who_is_due()
    assert len(calls) == 2
