"""Saved ClinicalTrials.gov API v2 files -> the trials of one ingest. Shared by
`evqms landscape trials ingest` (file store and --db) and the web upload, so both read a file
the same way.

Lenient (the command line): a bad file or record becomes a `Problem` and the rest goes on.
Strict (a web upload, where the whole file is accepted or nothing is written): the first bad
file or record raises InputError naming the file, the record and the line it starts on.
"""

from __future__ import annotations

import json

from evqms.errors import InputError, location
from evqms.i18n import _
from evqms.landscape.store import RawInput
from evqms.landscape.trials import Loaded, Problem, load_studies

_BOM = b"\xef\xbb\xbf"


def check_utf8(raw: bytes, name: str) -> None:
    """Refuse text that is not UTF-8, naming the line of the first bad byte."""
    body = raw[len(_BOM) :] if raw.startswith(_BOM) else raw
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            _("not UTF-8 text (byte {pos})").format(pos=exc.start + len(raw) - len(body)),
            where=location(file=name, line=body[: exc.start].count(b"\n") + 1),
        ) from None


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _array_starts(text: str, i: int, decoder: json.JSONDecoder) -> list[int]:
    starts = []
    i = _skip_space(text, i + 1)
    while i < len(text) and text[i] != "]":
        starts.append(i)
        _value, i = decoder.raw_decode(text, i)
        i = _skip_space(text, i)
        if i < len(text) and text[i] == ",":
            i = _skip_space(text, i + 1)
    return starts


def study_lines(text: str) -> list[int]:
    """The line each study starts on, in the order `load_studies` numbers them (a list, a
    search page's "studies", or one study); [] when the layout is not one of those."""
    decoder = json.JSONDecoder()
    try:
        i = _skip_space(text, 0)
        if text[i] == "[":
            starts = _array_starts(text, i, decoder)
        elif text[i] == "{":
            starts = [i]
            i = _skip_space(text, i + 1)
            while text[i] != "}":
                key, i = decoder.raw_decode(text, i)
                i = _skip_space(text, _skip_space(text, i) + 1)  # past the colon
                if key == "studies" and text[i] == "[":
                    starts = _array_starts(text, i, decoder)
                    break
                _value, i = decoder.raw_decode(text, i)
                i = _skip_space(text, i)
                if text[i] == ",":
                    i = _skip_space(text, i + 1)
        else:
            return []
    except (IndexError, ValueError):
        return []
    return [text.count("\n", 0, s) + 1 for s in starts]


def _refuse(raw: RawInput, problem: Problem) -> None:
    """The InputError of a skipped record, with the line its study starts on."""
    text = raw.data.decode("utf-8-sig")
    lines = study_lines(text)
    for index, line in enumerate(lines, start=1):
        prefix = _("{file}, study {index}").format(file=raw.name, index=index)
        if problem.where == prefix or problem.where.startswith(prefix + " "):
            raise InputError(problem.message, where=f"{problem.where}, {location(line=line)}")
    raise InputError(problem.message, where=problem.where)


def load_inputs(raws: list[RawInput], *, strict: bool = False) -> tuple[list[RawInput], Loaded]:
    """(the inputs that could be read, their trials and problems). Strict: any unreadable file,
    skipped record or file without a study raises InputError; caveats stay warnings."""
    kept: list[RawInput] = []
    result = Loaded()
    for raw in raws:
        try:
            check_utf8(raw.data, raw.name)
            loaded = load_studies(raw.data, raw.name)
        except InputError as exc:
            if strict:
                raise
            result.problems.append(Problem(exc.where or raw.name, exc.message))
            continue
        if strict:
            for problem in loaded.problems:
                if problem.skipped:
                    _refuse(raw, problem)
            if not loaded.trials:
                raise InputError(_("the file holds no study"), where=raw.name)
        kept.append(raw)
        result.trials += loaded.trials
        result.problems += loaded.problems
    return kept, result
