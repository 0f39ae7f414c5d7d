"""Training in a real browser, in Japanese and English: QA reads the matrix, records a training and a
media fill (signed with the password); an operator whose media fill lapsed opens the lot page and
is refused the aseptic step, the message naming the lapsed qualification."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evqms.dossier.models import Document, ProcessStep
from evqms.lots.models import StepRecord
from evqms.training import models as m
from evqms.training.services import add_months


def _login(page, live_server, user, lang):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    if lang == "en":
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")


def _doc(code, version, author):
    return Document.objects.create(
        code=code,
        version=version,
        title="Aseptic fill in the biosafety cabinet" if code == "SOP-FILL-001" else "Gowning",
        kind="sop",
        file=f"documents/{code}-v{version}.txt",
        original_name=f"{code}.txt",
        sha256="0" * 64,
        status="approved",
        uploaded_by=author,
        uploaded_at=timezone.now(),
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_training_walk(page, live_server, make_user, shot, lang):
    from evqms.testing import factories as f

    qa = make_user(f"qa-{lang}", "qa_reviewer")
    sato = make_user(f"sato-{lang}", "operator")
    kato = make_user(f"kato-{lang}", "operator")
    fill_sop = _doc("SOP-FILL-001", 1, qa)
    _doc("SOP-GOWN-001", 1, qa)
    today = timezone.localdate()
    m.TrainingRecord.objects.create(
        person=kato,
        document=fill_sop,
        trained_on=today - dt.timedelta(days=300),
        effective_from=today - dt.timedelta(days=300),
        trainer=qa,
        method="practical",
        recorded_by=qa,
        recorded_at=timezone.now(),
    )
    run = m.MediaFill.objects.create(
        number="MF-00001",
        performed_on=today - dt.timedelta(days=200),
        line="BSC-1",
        units_filled=100,
        units_incubated=100,
        units_contaminated=0,
        result="pass",
        validity_months=6,
        validity_source="EU GMP Annex 1 (2022) 9.39",
        recorded_by=qa,
        recorded_at=timezone.now(),
    )
    lapsed = add_months(run.performed_on, 6)
    m.MediaFillParticipant.objects.create(media_fill=run, operator=kato, result="pass", expires_on=lapsed)
    lot = f.lot("UCEV-TRN-001", created_by=sato)
    fill = lot.process.steps.get(order=3)
    ProcessStep.objects.filter(pk=fill.pk).update(aseptic=True, sop="SOP-FILL-001")

    # --- QA: the matrix, then a training recorded through the form -----------------------------
    _login(page, live_server, qa, lang)
    page.goto(f"{live_server.url}/training/")
    expect(page.locator("table.matrix")).to_contain_text("SOP-FILL-001")
    shot(page, f"training-01-matrix-{lang}")
    page.goto(f"{live_server.url}/training/record/")
    page.select_option("#id_person", str(sato.pk))
    page.select_option("#id_document", str(fill_sop.pk))
    page.fill("#id_trained_on", (today - dt.timedelta(days=3)).isoformat())
    page.select_option("#id_method", "practical")
    page.set_input_files(
        "#id_evidence", files=[{"name": "sato-signoff.txt", "mimeType": "text/plain", "buffer": b"OK"}]
    )
    shot(page, f"training-02-record-form-{lang}")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    expect(page.locator("#training-" + str(m.TrainingRecord.objects.get(person=sato).pk))).to_contain_text(
        "sato-signoff.txt"
    )
    shot(page, f"training-03-person-{lang}")

    # --- QA: a media fill for Sato, signed with the password -------------------------------------
    page.goto(f"{live_server.url}/training/media-fills/new/")
    page.fill("#id_performed_on", (today - dt.timedelta(days=1)).isoformat())
    page.fill("#id_line", "BSC-1, room B-201")
    page.fill("#id_units_filled", "120")
    page.fill("#id_units_incubated", "120")
    page.fill("#id_units_contaminated", "0")
    page.locator(f"input[name=operators][value='{sato.pk}']").check()
    page.fill("#id_password", qa.raw_password)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    expect(page.locator("h1")).to_contain_text("MF-00002")
    shot(page, f"training-04-media-fill-{lang}")
    page.goto(f"{live_server.url}/training/media-fills/")
    expect(page.locator("body")).to_contain_text(lapsed.isoformat())  # Kato's lapse is listed as due
    shot(page, f"training-05-media-fills-{lang}")

    # --- Kato: the aseptic step is refused, naming the lapsed media fill -------------------------
    _login(page, live_server, kato, lang)
    page.goto(f"{live_server.url}/lots/UCEV-TRN-001/")
    start = timezone.localtime() - dt.timedelta(hours=3)
    prefix = f"#id_step{fill.pk}-"
    page.fill(prefix + "started_at", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill(prefix + "finished_at", (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.locator(f"#step-{fill.pk} button[type=submit]").click()
    refusal = page.locator(f"#step-{fill.pk} .errorlist")
    expect(refusal).to_contain_text(lapsed.isoformat())
    expect(refusal).to_contain_text("Kato")
    refusal.scroll_into_view_if_needed()
    shot(page, f"training-06-aseptic-step-refused-{lang}")
    assert not StepRecord.objects.filter(step=fill).exists()
