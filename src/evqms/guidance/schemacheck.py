"""A fast yes/no for "does this data satisfy the JSON Schema", compiled once from the schema.

jsonschema builds a validator object for every node it descends into and resolves every `$ref`
anew: about 1.5 s for a dossier of 1,000 lots. The dossier only needs jsonschema's answer in
detail when the data is invalid (to name the first bad field); the common case, valid data, is
answered here by closures compiled from the schema. Only the keywords below are compiled, with
jsonschema's (Draft 2020-12) meaning; a schema using any other keyword is not compiled
(`Unsupported`) and the caller validates with jsonschema alone. A "no" is always explained by
jsonschema, so this module never words an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

Check = Callable[[object], bool]


def equal(one, two) -> bool:
    """jsonschema's equality for enum and const: True is not 1, 1 is 1.0, containers compare deeply.
    (Written out so that valid data is passed without importing jsonschema.)"""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return one.keys() == two.keys() and all(equal(one[k], two[k]) for k in one)
    return _unbool(one) == _unbool(two)


_TRUE, _FALSE = object(), object()


def _unbool(value):
    return _TRUE if value is True else _FALSE if value is False else value


# Keywords that say nothing about validity (without a format checker, `format` would be one too,
# but no dossier schema uses it: it stays unsupported rather than silently ignored).
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default"}
)
_SUPPORTED = _ANNOTATIONS | {
    "type",
    "enum",
    "const",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "oneOf",
    "anyOf",
    "allOf",
    "$ref",
}


class Unsupported(Exception):
    """The schema uses a keyword (or a form of one) this module does not compile."""


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# jsonschema's type checker: bool is not a number, 1.0 is an integer, only dict and list are
# object and array.
_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: _is_number(v) and (isinstance(v, int) or v.is_integer()),
}


def compile_schema(schema: dict) -> Check:
    """The predicate `data -> bool` for `schema` (refs within the same document only).

    Long because it is one compiler: each keyword's closure needs the shared `compiled` table and
    `ref`, and reads best beside the others it composes with."""
    compiled: dict[str, Check] = {}

    def ref(pointer: str) -> Check:
        if not pointer.startswith("#/"):
            raise Unsupported(pointer)
        if pointer not in compiled:
            target = schema
            for part in pointer[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise Unsupported(pointer)
                target = target[part]
            compiled[pointer] = lambda v: check(v)  # a placeholder while the target compiles
            check = build(target)
            compiled[pointer] = check
        return lambda v: compiled[pointer](v)

    def build(node) -> Check:
        if node is True:
            return lambda v: True
        if node is False:
            return lambda v: False
        if not isinstance(node, dict):
            raise Unsupported(repr(node)[:40])
        unknown = set(node) - _SUPPORTED
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        checks: list[Check] = []
        if "type" in node:
            names = node["type"] if isinstance(node["type"], list) else [node["type"]]
            if any(n not in _TYPES for n in names):
                raise Unsupported(f"type {names}")
            tests = [_TYPES[n] for n in names]
            checks.append(tests[0] if len(tests) == 1 else (lambda v, t=tests: any(f(v) for f in t)))
        if "enum" in node:
            options = list(node["enum"])
            if all(isinstance(o, str) for o in options):
                names = frozenset(options)
                checks.append(lambda v, n=names: isinstance(v, str) and v in n)
            else:
                checks.append(lambda v, o=options: any(equal(e, v) for e in o))
        if "const" in node:
            checks.append(lambda v, c=node["const"]: equal(v, c))
        if "pattern" in node:
            search = re.compile(node["pattern"]).search
            checks.append(lambda v, s=search: not isinstance(v, str) or s(v) is not None)
        if "minLength" in node:
            checks.append(lambda v, n=node["minLength"]: not isinstance(v, str) or len(v) >= n)
        if "maxLength" in node:
            checks.append(lambda v, n=node["maxLength"]: not isinstance(v, str) or len(v) <= n)
        if "minimum" in node:
            checks.append(lambda v, n=node["minimum"]: not _is_number(v) or v >= n)
        if "maximum" in node:
            checks.append(lambda v, n=node["maximum"]: not _is_number(v) or v <= n)
        if "minItems" in node:
            checks.append(lambda v, n=node["minItems"]: not isinstance(v, list) or len(v) >= n)
        if "maxItems" in node:
            checks.append(lambda v, n=node["maxItems"]: not isinstance(v, list) or len(v) <= n)
        if "required" in node:
            needed = tuple(node["required"])
            checks.append(lambda v, r=needed: not isinstance(v, dict) or all(k in v for k in r))
        properties = {k: build(s) for k, s in (node.get("properties") or {}).items()}
        if properties:
            pairs = tuple(properties.items())
            checks.append(lambda v, p=pairs: not isinstance(v, dict) or all(f(v[k]) for k, f in p if k in v))
        if "additionalProperties" in node:
            extra = build(node["additionalProperties"])
            known = frozenset(properties)
            if node["additionalProperties"] is False:
                checks.append(lambda v, k=known: not isinstance(v, dict) or all(key in k for key in v))
            else:
                checks.append(
                    lambda v, k=known, f=extra: (
                        not isinstance(v, dict) or all(f(item) for key, item in v.items() if key not in k)
                    )
                )
        if "items" in node:
            if not isinstance(node["items"], (dict, bool)):
                raise Unsupported("items as a list")
            each = build(node["items"])
            checks.append(lambda v, f=each: not isinstance(v, list) or all(f(item) for item in v))
        if "oneOf" in node:
            options = [build(s) for s in node["oneOf"]]
            checks.append(lambda v, o=options: sum(1 for f in o if f(v)) == 1)
        if "anyOf" in node:
            options = [build(s) for s in node["anyOf"]]
            checks.append(lambda v, o=options: any(f(v) for f in o))
        if "allOf" in node:
            options = [build(s) for s in node["allOf"]]
            checks.append(lambda v, o=options: all(f(v) for f in o))
        if "$ref" in node:
            checks.append(ref(node["$ref"]))
        if not checks:
            return lambda v: True
        if len(checks) == 1:
            return checks[0]
        return lambda v, c=tuple(checks): all(f(v) for f in c)

    return build(schema)
