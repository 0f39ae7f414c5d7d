"""Links to a record named by its identifier that never break a page.

`{% id_link 'lots:lot-detail' lot.number %}` renders <a href="/lots/UCEV-24-001/">UCEV-24-001</a>;
when the stored value cannot be put in a URL (a row stored before the identifier rule, e.g. with
"/" or "</script>" in it) it renders the text alone, escaped, with a mark QA can find, instead of
a NoReverseMatch 500. `text=` changes what is shown; `id_url` gives the URL or "".
"""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from evqms.i18n import _

register = template.Library()


def _url(name: str, args) -> str:
    try:
        return reverse(name, args=[a for a in args])
    except NoReverseMatch:
        return ""


@register.simple_tag
def id_url(name: str, *args) -> str:
    return _url(name, args)


@register.simple_tag
def id_link(name: str, *args, text=None, css: str = "") -> str:
    shown = args[-1] if text is None else text
    href = _url(name, args)
    if href:
        if css:
            return format_html('<a class="{}" href="{}">{}</a>', css, href, shown)
        return format_html('<a href="{}">{}</a>', href, shown)
    return format_html(
        '<span class="bad-identifier" title="{}">{}</span>',
        _("this identifier breaks the identifier rule: QA can correct it"),
        shown,
    )
