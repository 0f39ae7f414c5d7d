"""Japanese web pages as text: decoding, main-text extraction and normalisation.

Clinic pages come in Shift_JIS, EUC-JP or UTF-8, and say so (or not) in the HTTP header or a
meta tag; the same word is written in full or half width, and "exosome" has several katakana
spellings. Everything the page classifier reads goes through `normalise` first.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field

from evqms.i18n import _

# Python's cp932 is the Shift_JIS that Windows and the web really use (a superset).
_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
    "euc-jp": "euc_jp",
    "x-euc-jp": "euc_jp",
    "eucjp": "euc_jp",
    "utf8": "utf-8",
}
_FALLBACKS = ("utf-8", "cp932", "euc_jp")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
# エクソソーム / エキソソーム / エクソゾーム / エキソゾーム (and with the long vowel doubled).
_EXOSOME_KATAKANA = re.compile(r"エ[クキ]ソ[ソゾ]ー+ム")
_LATIN_WORDS = {"exosome": "エクソソーム", "dermapen": "ダーマペン"}
_DROP = "//nav|//header|//footer|//aside|//script|//style|//noscript|//form|//template"


@dataclass
class Decoded:
    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    name = _ALIASES.get(label, label)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charsets(raw: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """(label, where it was declared) in order of authority: HTTP header, BOM, meta tag."""
    found = []
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        if match:
            found.append((match.group(1), "HTTP"))
    if raw.startswith(codecs.BOM_UTF8):
        found.append(("utf-8-sig", "BOM"))
    match = _META_CHARSET.search(raw[:4096])
    if match:
        found.append((match.group(1).decode("ascii", "replace"), "meta"))
    return found


def _oddness(text: str) -> int:
    """Characters rare in real Japanese pages: half-width katakana and C1 controls."""
    return sum(1 for ch in text if "\uff61" <= ch <= "\uff9f" or "\x80" <= ch <= "\x9f")


def decode_html(raw: bytes, content_type: str | None = None) -> Decoded:
    """Bytes -> text, trusting the declarations that actually decode the bytes cleanly."""
    notes = []
    tried = []
    for label, where in declared_charsets(raw, content_type):
        codec = _codec(label)
        if codec is None:
            notes.append(_("unknown charset {label} declared in {where}").format(label=label, where=where))
            continue
        tried.append(codec)
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            notes.append(
                _("the page is not valid {label} as declared in {where}").format(label=label, where=where)
            )
            continue
        if codec == "cp932" and _oddness(text):
            # EUC-JP bytes decode as Shift_JIS too, into half-width katakana: a mislabelled page
            try:
                alternative = raw.decode("euc_jp")
            except UnicodeDecodeError:
                alternative = None
            if alternative is not None and _oddness(alternative) < _oddness(text):
                notes.append(
                    _("the page is not valid {label} as declared in {where}").format(label=label, where=where)
                )
                notes.append(_("decoded as {codec} instead").format(codec="euc_jp"))
                return Decoded(alternative, "euc_jp", notes)
        return Decoded(text, codec, notes)
    candidates = []
    for codec in _FALLBACKS:
        if codecs.lookup(codec).name in tried:
            continue
        try:
            candidates.append((_oddness(raw.decode(codec)), codec))
        except UnicodeDecodeError:
            continue
        if codec == "utf-8":  # bytes that are valid UTF-8 are UTF-8 in practice
            break
    if candidates:
        # EUC-JP bytes also decode as Shift_JIS (into half-width katakana): take the likelier text.
        _score, codec = min(candidates, key=lambda c: c[0])
        if notes:
            notes.append(_("decoded as {codec} instead").format(codec=codec))
        return Decoded(raw.decode(codec), codecs.lookup(codec).name, notes)
    notes.append(_("no encoding decodes the page cleanly; undecodable bytes replaced"))
    codec = tried[0] if tried else "utf-8"
    return Decoded(raw.decode(codec, errors="replace"), codec, notes)


def normalise(text: str) -> str:
    """NFKC (full/half width, compatibility forms), one spelling for exosome, and lower-case
    Latin, so that rules match whatever way a page writes the words."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _EXOSOME_KATAKANA.sub("エクソソーム", text)
    text = text.lower()
    for latin, katakana in _LATIN_WORDS.items():
        text = re.sub(latin + r"s?", katakana, text)
    return text


@dataclass
class PageText:
    title: str
    site_name: str
    main_text: str  # the page's own content (menus, headers, footers removed)
    full_text: str  # everything visible (for listings of many clinics)


def _tree(html: str):
    import lxml.html

    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)  # lxml refuses str with an encoding declaration
    if not html.strip():
        return None
    try:
        return lxml.html.fromstring(html)
    except Exception:  # lxml raises several types on hopeless markup; the caller notes the empty text
        return None


def page_text(html: str) -> PageText:
    import trafilatura

    tree = _tree(html)
    if tree is None:
        return PageText("", "", "", "")
    title = " ".join(tree.xpath("string(//title)").split())
    site_name = (tree.xpath("string(//meta[@property='og:site_name']/@content)") or "").strip()
    for element in tree.xpath("//script|//style|//noscript|//template"):
        element.drop_tree()
    full_text = tree.text_content()
    for element in tree.xpath(_DROP):
        element.drop_tree()
    main = trafilatura.extract(tree, include_tables=True, include_comments=False, favor_recall=True)
    if not main:
        body = tree.find("body")
        main = (body if body is not None else tree).text_content()
    return PageText(title, site_name, main.strip(), " ".join(full_text.split()))
