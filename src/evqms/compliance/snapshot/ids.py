"""How the evidence snapshot names and spells database records: the ids a finding, a risk control
and an attestation cite, and numbers and dates in the dossier file's canonical form (so the
snapshot hash depends on facts, not on the database's decimal places)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from evqms.guidance import vocabulary
from evqms.guidance.dossier import canonical_decimal

LOT_STATUS = {"qc": "quarantine"}  # the engine knows no separate "in QC" state
STAGE_NAMES = {"in_process": "in-process"}
# The largest reads (QC results, step records, parameter values, administrations: hundreds of
# thousands of rows at 10,000 lots) are streamed, not held whole as a result set beside the records
# built from them (on PostgreSQL a server-side cursor, fetched this many rows at a time).
CHUNK = 2000


def attribute_category(attribute) -> str:
    """The attribute's coded test category; records made before categories existed are inferred
    once (the data migration stores the same inference)."""
    return attribute.category or vocabulary.infer_category(attribute.code, attribute.name)


def num(value) -> Decimal | None:
    return None if value is None else canonical_decimal(Decimal(value))


def local_date(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value is not None else None


def local_date_function():
    """`local_date` with the current time zone looked up once, for records read by the thousand
    (the lookup is a context-local read, as long as the conversion itself)."""
    zone = timezone.get_current_timezone()

    def local(value: dt.datetime | None) -> dt.date | None:
        return value.astimezone(zone).date() if value is not None else None

    return local


def sharer():
    """A function giving the first copy seen of each equal text (None and "" as they are): records
    read by the thousand repeat the same few units, methods, statuses and step names, and each row
    read from the database is a new string."""
    seen: dict[str, str] = {}
    return lambda text: seen.setdefault(text, text) if text else text


def attribute_id(attribute) -> str:
    """Unique across specification versions: code@vN."""
    return f"{attribute.code}@v{attribute.specification.version}"


def parameter_ref(parameter) -> str:
    """How a risk control names a process parameter: 'step/parameter' (as in dossier files)."""
    return f"{parameter.step.name}/{parameter.name}"


def material_id(material) -> str:
    return f"{material.supplier}/{material.catalogue_number}"


def specification_id(product_code: str) -> str:
    """Every version of a product's specification is one record; versions are told apart by `version`."""
    return f"SPEC-{product_code}"


def qms_document_id(code: str, version) -> str:
    return f"{code} v{version}"


def safety_study_id(title: str) -> str:
    """A dose-response study with a safe upper dose is also a safety study of its own."""
    return f"{title} (safety)"
