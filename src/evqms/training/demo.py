"""The demo's training file (idempotent, through the services).

- Everyone who works on the demo lots is trained on the SOPs their records use: the operators on
  SOP-EV-001 (aseptic processing: the sterile filtration and fill steps declare it) and the analysts
  on SOP-QC-010 (the endotoxin method), effective 400 days ago, before the first demo lot.
- Gowning SOP-GOWN-001 has a new version approved today: the operators were trained on v1, so each
  has a training to do (the work queue and the matrix show it).
- Media fills signed by QA: MF-00001 (320 days ago, both operators), MF-00002 (200 days ago,
  operator2 only: their qualification lapsed about 17 days ago) and MF-00003 (140 days ago, operator).
  So `operator` was qualified on every demo lot's aseptic steps and still is; `operator2` is
  refused an aseptic step today, naming the lapsed media fill (UCEV-24-005 waits at its sterile
  filtration in the lots demo).

Signing needs the demo QA's password: read from $EVQMS_HOME/demo-logins.json unless given.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from django.conf import settings
from django.utils import timezone

from evqms.core.demo import signing_request
from evqms.dossier import services as dossier
from evqms.dossier.models import Document
from evqms.training import models as m
from evqms.training import services

ASEPTIC_SOP = "SOP-EV-001"
LAL_SOP = "SOP-QC-010"
GOWNING_SOP = "SOP-GOWN-001"
GOWNING = {
    1: b"SOP-GOWN-001 v1 Gowning for grade B\n1. Hands, hood, suit, boots, goggles, sterile gloves.\n",
    2: b"SOP-GOWN-001 v2 Gowning for grade B\n1. As v1; glove disinfection every 30 minutes added.\n",
}


def _note(message: str) -> None:
    print(f"training demo: {message}", file=sys.stderr)


def _passwords(passwords: dict | None) -> dict:
    if passwords:
        return passwords
    path = settings.EVQMS_HOME / "demo-logins.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


class _Loader:
    def __init__(self, users, passwords):
        self.users = users
        self.qa = users["qa"]
        self.password = passwords.get("qa") or getattr(self.qa, "raw_password", None)
        self.today = timezone.localdate()

    def day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    def gowning(self):
        """v1 (trained on) then v2, approved today (training outstanding)."""
        for version, content in GOWNING.items():
            doc = Document.objects.filter(code=GOWNING_SOP, version=version).first()
            if doc is None:
                if version == 2:
                    self.train(GOWNING_SOP, ("operator", "operator2"))
                doc = dossier.upload_document(
                    actor=self.users["operator"],
                    code=GOWNING_SOP,
                    kind="sop",
                    title="Gowning for grade B",
                    content=content,
                    original_name=f"{GOWNING_SOP}-v{version}.txt",
                )
            if doc.status == "draft" and self.password:
                dossier.approve_document(
                    request=signing_request("/training/demo/"),
                    actor=self.qa,
                    password=self.password,
                    document=doc,
                    reason="SOP approved",
                )

    def train(self, code: str, people) -> None:
        doc = Document.objects.filter(code=code, status="approved").order_by("-version").first()
        if doc is None:
            _note(f"{code} has no approved version: nobody trained on it")
            return
        for username in people:
            person = self.users.get(username)
            if person is None or m.TrainingRecord.objects.filter(person=person, document=doc).exists():
                continue
            services.record_training(
                actor=self.qa,
                person=person,
                document=doc,
                trained_on=self.day(400),
                trainer=self.qa,
                method="practical" if code == ASEPTIC_SOP else "assessment",
                notes="Initial training (demo)",
            )

    def media_fills(self):
        if m.MediaFill.objects.exists():
            return
        if not self.password:
            _note("no QA password: no media fills")
            return
        runs = [
            (320, ("operator", "operator2")),
            (200, ("operator2",)),
            (140, ("operator",)),
        ]
        for days_ago, people in runs:
            operators = {self.users[u]: "pass" for u in people if u in self.users}
            if not operators:
                continue
            services.record_media_fill(
                request=signing_request("/training/demo/"),
                actor=self.qa,
                password=self.password,
                performed_on=self.day(days_ago),
                line="BSC-1, grade B room B-201",
                process_description="Sterile filtration (0.22 um) and manual fill into 2 mL cryovials",
                operators=operators,
                units_filled=120,
                units_incubated=120,
                units_contaminated=0,
                reason="Media fill read after 14 days' incubation: no growth",
            )

    def run(self):
        self.train(ASEPTIC_SOP, ("operator", "operator2"))
        self.train(LAL_SOP, ("analyst", "analyst2"))
        self.gowning()
        self.media_fills()


def load(users: dict, passwords: dict | None = None) -> None:
    if "qa" not in users:
        _note("demo user qa missing: no training demo")
        return
    _Loader(users, _passwords(passwords)).run()
