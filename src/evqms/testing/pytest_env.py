"""A pytest plugin loaded with `-p` (before pytest-django reads the settings).

Tests never touch a user's var/: each run gets a throw-away EVQMS_HOME unless one is given, and
each xdist worker its own folder inside it, so two workers never share uploaded files, landscape
snapshots or the file store that `evqms files verify --orphans` walks.
"""

import os
import tempfile

_home = os.environ.get("EVQMS_HOME") or tempfile.mkdtemp(prefix="evqms-test-home-")
_worker = os.environ.get("PYTEST_XDIST_WORKER")  # set by xdist before the worker loads plugins
if _worker and not _home.rstrip("/").endswith(f"-{_worker}"):
    _home = os.path.join(_home, f"worker-{_worker}")
    os.makedirs(_home, exist_ok=True)
os.environ["EVQMS_HOME"] = _home
# Password hashing at PBKDF2's production cost dominated the suite's run time.
os.environ.setdefault("EVQMS_TESTING_FAST_INSECURE_HASHER", "1")
# Each test's rolled-back or purged chain would leave checkpoints that no later chain matches;
# tests/audit switches checkpoints on with a file of its own.
os.environ.setdefault("EVQMS_AUDIT_CHECKPOINTS", "off")
