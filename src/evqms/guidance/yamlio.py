"""YAML reading with line numbers, and dates kept as text (the schema validates them).

Bounded: aliases (`*name`) are refused, so a few hundred bytes cannot expand into gigabytes
("billion laughs"), and nodes nest at most `limits.MAX_DEPTH` deep (no RecursionError).
"""

from __future__ import annotations

import yaml

from evqms.core.limits import MAX_DEPTH, MAX_NUMBER_DIGITS
from evqms.errors import InputError, location
from evqms.i18n import _


class LineDict(dict):
    """A mapping that remembers the line where it starts in its file (1-based)."""

    line: int | None = None
    key_lines: dict

    def line_of(self, key) -> int | None:
        """The line of `key` in its file, else the line where the mapping starts."""
        return getattr(self, "key_lines", {}).get(key, self.line)


class _Loader(yaml.SafeLoader):
    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        where = location(file=self.name, line=event.start_mark.line + 1)
        if isinstance(event, yaml.AliasEvent):
            raise InputError(
                _("YAML aliases (*{alias}) are not accepted: write the value out in full").format(
                    alias=event.anchor
                ),
                where=where,
            )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InputError(_("nested more than {n} levels deep").format(n=MAX_DEPTH), where=where)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_scalar(self, node):
        value = super().construct_scalar(node)
        # int("9" * 100000) raises ValueError deep in the constructor: refuse such a number here.
        if isinstance(value, str) and len(value) > MAX_NUMBER_DIGITS and value.lstrip("+-").isdigit():
            raise InputError(
                _("a number with {n} digits").format(n=len(value)),
                where=location(file=self.name, line=node.start_mark.line + 1),
            )
        return value


# Dates stay strings ('2024-04-30'): JSON and YAML dossiers then look the same to the schema.
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise InputError(
                _("duplicate key {key}").format(key=key),
                where=location(file=loader.name, line=key_node.start_mark.line + 1),
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    mapping.line = node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _reader_error(exc, text: str, name: str) -> InputError:
    """A character YAML does not allow (a control character, a stray BOM), with its line."""
    line = text.count("\n", 0, exc.position) + 1
    return InputError(
        _("not valid YAML: character {char} is not allowed").format(
            char=f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        ),
        where=location(file=name, line=line),
    )


def load_yaml(text: str, name: str):
    """Parse YAML; a syntax error becomes an InputError naming the file, line and column."""
    try:
        loader = _Loader(text)  # the reader refuses control characters at once (ReaderError)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, name) from None
    loader.name = name
    try:
        return loader.get_single_data()
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, name) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = exc.problem or exc.context or str(exc)
        where = location(file=name, line=mark.line + 1 if mark else None)
        if mark:
            where += f", {_('column')} {mark.column + 1}"
        raise InputError(_("not valid YAML: {reason}").format(reason=reason), where=where) from None
    except yaml.YAMLError as exc:
        raise InputError(_("not valid YAML: {reason}").format(reason=str(exc)), where=name) from None
    except (ValueError, RecursionError) as exc:  # a scalar the constructor cannot read
        raise InputError(_("not valid YAML: {reason}").format(reason=str(exc)[:200]), where=name) from None
    finally:
        loader.dispose()
