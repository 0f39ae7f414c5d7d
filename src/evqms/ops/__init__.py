"""Operating an installation as a whole: backup and restore (`ops.backup`), the check of the kept
original files against their recorded hashes (`ops.files_check`), and their commands (`ops.cli`).

Above the apps: these read every area's records (by model label) and write audit events."""
