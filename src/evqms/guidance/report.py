"""Compliance reports: text, JSON, HTML and PDF (WeasyPrint with an embedded Japanese font).

HTML is built from small functions with `html.escape` (no Django): the same report serves the
CLI, a plain Python user and the web app. JSON for one rule set is one object (see
`engine.to_dict`); for several rule sets it is a list of such objects, in the order given.

The PDF's font file is given by the caller (`font_path`): the application finds it once, in the
font package it installs (evqms.core.pdf), so this pure module needs neither Django nor a font
installed on the machine, and every PDF embeds the same file.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from pathlib import Path
from string import Template

from evqms.cliutil import json_chunks
from evqms.errors import EvqmsError
from evqms.guidance.checks.base import STATUSES
from evqms.guidance.engine import Assessment, local_day, to_dict
from evqms.guidance.ruleset import LEVELS, RuleSet
from evqms.guidance.text import evidence_label
from evqms.i18n import _, bilingual, use_language

FONT_FAMILY = "EvqmsIPAexGothic"  # the family name evqms.core.pdf gives the same font file

STATUS_LABELS = {
    "met": {"en": "met", "ja": "適合"},
    "partly_met": {"en": "partly met", "ja": "一部適合"},
    "not_met": {"en": "not met", "ja": "不適合"},
    "not_applicable": {"en": "not applicable", "ja": "該当なし"},
    "needs_attestation": {"en": "needs attestation", "ja": "要確認書"},
}


# A check judged lot by lot gives one reason per lot or administration: 100,000 at 10,000 lots for
# one item. The text, HTML and PDF reports list the first ones and say how many more there are; the
# JSON report, and the findings stored with an assessment, keep every reason.
REASONS_SHOWN = 20


def not_listed(total: int) -> str:
    """The line that stands for what a list of `total` holds past REASONS_SHOWN ("" when nothing is
    left out), in the current language: the reports and the compliance page write it alike."""
    if total <= REASONS_SHOWN:
        return ""
    return _("not listed here: {count} more (the JSON report lists them all)").format(
        count=total - REASONS_SHOWN
    )


def _reasons_shown(reasons: list[dict], lang: str) -> list[str]:
    """The reasons a person reads: the first REASONS_SHOWN, then one line counting the rest."""
    shown = [r[lang] for r in reasons[:REASONS_SHOWN]]
    more = not_listed(len(reasons))
    return [*shown, more] if more else shown


def render_json(assessments: list[Assessment]) -> str:
    return "".join(render_json_chunks(assessments))


def render_json_chunks(assessments: list[Assessment]) -> Iterator[str]:
    """`render_json`'s text in pieces: at 10,000 lots one item may hold 100,000 reasons, and the
    whole text (tens of megabytes, more as a str with Japanese in it) need not be held at once."""
    data = [to_dict(a) for a in assessments]
    return json_chunks(data[0] if len(data) == 1 else data)


def ruleset_dict(rs: RuleSet) -> dict:
    return {
        "id": rs.id,
        "title": rs.title,
        "version": rs.version,
        "published": rs.published,
        "source": rs.source,
        "interpretation": rs.interpretation,
        "items": [
            {
                "id": i.id,
                "part": i.part,
                "part_title": rs.parts[i.part],
                "section": i.section,
                "level": i.level,
                "level_label": LEVELS[i.level],
                "text": i.text,
                "evidence": i.evidence,
                "checks": [{"name": c.name, "params": c.params} for c in i.checks],
                "provenance": i.provenance,
                "interpretation": i.interpretation,
                "applies_when": i.applies_when,
                "source": i.source,
            }
            for i in rs.items
        ],
    }


def _source_line(rs: RuleSet) -> str:
    return " ".join(v for k, v in rs.source.items() if k in ("citation", "doi", "url"))


def render_listing(rulesets: list[RuleSet], lang: str) -> str:
    with use_language(lang):
        lines = []
        for rs in rulesets:
            lines.append(
                f"{rs.id}  {bilingual(rs.title, lang)}  ({_('version')} {rs.version}, {rs.published})"
            )
            lines.append(f"  {_('source')}: {_source_line(rs)}")
            for item in rs.items:
                lines.append(
                    f"  {item.id:<14} {bilingual(LEVELS[item.level], lang):<20} {bilingual(rs.parts[item.part], lang)}"
                )
                lines.append(f"      {item.text[lang]}")
                other = "ja" if lang == "en" else "en"
                lines.append(f"      {item.text[other]}")
                lines.append(
                    f"      {_('source')}: {item.source}; {_('provenance')}: "
                    + ", ".join(f"{k}={v}" for k, v in item.provenance.items())
                )
            lines.append("")
        return "\n".join(lines)


def render_text(assessments: list[Assessment], lang: str) -> str:
    with use_language(lang):
        lines = []
        for a in assessments:
            rs = a.ruleset
            lines.append(f"{bilingual(rs.title, lang)} [{rs.id} {_('version')} {rs.version}, {rs.published}]")
            lines.append(f"{_('source')}: {_source_line(rs)}")
            lines.append(f"{_('snapshot')}: sha256 {a.snapshot_sha256}  {_('as of')} {a.as_of}")
            for f in a.findings:
                lines.append(
                    f"\n{f.item.id}  [{bilingual(LEVELS[f.item.level], lang)}]  "
                    f"{bilingual(STATUS_LABELS[f.status], lang).upper()}"
                )
                lines.append(f"  {f.item.text[lang]}")
                lines.extend(f"  - {r}" for r in _reasons_shown(f.reasons, lang))
                if f.evidence:
                    lines.append(
                        f"  {_('evidence')}: {', '.join(evidence_label(x, lang) for x in f.evidence)}"
                    )
                lines.extend(f"  -> {s[lang]}" for s in f.next_steps)
            counts = a.by_status()
            summary = ", ".join(f"{bilingual(STATUS_LABELS[s], lang)} {counts[s]}" for s in STATUSES)
            score = "-" if a.score() is None else f"{a.score():.1f}"
            lines.append(f"\n{_('summary')}: {summary}; {_('score')} {score}\n")
        return "\n".join(lines)


_CSS = """
@page { size: A4; margin: 16mm 14mm; @bottom-right { content: counter(page) " / " counter(pages); font-family: "EvqmsIPAexGothic", sans-serif; font-size: 8pt; } }
body { font-family: "EvqmsIPAexGothic", sans-serif; font-size: 9.5pt; line-height: 1.45; color: #111; }
h1 { font-size: 15pt; margin: 0 0 4pt; } h2 { font-size: 12pt; margin: 14pt 0 4pt; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; } th, td { border: 1px solid #bbb; padding: 3pt 4pt; vertical-align: top; text-align: left; }
th { background: #eee; } .item { page-break-inside: avoid; border: 1px solid #ccc; padding: 5pt 7pt; margin: 6pt 0; }
.status { font-weight: bold; padding: 1pt 5pt; border-radius: 3pt; }
.met { background: #d8f0d8; } .partly_met { background: #fff0c0; } .not_met { background: #f8d0d0; }
.needs_attestation { background: #dde4ff; } .not_applicable { background: #eee; }
.meta td { border: none; padding: 1pt 6pt 1pt 0; } .small { font-size: 8pt; color: #444; }
.sign td { height: 28pt; } .approval { break-inside: avoid; }
"""

_PAGE = Template("""<!DOCTYPE html>
<html lang="$lang"><head><meta charset="utf-8"><title>$title</title><style>$font_face$css</style></head>
<body>
<h1>$title</h1>
<table class="meta">
<tr><td>$l_dossier</td><td>$dossier</td></tr>
<tr><td>$l_date</td><td>$date</td></tr>
<tr><td>$l_assessor</td><td>$assessor</td></tr>
</table>
$body
<div class="approval">
<h2>$l_approval</h2>
<table class="sign">
<tr><th>$l_role</th><th>$l_name</th><th>$l_signature</th><th>$l_date</th></tr>
<tr><td>$l_assessor</td><td>$assessor</td><td></td><td></td></tr>
<tr><td>$l_physician</td><td>$physician</td><td></td><td></td></tr>
<tr><td>$l_qa</td><td></td><td></td><td></td></tr>
</table>
</div>
</body></html>
""")


def _assessment_html(a: Assessment, lang: str) -> str:
    rs = a.ruleset
    e = escape
    out = [
        f"<h2>{e(bilingual(rs.title, lang))}</h2>",
        f"<p class='small'>{e(_('rule set'))}: {e(rs.id)} {e(_('version'))} {e(rs.version)} ({e(rs.published)})<br>"
        f"{e(_('source'))}: {e(_source_line(rs))}<br>"
        f"{e(_('snapshot'))}: sha256 {e(a.snapshot_sha256)}; {e(_('as of'))} {e(str(a.as_of))}</p>",
    ]
    if rs.interpretation:
        out.append(f"<p class='small'>{e(_('interpretation'))}: {e(rs.interpretation[lang])}</p>")
    score = "-" if a.score() is None else f"{a.score():.1f}"
    out.append(f"<p><b>{e(_('score'))}: {e(score)}</b></p>")
    head = "".join(f"<th>{e(bilingual(STATUS_LABELS[s], lang))}</th>" for s in STATUSES)
    out.append(f"<table><tr><th>{e(_('part'))}</th>{head}</tr>")
    for part, counts in a.by_part().items():
        cells = "".join(f"<td>{counts[s]}</td>" for s in STATUSES)
        out.append(f"<tr><td>{e(bilingual(rs.parts[part], lang))}</td>{cells}</tr>")
    total = a.by_status()
    out.append(
        f"<tr><th>{e(_('total'))}</th>" + "".join(f"<th>{total[s]}</th>" for s in STATUSES) + "</tr></table>"
    )
    for f in a.findings:
        out.append(
            f"<div class='item'><b>{e(f.item.id)}</b> · {e(bilingual(LEVELS[f.item.level], lang))} · "
            f"{e(bilingual(rs.parts[f.item.part], lang))} "
            f"<span class='status {e(f.status)}'>{e(bilingual(STATUS_LABELS[f.status], lang))}</span>"
        )
        out.append(f"<p>{e(f.item.text[lang])}</p>")
        if f.reasons:
            out.append(
                f"<b>{e(_('reasons'))}</b><ul>"
                + "".join(f"<li>{e(r)}</li>" for r in _reasons_shown(f.reasons, lang))
                + "</ul>"
            )
        if f.evidence:
            refs = ", ".join(evidence_label(x, lang) for x in f.evidence)
            out.append(f"<p class='small'>{e(_('evidence'))}: {e(refs)}</p>")
        if f.next_steps:
            out.append(
                f"<b>{e(_('what to do next'))}</b><ul>"
                + "".join(f"<li>{e(s[lang])}</li>" for s in f.next_steps)
                + "</ul>"
            )
        if f.item.interpretation:
            out.append(f"<p class='small'>{e(_('interpretation'))}: {e(f.item.interpretation[lang])}</p>")
        out.append(
            f"<p class='small'>{e(_('provenance'))}: "
            f"{e(', '.join(f'{k}={v}' for k, v in f.item.provenance.items()))}; {e(_('source'))}: {e(f.item.source)}</p></div>"
        )
    return "\n".join(out)


def render_html(
    assessments: list[Assessment], lang: str, meta: dict | None = None, *, font_face: str = ""
) -> str:
    meta = meta or {}
    with use_language(lang):
        return _PAGE.substitute(
            lang=lang,
            title=escape(_("Compliance report")),
            font_face=font_face,
            css=_CSS,
            l_dossier=escape(_("Dossier")),
            dossier=escape(str(meta.get("dossier", ""))),
            l_date=escape(_("Date")),
            date=escape(meta.get("date") or local_day(assessments[0].generated_at).isoformat()),
            l_assessor=escape(_("Assessor")),
            assessor=escape(str(meta.get("assessor", ""))),
            body="\n".join(_assessment_html(a, lang) for a in assessments),
            l_approval=escape(_("Approval")),
            l_role=escape(_("Role")),
            l_name=escape(_("Name")),
            l_signature=escape(_("Signature")),
            l_physician=escape(_("Responsible physician")),
            physician=escape(str(meta.get("physician", ""))),
            l_qa=escape(_("Quality assurance")),
        )


def font_face_css(font_path: Path) -> str:
    """@font-face rules for the one font file, for both weights (IPAex Gothic has no bold face;
    without a bold rule WeasyPrint would take bold text from another font on the machine)."""
    path = Path(font_path)
    if not path.is_file():
        raise EvqmsError(_("the Japanese font {font} is missing").format(font=path))
    return "".join(
        f"@font-face {{ font-family: '{FONT_FAMILY}'; font-weight: {weight}; src: url('{path.as_uri()}'); }}\n"
        for weight in ("normal", "bold")
    )


def render_pdf(
    assessments: list[Assessment], lang: str, meta: dict | None = None, *, font_path: Path
) -> bytes:
    """The report as PDF with `font_path` (IPAex Gothic, from the installed font package) embedded."""
    face = font_face_css(font_path)
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()  # the @font-face rules load through it
    html = render_html(assessments, lang, meta, font_face=face)
    return HTML(string=html, base_url=str(Path(font_path).parent)).write_pdf(font_config=fonts)
