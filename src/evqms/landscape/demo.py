"""Demo data for the landscape pages (`evqms demo`): the bundled synthetic samples under
samples/ go through the same loaders and services as real data. Idempotent: a second run adds
nothing."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from evqms.landscape import services
from evqms.landscape.crawl import DuckDuckGoHtml, read_crawl, write_warc
from evqms.landscape.models import ClinicSurveyRun, Ingest, PubmedSeries, TrialOverride
from evqms.landscape.pubmed import SERIES
from evqms.landscape.store import RawInput
from evqms.landscape.trials import latest_versions, load_studies

SAMPLES = Path(__file__).resolve().parent / "samples"
SAMPLE_SOURCE = "sample (synthetic demo data)"
SAMPLE_QUERY = "exosome OR extracellular vesicle (sample)"
TRIAL_SNAPSHOTS = (
    ("ctgov-sample-2023-10-30.json", dt.date(2023, 10, 30)),
    ("ctgov-sample-2024-06-01.json", dt.date(2024, 6, 1)),
)
DEMO_OVERRIDE = {
    "nct_id": "NCT99000006",
    "category": "unrelated",
    "reason": "Plant-derived nanovesicles, not cell-derived EVs as the JSRM guidance means them (demo).",
    "effective_from": dt.date(2024, 6, 1),
}


def load_trials(actor) -> None:
    for name, as_of in TRIAL_SNAPSHOTS:
        if Ingest.objects.filter(source=SAMPLE_SOURCE, as_of=as_of).exists():
            continue
        raw = (SAMPLES / name).read_bytes()
        loaded = load_studies(raw, name)
        services.ingest_trials(
            actor=actor,
            as_of=as_of,
            source=SAMPLE_SOURCE,
            query=SAMPLE_QUERY,
            raw_inputs=[RawInput(name, raw)],
            trials=latest_versions(loaded.trials),
            problems=[str(p) for p in loaded.problems],
        )
    if not TrialOverride.objects.filter(nct_id=DEMO_OVERRIDE["nct_id"]).exists():
        services.override_trial_category(actor=actor, **DEMO_OVERRIDE)


def load_pubmed(actor) -> None:
    data = json.loads((SAMPLES / "pubmed-sample.json").read_text("utf-8"))
    for name, counts in data["series"].items():
        if PubmedSeries.objects.filter(name=name, source=SAMPLE_SOURCE).exists():
            continue
        rows = [
            {"year": int(year), "count": count, "retrieved": data["retrieved"], "url": ""}
            for year, count in counts.items()
        ]
        services.save_pubmed_series(
            actor=actor, name=name, query=SERIES[name], source=SAMPLE_SOURCE, rows=rows
        )


def load_clinics(actor) -> None:
    if ClinicSurveyRun.objects.filter(source__startswith="sample").exists():
        return
    backend = DuckDuckGoHtml()
    crawl = read_crawl(SAMPLES / "clinics" / "manifest.jsonl", backend)
    report, report_ja = services.survey_in_both_languages(crawl, backend)
    with tempfile.TemporaryDirectory() as tmp:  # keep the crawl as one self-contained WARC file
        warc = write_warc(Path(tmp) / "clinics-sample-2023-11-06.warc.gz", crawl.records)
        services.save_clinic_survey(
            actor=actor,
            input_name=warc.name,
            raw=warc.read_bytes(),
            report=report,
            surveyed_on=dt.date(2023, 11, 6),
            source=f"sample: {backend.name}",
            report_ja=report_ja,
        )


def load(users: dict) -> None:
    actor = users.get("qa") or users.get("admin")
    load_trials(actor)
    load_pubmed(actor)
    load_clinics(actor)
