"""A rule set file is parsed once while its modification time and size stay the same: the
compliance page reads part titles on every view. A changed file is parsed again; a broken one is
refused every time."""

from __future__ import annotations

import os

import pytest

from evqms.errors import InputError
from evqms.guidance import ruleset


@pytest.fixture
def parses(monkeypatch):
    calls = []
    real = ruleset.parse_ruleset

    def counted(text, path):
        calls.append(path)
        return real(text, path)

    monkeypatch.setattr(ruleset, "parse_ruleset", counted)
    return calls


@pytest.fixture
def copy(tmp_path):
    path = tmp_path / "jsrm-2024.yaml"
    path.write_bytes((ruleset.BUILTIN_DIR / "jsrm-2024.yaml").read_bytes())
    return path


def test_a_file_is_parsed_once_while_unchanged(parses, copy):
    first = ruleset.load(str(copy))
    again = ruleset.load(str(copy))
    assert again is first
    assert parses == [str(copy)]


def test_a_changed_file_is_parsed_again(parses, copy):
    before = ruleset.load(str(copy))
    text = copy.read_text(encoding="utf-8")
    assert 'version: "' in text
    copy.write_text(text.replace('version: "', 'version: "9', 1), encoding="utf-8")
    after = ruleset.load(str(copy))
    assert len(parses) == 2 and after.version == "9" + before.version


def test_same_size_but_a_new_modification_time_is_parsed_again(parses, copy):
    ruleset.load(str(copy))
    st = copy.stat()
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    ruleset.load(str(copy))
    assert len(parses) == 2


def test_a_broken_file_is_refused_every_time(copy):
    copy.write_text("id: [unclosed", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(InputError):
            ruleset.load(str(copy))


def test_built_in_rule_sets_by_id_are_kept(parses):
    ruleset.load("mfds-2024")
    ruleset.load("mfds-2024")
    assert len(parses) <= 1  # 0 when an earlier test of this process parsed it already
