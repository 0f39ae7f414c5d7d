"""The trial store in the database: the same interface as `store.TrialStore` (add_ingest,
ingests, records, records_as_of, overrides, add_override, overrides_as_of), so the CLI and the
report builder work on either. Writes go through `services` (audit events, role checks).

Used by `evqms landscape trials ingest|report|override --db` and by the web pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from evqms.errors import InputError
from evqms.i18n import gettext
from evqms.landscape.store import RawInput


def manifest(ingest) -> dict[str, Any]:
    """An Ingest row as the file store's ingest.json."""
    return {
        "id": ingest.key,
        "as_of": ingest.as_of.isoformat(),
        "ingested_at": ingest.ingested_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "source": ingest.source,
        "query": ingest.query or None,
        "inputs": list(ingest.inputs),
        "records": ingest.record_count,
        "problems": list(ingest.problems),
        "raw_sha256": ingest.raw_sha256,
        "raw_path": ingest.raw_path,
    }


def override_row(override) -> dict[str, Any]:
    """A TrialOverride row as a line of the file store's overrides.jsonl."""
    return {
        "nct_id": override.nct_id,
        "category": override.category,
        "who": override.who,
        "why": override.reason,
        "when": override.effective_from.isoformat(),
        "recorded_at": override.recorded_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "recorded_by": override.recorded_by.get_username(),
    }


class DbTrialStore:
    """Trial snapshots in the database. `actor` is the user who writes (None: the system/CLI)."""

    def __init__(self, actor=None):
        self.actor = actor

    def add_ingest(
        self,
        *,
        as_of: dt.date,
        source: str,
        query: str | None,
        raw_inputs: list[RawInput],
        trials: list[dict[str, Any]],
        problems: list[str],
    ) -> dict[str, Any]:
        from evqms.landscape import services

        ingest = services.ingest_trials(
            actor=self.actor,
            as_of=as_of,
            source=source,
            query=query,
            raw_inputs=raw_inputs,
            trials=trials,
            problems=problems,
        )
        return manifest(ingest)

    def ingests(self) -> list[dict[str, Any]]:
        from evqms.landscape.models import Ingest

        return [manifest(i) for i in Ingest.objects.order_by("as_of", "ingested_at", "key")]

    def records(self, ingest: dict[str, Any]) -> list[dict[str, Any]]:
        from evqms.landscape.models import TrialRecord

        return list(
            TrialRecord.objects.filter(ingest__key=ingest["id"]).order_by("id").values_list("data", flat=True)
        )

    def records_as_of(self, date: dt.date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(trials as they were on `date`, the ingests they come from): the latest ingest dated
        on or before `date` that holds a trial gives its record."""
        from evqms.landscape.models import Ingest, TrialRecord

        rows = (
            TrialRecord.objects.filter(ingest__as_of__lte=date)
            .order_by("ingest__as_of", "ingest__ingested_at", "ingest__key")
            .values_list("nct_id", "ingest_id", "data")
        )
        latest: dict[str, dict[str, Any]] = {}
        used: dict[str, int] = {}
        for nct_id, ingest_id, data in rows.iterator(chunk_size=2000):
            latest[nct_id] = data
            used[nct_id] = ingest_id
        sources = [manifest(i) for i in Ingest.objects.filter(pk__in=set(used.values())).order_by("key")]
        return [latest[k] for k in sorted(latest)], sources

    def overrides(self) -> list[dict[str, Any]]:
        from evqms.landscape.models import TrialOverride

        return [override_row(o) for o in TrialOverride.objects.select_related("recorded_by").order_by("id")]

    def add_override(self, override: dict[str, Any]) -> None:
        """`override` as the file store takes it; `who` names the acting user unless the store has one."""
        from django.contrib.auth import get_user_model

        from evqms.landscape import services

        actor = self.actor
        if actor is None:
            actor = get_user_model().objects.filter(username=override.get("who")).first()
            if actor is None:
                raise InputError(
                    gettext("no user {name}: with --db, --who names a user with the right role").format(
                        name=override.get("who")
                    ),
                    where="--who",
                )
        when = override.get("when")
        services.override_trial_category(
            actor=actor,
            nct_id=override["nct_id"],
            category=override["category"],
            reason=override.get("why") or "",
            effective_from=dt.date.fromisoformat(when) if when else None,
        )

    def overrides_as_of(self, date: dt.date) -> dict[str, dict[str, Any]]:
        from evqms.landscape.models import TrialOverride

        chosen: dict[str, dict[str, Any]] = {}
        for o in (
            TrialOverride.objects.filter(effective_from__lte=date)
            .select_related("recorded_by")
            .order_by("id")
        ):
            chosen[o.nct_id] = override_row(o)
        return chosen
