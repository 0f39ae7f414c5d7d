"""The fast paths of dossier loading give what the exact paths give.

A dossier is read by libyaml and passed by a compiled schema check; the line-keeping reader and
jsonschema step in only to word an error. These tests hold the two paths to the same data, the
same verdict and the same messages, on the examples and on a large file.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from guidance_helpers import EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evqms.errors import InputError
from evqms.guidance import dossier, schemacheck, yamlio
from evqms.i18n import use_language

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
YAML_FILES = sorted(EXAMPLES.glob("*.yaml")) + sorted(FIXTURES.glob("*/*.yaml"))


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")
    with use_language("en"):
        yield


def _both(text: str):
    """(data or error text) from the line-keeping reader and from the fast one."""
    out = []
    for lines in (True, False):
        try:
            out.append(("data", yamlio.load_yaml(text, "f.yaml", lines=lines)))
        except InputError as exc:
            out.append(("error", str(exc)))
    return out


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_both_readers_give_the_same_data(path):
    text = path.read_text(encoding="utf-8")
    exact, fast = _both(text)
    assert exact == fast
    assert json.dumps(exact[1], sort_keys=True) == json.dumps(fast[1], sort_keys=True)  # same types too


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
def test_the_fast_reader_is_the_one_used_for_a_plain_file(monkeypatch):
    # Guard against the fast path silently never running (everything falling back).
    def refuse(*args, **kwargs):
        raise AssertionError("the line-keeping reader was used")

    monkeypatch.setattr(yamlio, "_Loader", refuse)
    data = yamlio.load_yaml((EXAMPLES / "full-compliance.yaml").read_text(encoding="utf-8"), "f", lines=False)
    assert data["product"]["name"]


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key
        "a: &x [1, 2]\nb: *x\n",  # alias
        "a: &x 1\nb: *x\n",  # alias of a scalar
        "a: [1, 2\n",  # syntax error
        "a: 1\n---\nb: 2\n",  # two documents
        "a: 1\n\x07b: 2\n",  # control character
        "a: " + "[" * 70 + "]" * 70 + "\n",  # past the nesting bound, below libyaml's
        "a: " + "[" * 5000 + "]" * 5000 + "\n",  # past libyaml's own bound
        "a:\n" + "".join("  " * i + f"  k{i}:\n" for i in range(70)) + "  " * 71 + "x\n",
        "a: " + "7" * 500 + "\n",
        "a: '" + "7" * 500 + "'\n",  # the bound counts digits in any scalar, quoted too
        "a: " + "x" * 5000 + "\n",  # a long text is not a number: read by the fast path
        "base: {x: 1}\nc:\n  <<: {x: 1, y: 2}\n  z: 3\n",  # merge key without an alias
        "a: !!binary aGVsbG8=\n",
        "a: !!set {x, y}\n",
        "a: !local x\n",
        "a: 2024-04-30\nb: 2024-04-30T10:00:00Z\n",  # dates stay text
        "a: [yes, no, on, off, ~, null, 0x1F, 0o17, 1_000, 1:30, .inf, -.nan, 1e3, '1e3']\n",
        "? [1, 2]\n: x\n",  # an unhashable key
        "{1: a, 1.0: b}\n",
        "",
        "# only a comment\n",
        "- a\n- b\n",
        "\ufeffa: 1\n",
    ],
)
def test_both_readers_agree_on_edge_cases(text):
    exact, fast = _both(text)
    if exact[0] == "data" and fast[0] == "data":
        assert json.dumps(exact[1], sort_keys=True, default=repr) == json.dumps(
            fast[1], sort_keys=True, default=repr
        )
    assert exact[0] == fast[0]
    if exact[0] == "error":
        assert exact[1] == fast[1]


def _large_dossier_lines(lots: int) -> list[str]:
    data = yaml.safe_load((EXAMPLES / "full-compliance.yaml").read_text(encoding="utf-8"))
    lot0 = data["lots"][0]
    for i in range(1, lots):  # the first lot keeps its id: retention samples and administrations name it
        lot = copy.deepcopy(lot0)
        lot["id"], lot["release"]["signature"] = f"L-{i:05d}", f"SIG-{i:05d}"
        data["lots"].append(lot)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).splitlines(keepends=True)


def _load_text(tmp_path, lines: list[str]) -> InputError:
    path = tmp_path / "large.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        dossier.load_dossier(path)
    return caught.value


def test_a_syntax_error_deep_in_a_large_file_names_its_line(tmp_path):
    lines = _large_dossier_lines(300)
    at = lines.index("- id: L-00250\n")
    assert lines[at + 2] == "  process_version: P1\n"
    lines[at + 2] = "  process_version: P1: again\n"
    err = _load_text(tmp_path, lines)
    assert str(err) == (
        f"{tmp_path / 'large.yaml'}, line {at + 3}, column 22: not valid YAML: mapping values are not allowed here"
    )


def test_a_duplicate_key_deep_in_a_large_file_names_its_line(tmp_path):
    lines = _large_dossier_lines(300)
    at = lines.index("- id: L-00260\n")
    lines.insert(at + 1, "  id: L-again\n")
    err = _load_text(tmp_path, lines)
    assert str(err) == f"{tmp_path / 'large.yaml'}, line {at + 2}: duplicate key id"


def test_an_alias_deep_in_a_large_file_names_its_line(tmp_path):
    lines = _large_dossier_lines(300)
    at = lines.index("- id: L-00270\n")
    lines[at] = "- id: &x L-00270\n"
    later = lines.index("- id: L-00271\n")
    lines[later] = "- id: *x\n"
    err = _load_text(tmp_path, lines)
    assert f"large.yaml, line {later + 1}" in str(err) and "YAML aliases (*x)" in str(err)


def test_a_schema_error_deep_in_a_large_file_names_its_field(tmp_path):
    lines = _large_dossier_lines(300)
    at = lines.index("- id: L-00280\n")
    lines.insert(at + 1, "  colour: blue\n")
    err = _load_text(tmp_path, lines)
    assert 'field "$.lots[280]"' in str(err) and "colour" in str(err)


# The compiled schema check and jsonschema must agree on every document, valid or not.

_validator = dossier._validator()
_quick = schemacheck.compile_schema(_validator.schema)
_EXAMPLE_DATA = [
    yamlio.load_yaml((EXAMPLES / name).read_text(encoding="utf-8"), name, lines=False)
    for name in ("full-compliance.yaml", "typical-clinic.yaml", "minimal.yaml")
]
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.5, 1.0, -1.0, 1e300]),
    st.sampled_from(["", "x", "2024-04-30", "2024-4-30", "2e9", "1e", "natural", "released", "UC-MSC", "ug"]),
    st.just([]),
    st.just({}),
    st.just([{"id": "x"}]),
    st.just({"value": "2e9", "unit": "particles"}),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def _mutate(data, path, how, value):
    data = copy.deepcopy(data)
    if not path:
        return value
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "add" and isinstance(parent, dict):
        parent[f"{last}_extra"] = value
    elif how == "add" and isinstance(parent, list):
        parent.append(value)
    else:
        parent[last] = value
    return data


@pytest.mark.parametrize("data", _EXAMPLE_DATA, ids=["full", "typical", "minimal"])
def test_the_compiled_check_passes_the_examples(data):
    assert _validator.is_valid(data) and _quick(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_compiled_check_agrees_with_jsonschema(draw):
    data = draw.draw(st.sampled_from(_EXAMPLE_DATA))
    for _ in range(draw.draw(st.integers(1, 3))):
        path = draw.draw(st.sampled_from(list(_paths(data))))
        data = _mutate(
            data, path, draw.draw(st.sampled_from(["replace", "delete", "add"])), draw.draw(_VALUES)
        )
    assert _quick(data) == _validator.is_valid(data)


def test_a_schema_keyword_not_compiled_is_left_to_jsonschema():
    with pytest.raises(schemacheck.Unsupported):
        schemacheck.compile_schema({"type": "string", "format": "date"})
    with pytest.raises(schemacheck.Unsupported):
        schemacheck.compile_schema({"$ref": "https://example.org/other.json"})


def test_the_compiled_check_keeps_jsonschemas_meaning_of_types():
    check = schemacheck.compile_schema(
        {
            "type": "object",
            "properties": {"n": {"type": "integer"}, "c": {"const": 1}, "e": {"enum": [1, "a"]}},
        }
    )
    assert check({"n": 2.0}) and not check({"n": 2.5}) and not check({"n": True})
    assert check({"c": 1.0}) and not check({"c": True})
    assert check({"e": 1}) and check({"e": "a"}) and not check({"e": False})
    assert not check([]) and check({})


@pytest.mark.parametrize(
    ("one", "two"),
    [
        (1, 1.0),
        (1, True),
        (0, False),
        ("1", 1),
        ([1, True], [1.0, True]),
        ([1], [True]),
        ({"a": 1}, {"a": 1.0}),
        ({"a": 1}, {"b": 1}),
        ({"a": [0]}, {"a": [False]}),
        (None, None),
        ([], {}),
    ],
)
def test_equal_is_jsonschemas(one, two):
    from jsonschema._utils import equal as jsonschema_equal

    assert schemacheck.equal(one, two) == jsonschema_equal(one, two)
