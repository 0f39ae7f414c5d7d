"""URL path converters that accept exactly the identifier rule of each kind (evqms.core.identifiers).

`<lot:number>` matches a lot number as the rule allows it and nothing else: a stored value that
breaks the rule cannot be put in a URL (reverse() refuses it), so pages link such rows through
`{% id_link %}` (evqms.core.templatetags.identifier_links), which shows the text without a link.
Registered once, when the core app is ready, under the kind's name (`lot`, `aliquot`, ...) plus
`identifier` (any kind's rule, for pages such as trace that take several kinds).
"""

from __future__ import annotations

from django.urls import register_converter

from evqms.core import identifiers


class IdentifierConverter:
    kind: str = ""

    @property
    def regex(self) -> str:
        return identifiers.rule(self.kind).pattern

    def to_python(self, value: str) -> str:
        if not identifiers.rule(self.kind).matches(value):
            raise ValueError(value)  # too long: no match, so a 404
        return value

    def to_url(self, value) -> str:
        text = str(value)
        if not identifiers.rule(self.kind).matches(text):
            raise ValueError(text)  # reverse() gives NoReverseMatch; id_link shows the text unlinked
        return text


class AnyIdentifierConverter:
    """Any kind's rule (trace: the direction decides the kind, the view checks it)."""

    @property
    def regex(self) -> str:
        patterns = dict.fromkeys(identifiers.rule(k).pattern for k in identifiers.KINDS)
        return "|".join(f"(?:{p})" for p in patterns)

    def _check(self, value) -> str:
        text = str(value)
        if not any(identifiers.rule(k).matches(text) for k in identifiers.KINDS):
            raise ValueError(text)
        return text

    to_python = _check
    to_url = _check


class NctConverter:
    """A ClinicalTrials.gov identifier (NCT and eight digits), as the landscape import checks it."""

    regex = "NCT[0-9]{8}"

    def to_python(self, value: str) -> str:
        return value

    to_url = to_python


class UsernameConverter:
    """A login name as Django's username validator allows it: letters, digits and @ . + - _."""

    regex = r"[\w.@+-]{1,150}"

    def to_python(self, value: str) -> str:
        return value

    to_url = to_python


def converter_for(kind: str) -> type:
    return type(f"{kind.title().replace('_', '')}Converter", (IdentifierConverter,), {"kind": kind})


_registered = False


def register() -> None:
    """Register every converter (idempotent; called from CoreConfig.ready)."""
    global _registered
    if _registered:
        return
    for kind in identifiers.KINDS:
        register_converter(converter_for(kind), kind)
    register_converter(AnyIdentifierConverter, "identifier")
    register_converter(NctConverter, "nct")
    register_converter(UsernameConverter, "username")
    _registered = True
