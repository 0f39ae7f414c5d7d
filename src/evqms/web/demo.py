"""Demo data for `evqms demo`: one user per role, then each area's demo (idempotent).

Demo passwords are generated per installation and kept in $EVQMS_HOME/demo-logins.json
(mode 600), never in the repository.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from evqms.accounts import roles, services

DEMO_USERS = [
    ("operator", roles.OPERATOR, "Sato Hanako (Operator)"),
    ("operator2", roles.OPERATOR, "Kobayashi Sho (Operator)"),
    ("analyst", roles.QC_ANALYST, "Suzuki Ichiro (QC)"),
    ("analyst2", roles.QC_ANALYST, "Takahashi Yui (QC)"),
    ("qa", roles.QA_REVIEWER, "Tanaka Kenji (QA)"),
    ("physician", roles.PHYSICIAN, "Dr. Ito Makoto"),
    ("auditor", roles.AUDITOR, "Watanabe Aoi (Auditor)"),
    ("admin", roles.ADMINISTRATOR, "Yamamoto Ren (Admin)"),
]

# Each area's demo records, in dependency order: each module has load(users: dict[str, User]).
DEMO_MODULES = (
    "evqms.dossier.demo",
    "evqms.equipment.demo",
    "evqms.training.demo",
    "evqms.lots.demo",
    "evqms.capa.demo",
    "evqms.environment.demo",
    "evqms.inventory.demo",
    "evqms.clinical.demo",
    "evqms.studies.demo",
    "evqms.compliance.demo",
    "evqms.landscape.demo",
)


def _keep_retention_sample(lot, users) -> None:
    """Two vials set aside at fill, before release (the product's retention policy asks for them)."""
    from evqms.inventory import services as inventory

    inventory.record_retention_sample(actor=users["operator"], lot=lot, quantity="2 vials (retained at fill)")


def _demo_hooks() -> dict:
    # What one area's demo needs from an area it may not import (lots may not import inventory).
    return {"evqms.lots.demo": {"keep_retention_sample": _keep_retention_sample}}


def credentials_path() -> Path:
    return Path(settings.EVQMS_HOME) / "demo-logins.json"


def _load_credentials() -> dict[str, str]:
    path = credentials_path()
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {}


def _save_credentials(creds: dict[str, str]) -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(creds, fh, indent=1)


def load_demo() -> list[dict]:
    User = get_user_model()
    creds = _load_credentials()
    users = {}
    with transaction.atomic():
        for username, role, printed in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                password = creds.get(username) or f"{username}-{secrets.token_urlsafe(9)}"
                user = services.create_user(
                    actor=None,
                    username=username,
                    password=password,
                    role_names=[role],
                    printed_name=printed,
                )
                creds[username] = password
            users[username] = user
    _save_credentials(creds)
    for name in DEMO_MODULES:
        importlib.import_module(name).load(users, **_demo_hooks().get(name, {}))
    return [
        {"username": u, "password": creds.get(u, "(set before)"), "role": str(roles.ROLES[r])}
        for u, r, _p in DEMO_USERS
    ]
