"""A pytest plugin loaded with `-p` (before pytest-django reads the settings).

Tests never touch a user's var/: each run gets a throw-away EVQMS_HOME unless one is given.
"""

import os
import tempfile

os.environ.setdefault("EVQMS_HOME", tempfile.mkdtemp(prefix="evqms-test-home-"))
