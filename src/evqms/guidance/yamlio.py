"""YAML reading with line numbers, and dates kept as text (the schema validates them).

Bounded: aliases (`*name`) are refused, so a few hundred bytes cannot expand into gigabytes
("billion laughs"), and nodes nest at most `limits.MAX_DEPTH` deep (no RecursionError).

Two readers give the same data. The line-keeping one (pure Python) serves rule sets, whose
messages cite lines of valid files. Dossiers, whose messages cite a JSON path, are read with
libyaml when it is present (`load_yaml(..., lines=False)`); anything that reader does not take
plainly (a syntax error, an alias, a bound, a rare tag) is read again by the line-keeping reader,
which gives the message with its line, or the data.
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
        # The location is built only for a message: translating it for every node cost more than parsing.
        if isinstance(event, yaml.AliasEvent):
            raise InputError(
                _("YAML aliases (*{alias}) are not accepted: write the value out in full").format(
                    alias=event.anchor
                ),
                where=location(file=self.name, line=event.start_mark.line + 1),
            )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InputError(
                _("nested more than {n} levels deep").format(n=MAX_DEPTH),
                where=location(file=self.name, line=event.start_mark.line + 1),
            )
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
        try:
            hash(key)
        except TypeError:  # `? [1, 2]`: reported with its line as PyYAML's own constructor words it
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
            ) from None
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


_FAST_TAGS = {
    "tag:yaml.org,2002:int": yaml.SafeLoader.construct_yaml_int,
    "tag:yaml.org,2002:float": yaml.SafeLoader.construct_yaml_float,
    "tag:yaml.org,2002:bool": yaml.SafeLoader.construct_yaml_bool,
    "tag:yaml.org,2002:null": yaml.SafeLoader.construct_yaml_null,
}
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _Unplain(Exception):
    """Something the fast reader leaves to the line-keeping one (an error, an alias, a bound, a tag)."""


if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):
        """libyaml's parser and composer; the nodes are turned into data by `_fast_data`."""

        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers  # dates stay text here too

        def resolve(self, kind, value, implicit):
            # Called from C for every scalar; a dossier repeats its values (units, statuses, dates)
            # so the regular-expression walk is kept per distinct plain value.
            if kind is yaml.ScalarNode and implicit[0]:
                tag = self._tags.get(value)
                if tag is None:
                    tag = self._tags[value] = super().resolve(kind, value, implicit)
                return tag
            return super().resolve(kind, value, implicit)

else:  # PyYAML built without libyaml: the line-keeping reader serves both
    _FastLoader = None


def _too_long(value: str) -> bool:
    """The number bound of `_Loader.construct_scalar` (the line-keeping reader words the refusal)."""
    return len(value) > MAX_NUMBER_DIGITS and value.lstrip("+-").isdigit()


def _fast_data(loader, node):
    """Data from libyaml's node tree: plain dicts, lists and scalars, the same values as `_Loader`.

    Refuses (by `_Unplain`) what the line-keeping reader must report or construct itself.
    """
    seen = set()  # a node met twice is an alias (libyaml composes `*name` as the anchored node)

    def build(node, depth):
        if depth > MAX_DEPTH or id(node) in seen:
            raise _Unplain
        seen.add(id(node))
        tag = node.tag
        if tag == _STR:
            if _too_long(node.value):
                raise _Unplain
            return node.value
        if tag == _MAP:
            out = {}
            for key_node, value_node in node.value:
                key = build(key_node, depth + 1)
                if key in out:  # a duplicate key; an unhashable one raises TypeError
                    raise _Unplain
                out[key] = build(value_node, depth + 1)
            return out
        if tag == _SEQ:
            return [build(item, depth + 1) for item in node.value]
        construct = _FAST_TAGS.get(tag)
        if construct is None or _too_long(node.value):
            raise _Unplain  # merge keys, !!binary, !!set, local tags ...: left to the full constructor
        return construct(loader, node)

    return build(node, 1)


def _load_fast(text: str):
    """The data, or `_Unplain` when the line-keeping reader must read the text."""
    if _FastLoader is None or yaml.reader.Reader.NON_PRINTABLE.search(text):
        raise _Unplain  # the same characters refused as by the pure reader, with their line
    loader = _FastLoader(text)
    loader._tags = {}
    try:
        node = loader.get_single_node()
        return None if node is None else _fast_data(loader, node)
    except _Unplain:
        raise
    except Exception:  # a syntax error, nesting past libyaml's own bound, an unhashable key, ...
        raise _Unplain from None
    finally:
        loader.dispose()


def load_yaml(text: str, name: str, *, lines: bool = True):
    """Parse YAML; a syntax error becomes an InputError naming the file, line and column.

    With `lines=False` mappings are plain dicts (no `line_of`) and libyaml reads the text when
    it can; every error is still reported by the line-keeping reader, with the same message.
    """
    if not lines:
        try:
            return _load_fast(text)
        except _Unplain:
            pass
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
