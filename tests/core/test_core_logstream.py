"""Log records go to the stderr of the moment, not to a stream that was replaced and closed."""

import io
import logging
import sys

from evqms.core.logstream import CurrentStderrHandler


def test_a_replaced_and_closed_stderr_does_not_turn_records_into_tracebacks(monkeypatch):
    handler = CurrentStderrHandler()
    logger = logging.getLogger("evqms.test.logstream")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        first = io.StringIO()
        monkeypatch.setattr(sys, "stderr", first)
        logger.warning("one")
        first.close()  # what a finished output capture does
        second = io.StringIO()
        monkeypatch.setattr(sys, "stderr", second)
        logger.warning("two")
        assert second.getvalue() == "two\n"  # a plain StreamHandler prints "--- Logging error ---"
    finally:
        logger.removeHandler(handler)
