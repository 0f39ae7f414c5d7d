"""Online backup and restore of one installation: one tar archive with everything needed.

An archive holds
- `database/evqms.sqlite3` (SQLite's backup API: a consistent snapshot while others write) or
  `database/evqms.pgdump` (`pg_dump --format=custom`, one snapshot transaction);
- `home/...`: every file under EVQMS_HOME except the live database, test databases and the
  collected static files. Files directly in EVQMS_HOME are keys and secrets (the patient pseudonym
  key, the audit checkpoint file and its key, the local secret key): they are taken by that rule,
  not from a list, so a key added later is backed up too;
- `manifest.json` (last): the SHA-256 and size of every other member, the keys a restore needs,
  and the audit head of the archived database.

Order matters for consistency. Keys and checkpoints are read first, then the database snapshot,
then the kept files: a checkpoint then never names events the snapshot lacks, and a kept file is
written before the transaction that refers to it commits, so every file the snapshot names exists.
A copy of the live SQLite file or a tar of a live EVQMS_HOME has neither property.

The package: `archive` (the format, writing members, unpacking and checking them), `sqlite` and
`postgres` (the database snapshots and tools), `create`, `verify` and `restore`.
"""

from evqms.ops.backup.archive import (
    FORMAT,
    FORMAT_VERSION,
    HOME_PREFIX,
    MANIFEST,
    PATIENT_KEY,
    PGDUMP_MEMBER,
    SQLITE_MEMBER,
    SQLITE_NAME,
    BackupError,
    Problem,
    Unpacked,
    home_files,
    unpack,
)
from evqms.ops.backup.create import create_backup, default_output
from evqms.ops.backup.postgres import (
    find_pg_tool,
    pg_is_empty,
    pg_patient_count,
    pg_restore,
    pg_server_major,
    scratch_database,
    snapshot_postgres,
)
from evqms.ops.backup.restore import restore_archive
from evqms.ops.backup.sqlite import snapshot_sqlite, sqlite_facts
from evqms.ops.backup.verify import check_installation, verify_archive

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "HOME_PREFIX",
    "MANIFEST",
    "PATIENT_KEY",
    "PGDUMP_MEMBER",
    "SQLITE_MEMBER",
    "SQLITE_NAME",
    "BackupError",
    "Problem",
    "Unpacked",
    "check_installation",
    "create_backup",
    "default_output",
    "find_pg_tool",
    "home_files",
    "pg_is_empty",
    "pg_patient_count",
    "pg_restore",
    "pg_server_major",
    "restore_archive",
    "scratch_database",
    "snapshot_postgres",
    "snapshot_sqlite",
    "sqlite_facts",
    "unpack",
    "verify_archive",
]
