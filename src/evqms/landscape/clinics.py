"""The clinic survey (seed section 6): does the page at a search result's URL itself say that
exosomes are put into the body?

Rules, in order, on the page's normalised text (`text.normalise`), each decision with its reason
and the words that matched:
1. a portal or aggregator listing several clinics -> excluded;
2. no mention of exosomes on the page -> not confirmed;
3. near a mention of exosomes (same sentence, within `WINDOW` characters) a word of putting
   them into the body: 注射, 点滴, 注入 or ダーマペン -> included;
   a word followed by a negation (注射不要, 注射ではなく) does not count;
4. near the mentions only 点鼻/点眼 or cosmetics/skin care (no device) -> excluded;
5. otherwise -> not confirmed (other pages of the same site are never consulted). 療法 ("therapy")
   is not a route: "we offer exosome therapy" does not say that exosomes are put into the body
   (the seed's rule), so such a page is not confirmed and its reason says so.

Every decision keeps the sentence it rests on, so a reviewer reads why without opening the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from evqms.i18n import _
from evqms.landscape.text import PageText, normalise

INCLUDED, EXCLUDED, NOT_CONFIRMED = "included", "excluded", "not_confirmed"
WINDOW = 25  # characters either side of an exosome mention
EXOSOME_WORDS = ("エクソソーム", "細胞外小胞")
ROUTE_WORDS = ("注射", "点滴", "注入", "ダーマペン")
THERAPY_WORD = "療法"
DROP_WORDS = ("点鼻", "点眼")
COSMETIC_WORDS = (
    "化粧品",
    "化粧水",
    "美容液",
    "スキンケア",
    "コスメ",
    "クリーム",
    "ローション",
    "セラム",
    "ジェル",
    "塗布",
    "塗る",
    "外用",
    "シャンプー",
    "ホームケア",
    "パック",
    "石鹸",
    "石けん",
    "配合",
)
_NEGATION = re.compile(r"^.{0,3}?(ではな|じゃな|不要|なし|無し|しない|せず|いらない|を使わない|なしで)")
_SENTENCE = re.compile(r"[。！？!?\n]+")
# Sites that list and compare many clinics (checked before the text rule).
PORTAL_DOMAINS = (
    "hotpepper.jp",
    "caloo.jp",
    "byoinnavi.jp",
    "epark.jp",
    "qlife.jp",
    "doctorsfile.jp",
    "biyou.jp",
    "clinic-navi.jp",
    "medicalnote.jp",
    "shika-town.com",
)
_CLINIC = re.compile(r"[一-龥々〆ヵヶぁ-ゖァ-ヴーa-z0-9・&]{1,24}?(?:クリニック|医院|病院|診療所)")
# A name starts after the last particle or verb ending before it (当院は|さくらクリニック,
# 受けられる|クリニック); what is left must still be a name.
_PARTICLE = re.compile(r"^.*[とのはがをにでもやへるいな]")
_GENERIC = re.compile(
    r"^(?:当|各|他|同|本|全国|人気|おすすめ|近く|美容|皮膚科?|形成外科|美容外科|美容皮膚科|内科|整形外科|"
    r"歯科|総合|大学|提携|専門|まとめ|比較|一覧|の|・)*(?:クリニック|医院|病院|診療所)$"
)
_LISTING_CUES = ("一覧", "比較", "ランキング", "おすすめ", "口コミ", "掲載", "探す", "まとめ", "選")
# Hosts shared by many sites: the first path segment names the site.
SHARED_HOSTS = (
    "ameblo.jp",
    "note.com",
    "hatenablog.com",
    "fc2.com",
    "jimdofree.com",
    "goo.ne.jp",
    "livedoor.jp",
)


@dataclass
class PageDecision:
    decision: str
    reason: str
    matched: list[str] = field(default_factory=list)
    sentence: str = ""  # the passage of the page the decision rests on ("" when none does)


def clinic_names(text: str) -> list[str]:
    """Distinct clinic names in normalised text (generic words like 美容クリニック left out)."""
    names: list[str] = []
    for match in _CLINIC.finditer(text):
        name = match.group(0)
        name = _PARTICLE.sub("", name)
        if _CLINIC.fullmatch(name) and not _GENERIC.match(name) and name not in names:
            names.append(name)
    return names


def host_of(url: str) -> str:
    host = urlsplit(url).netloc.lower().split("@")[-1].split(":")[0]
    return host[4:] if host.startswith("www.") else host


def _portal(url: str, page: PageText) -> PageDecision | None:
    host = host_of(url)
    for domain in PORTAL_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return PageDecision(
                EXCLUDED, _("portal site {domain} listing many clinics").format(domain=domain), [domain]
            )
    text = normalise(page.full_text)
    names = clinic_names(text)
    cues = [cue for cue in _LISTING_CUES if cue in normalise(page.title) or cue in text]
    if len(names) >= 5 or (len(names) >= 3 and cues):
        return PageDecision(
            EXCLUDED,
            _("a page listing {n} clinics (a portal or aggregator)").format(n=len(names)),
            names[:10] + cues,
        )
    return None


def _passages(text: str) -> list[tuple[str, str]]:
    """Each exosome mention with `WINDOW` characters either side within its sentence, and that sentence."""
    passages = []
    for sentence in _SENTENCE.split(text):
        for word in EXOSOME_WORDS:
            for match in re.finditer(word, sentence):
                passages.append((sentence[max(0, match.start() - WINDOW) : match.end() + WINDOW], sentence))
    return passages


def _found(words: tuple[str, ...], passage: str) -> list[str]:
    hits = []
    for word in words:
        for match in re.finditer(re.escape(word), passage):
            if not _NEGATION.match(passage[match.end() :]):
                hits.append(word)
                break
    return hits


def classify_page(url: str, page: PageText) -> PageDecision:
    portal = _portal(url, page)
    if portal:
        return portal
    text = normalise(page.title) + "\n" + normalise(page.main_text)
    passages = _passages(text)
    if not passages:
        return PageDecision(NOT_CONFIRMED, _("the page does not mention exosomes"))
    routes, drops, cosmetics = set(), set(), set()
    route_sentence = other_sentence = therapy_sentence = ""
    for passage, sentence in passages:
        passage_routes = _found(ROUTE_WORDS, passage)
        passage_drops, passage_cosmetics = _found(DROP_WORDS, passage), _found(COSMETIC_WORDS, passage)
        routes.update(passage_routes)
        drops.update(passage_drops)
        cosmetics.update(passage_cosmetics)
        # the longest such sentence: a heading ("エクソソーム療法") says less than the sentence under it
        if passage_routes:
            route_sentence = max(route_sentence, sentence.strip(), key=len)
        if passage_drops or passage_cosmetics:
            other_sentence = max(other_sentence, sentence.strip(), key=len)
        if _found((THERAPY_WORD,), passage):
            therapy_sentence = max(therapy_sentence, sentence.strip(), key=len)
    if routes:
        matched = sorted(routes, key=ROUTE_WORDS.index)
        return PageDecision(
            INCLUDED,
            _("the page says exosomes are put into the body ({words})").format(words="、".join(matched)),
            matched,
            route_sentence,
        )
    if drops or cosmetics:
        matched = sorted(drops, key=DROP_WORDS.index) + sorted(cosmetics, key=COSMETIC_WORDS.index)
        reason = (
            _("exosomes only as nasal or eye drops ({words})")
            if drops and not cosmetics
            else _("exosomes only as drops or cosmetics applied without a device ({words})")
        )
        return PageDecision(EXCLUDED, reason.format(words="、".join(matched)), matched, other_sentence)
    if therapy_sentence:
        return PageDecision(
            NOT_CONFIRMED,
            _(
                "the page offers exosome therapy (療法) but does not say how exosomes are put into the "
                "body (no injection, drip, infusion or dermapen near the mention)"
            ),
            [THERAPY_WORD],
            therapy_sentence,
        )
    return PageDecision(
        NOT_CONFIRMED,
        _("the page mentions exosomes but does not say they are put into the body"),
        [],
        passages[0][1].strip(),
    )


def institution_of(url: str, page: PageText) -> dict[str, str]:
    """Institution = the site (host, or host + first path segment on shared blog hosts) and
    the clinic name the page gives (og:site_name, the title part naming a clinic, or the text)."""
    host = host_of(url)
    site = host
    if any(host == h or host.endswith("." + h) for h in SHARED_HOSTS):
        segment = urlsplit(url).path.strip("/").split("/")[0]
        site = f"{host}/{segment}" if segment else host
    name = " ".join(page.site_name.split())
    if not name:
        for part in re.split(r"\s*[|｜\-–—:：/【】()（）]\s*", page.title):
            if re.search(r"クリニック|医院|病院|診療所|clinic", part, re.I):
                name = part.strip()
                break
    if not name:
        names = clinic_names(normalise(page.main_text))
        name = names[0] if names else ""
    return {"id": site, "name": name}


def summarise(results: list[dict[str, Any]], analysed: int) -> dict[str, Any]:
    included = [r for r in results if r["decision"] == INCLUDED]
    return {
        "analysed": analysed,
        "unique_urls": len(results),
        "included": len(included),
        "institutions_included": len({r["institution"] for r in included}),
    }
