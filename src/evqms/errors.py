"""Errors shared by the pure packages, the Django apps and the CLI (no Django imports).

`InputError` is the one way to say "the user's input is wrong": the CLI turns it into a
one-line message and exit code 2; views turn it into a form error. It names where the problem
is (file, line, column or field) so the user can find it.
"""

from __future__ import annotations


class EvqmsError(Exception):
    """Base class of every error evqms raises on purpose."""


class InputError(EvqmsError):
    """Malformed or unacceptable input. `where` is e.g. 'run.csv, line 12, column "dose"'."""

    def __init__(self, message: str, *, where: str | None = None):
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class PermissionDenied(EvqmsError):
    """The acting user's role does not allow the action."""


class RuleViolation(EvqmsError):
    """A business rule forbids the action (e.g. releasing a lot with an open deviation)."""


def location(
    file: str | None = None, line: int | None = None, column: str | None = None, field: str | None = None
) -> str:
    """Build the 'where' part of an error message from the parts that are known, in the reader's language."""
    from evqms.i18n import _  # pure gettext; imported here so this module stays import-free

    parts = []
    if file:
        parts.append(str(file))
    if line is not None:
        parts.append(_("line {line}").format(line=line))
    if column is not None:
        parts.append(_('column "{column}"').format(column=column))
    if field is not None:
        parts.append(_('field "{field}"').format(field=field))
    return ", ".join(parts)


class EditConflict(RuleViolation):
    """The record changed after the form that edits it was opened (someone else saved first)."""
