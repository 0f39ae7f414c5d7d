"""A log handler that writes to whatever `sys.stderr` is at the time of each record.

`logging.StreamHandler` keeps the stream it was given when logging was configured; if that stream
is later replaced and closed (a test harness capturing output, a daemon redirecting it), every
record becomes a "--- Logging error ---" traceback on the new stderr instead of the message.
"""

from __future__ import annotations

import logging
import sys


class CurrentStderrHandler(logging.StreamHandler):
    def __init__(self):
        super().__init__(stream=sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler.__init__ assigns it; the current stderr is always used
        pass
