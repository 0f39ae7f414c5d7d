"""Set-up for the training tests: controlled documents in the dossier (plain ORM, as factories do)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def sop(db):
    """sop(code, version, status="approved"): a document version; approving one supersedes the others,
    as the dossier's approval does."""
    from evqms.dossier.models import Document
    from evqms.testing import factories as f

    def _make(code="SOP-FILL-001", version=1, status="approved", kind="sop"):
        if status == "approved":
            Document.objects.filter(code=code, status="approved").update(status="superseded")
        return Document.objects.create(
            code=code,
            version=version,
            title=f"{code} title",
            kind=kind,
            file=f"documents/{code}-v{version}.txt",
            original_name=f"{code}.txt",
            sha256="0" * 64,
            status=status,
            uploaded_by=f.user("doc-author", "operator"),
            uploaded_at=timezone.now(),
        )

    return _make


@pytest.fixture
def day():
    return lambda y, m, d: dt.date(y, m, d)
