"""The command registry (`evqms.cli.COMMANDS`) says which module adds which command, and the
README's command list and settings table say what `evqms --help` and the code offer."""

from __future__ import annotations

import argparse
import ast
import importlib
import itertools
import re
from pathlib import Path

from evqms.cli import COMMANDS, build_parser

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every command and sub-command, as a path of words: ('lots', 'import-qc')."""
    found = set()
    for name, sub in _subcommands(parser).items():
        found.add((*prefix, name))
        found |= command_paths(sub, (*prefix, name))
    return found


def test_each_module_adds_exactly_the_commands_listed_for_it():
    for module, commands in COMMANDS:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(module).register(sub)
        assert tuple(sub.choices) == commands, module


def test_the_parser_offers_the_registry_in_its_order():
    assert tuple(_subcommands(build_parser())) == tuple(c for _m, commands in COMMANDS for c in commands)


def _readme_command_block() -> list[str]:
    section = README.split("## Command line", 1)[1]
    block = section.split("```", 2)[1]
    return [line for line in block.splitlines() if line.startswith("evqms ")]


def readme_paths() -> set[tuple[str, ...]]:
    """The command paths the README's list names: words after `evqms` up to the first option or
    argument; `a|b` names alternatives."""
    paths = set()
    for line in _readme_command_block():
        words = []
        for word in line.split()[1:]:
            if not re.fullmatch(r"[a-z][a-z-]*(\|[a-z][a-z-]*)*", word):
                break
            words.append(word.split("|"))
        paths |= set(itertools.product(*words))
    return paths


def test_the_readme_lists_every_command_and_only_real_ones():
    offered = command_paths(build_parser())
    documented = readme_paths()
    leaves = {p for p in offered if not any(q[: len(p)] == p and q != p for q in offered)}
    assert sorted(leaves - documented) == []
    assert sorted(documented - offered) == []


def test_the_readme_check_reads_alternatives_and_stops_at_arguments():
    assert ("lots", "import-qc") in readme_paths()
    assert ("guidance", "hazards") in readme_paths()
    assert ("compliance", "history") in readme_paths()
    assert ("files", "verify") in readme_paths()
    assert not any("coa" in p and len(p) > 2 for p in readme_paths())


# Literals that look like variables but are not read from the environment.
NOT_ENVIRONMENT = {"EVQMS_TESTING": "a prefix: the test-only variables dropped from a child's environment"}


def environment_variables() -> set[str]:
    """Every EVQMS_* name the code reads: string literals in src/evqms and the test set-up, except
    Django settings read with getattr(settings, ...)."""
    names, django_settings = set(), set()
    files = [*(REPO / "src" / "evqms").rglob("*.py"), REPO / "tests" / "conftest.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"EVQMS_[A-Z0-9_]+", node.value):
                    names.add(node.value)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
            ):
                django_settings.add(node.args[1].value)
    return names - django_settings - set(NOT_ENVIRONMENT)


def test_every_environment_variable_is_documented():
    variables = environment_variables()
    assert {"EVQMS_VALIDATION_DIR", "EVQMS_PG_BIN", "EVQMS_UPLOAD_LIMIT_MB"} <= variables
    documented = set(re.findall(r"EVQMS_[A-Z0-9_]+", README))
    assert sorted(variables - documented) == []


def _command_module_files() -> list[Path]:
    files = []
    for module, _commands in COMMANDS:
        path = Path(importlib.import_module(module).__file__)
        files += sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]
    return files


def test_every_message_of_the_command_modules_has_a_japanese_translation():
    """A command's help and messages read in Japanese wherever its module lives (assess moved from
    guidance to compliance with its messages; the catalogue is the merged one)."""
    import polib

    locale = REPO / "src" / "evqms" / "locale" / "ja"
    translated = {e.msgid for po in sorted(locale.glob("*.po")) for e in polib.pofile(str(po)) if e.msgstr}
    wrapped = set()
    for path in _command_module_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "gettext")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                wrapped.add(node.args[0].value)
    assert len(wrapped) > 300
    assert sorted(wrapped - translated) == []
