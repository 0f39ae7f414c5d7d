"""The report of a stored assessment, as the CLI prints it (guidance.report): HTML or PDF, en or ja;
JSON, both languages."""

from __future__ import annotations

from evqms.compliance.selectors import to_engine
from evqms.core.pdf import japanese_font_path
from evqms.core.timefmt import local_date
from evqms.guidance import report
from evqms.i18n import _, use_language


def meta_of(stored) -> dict:
    product = stored.product
    physician = product.responsible_physician
    return {
        "dossier": _("database: product {code}").format(code=product.code),
        "assessor": stored.assessed_by.signature_name() if stored.assessed_by_id else "system",
        "physician": physician.signature_name() if physician else "",
        "date": local_date(stored.assessed_at).isoformat(),  # the day it was assessed, locally
    }


def render_stored(stored, lang: str, fmt: str) -> bytes | str:
    engine = to_engine(stored)
    with use_language(lang):
        meta = meta_of(stored)
    if fmt == "pdf":
        return report.render_pdf([engine], lang, meta, font_path=japanese_font_path())
    return report.render_html([engine], lang, meta)


def render_json_stored(stored):
    """The JSON report of a stored assessment in pieces (`evqms assess --format json`): every reason,
    in both languages."""
    return report.render_json_chunks([to_engine(stored)])
