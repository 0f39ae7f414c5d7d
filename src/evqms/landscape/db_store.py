"""The trial store in the database: the same interface as `store.TrialStore` (add_ingest,
ingests, records, records_as_of, overrides, add_override, overrides_as_of), so the CLI and the
report builder work on either. Reads are `selectors`, writes go through `services` (audit
events, role checks); neither imports this adapter.

Used by `evqms landscape trials ingest|report|override --db`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from evqms.errors import InputError
from evqms.i18n import gettext
from evqms.landscape import selectors, services
from evqms.landscape.store import RawInput


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
        ingest = services.ingest_trials(
            actor=self.actor,
            as_of=as_of,
            source=source,
            query=query,
            raw_inputs=raw_inputs,
            trials=trials,
            problems=problems,
        )
        return selectors.ingest_manifest(ingest)

    def ingests(self) -> list[dict[str, Any]]:
        return selectors.trial_ingests()

    def records(self, ingest: dict[str, Any]) -> list[dict[str, Any]]:
        return selectors.ingest_records(ingest["id"])

    def records_as_of(self, date: dt.date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return selectors.trial_records_as_of(date)

    def overrides(self) -> list[dict[str, Any]]:
        return selectors.trial_overrides()

    def add_override(self, override: dict[str, Any]) -> None:
        """`override` as the file store takes it; `who` names the acting user unless the store has one."""
        from django.contrib.auth import get_user_model

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
        return selectors.trial_overrides_as_of(date)
