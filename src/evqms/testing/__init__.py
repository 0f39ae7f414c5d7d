"""Test support shipped with the package: the pytest plugin that isolates EVQMS_HOME, builders of
upstream records (`factories`), the lot area's test world (`world`) and input fuzzing (`inputfuzz`)."""
