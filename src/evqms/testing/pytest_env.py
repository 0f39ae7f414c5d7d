"""A pytest plugin loaded with `-p` (before pytest-django reads the settings).

Tests never touch a user's var/: each run gets a throw-away EVQMS_HOME unless one is given.
"""

import os
import tempfile

os.environ.setdefault("EVQMS_HOME", tempfile.mkdtemp(prefix="evqms-test-home-"))
# Password hashing at PBKDF2's production cost dominated the suite's run time.
os.environ.setdefault("EVQMS_TESTING_FAST_INSECURE_HASHER", "1")
