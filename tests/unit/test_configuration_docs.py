"""docs/configuration.md is one table that names every setting config.py reads from the environment, once."""

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTING_NAME = re.compile(r"[A-Z][A-Z0-9_]+")


def settings_read_by_config():
    """Every environment variable config.py reads: os.environ.get("X"), _int("X", ...), _bool("X"), ..."""
    tree = ast.parse((ROOT / "config.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and SETTING_NAME.fullmatch(node.args[0].value)
    }


def documented_tables():
    """The tables of docs/configuration.md: lists of rows, each row a list of its cells."""
    tables, rows = [], None
    for line in (ROOT / "docs" / "configuration.md").read_text().splitlines():
        if line.startswith("|"):
            rows = [] if rows is None else rows
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows is not None:
            tables.append(rows)
            rows = None
    return tables + ([rows] if rows is not None else [])


def documented_settings():
    """The settings named in the first column of the one table, in order, with repeats."""
    [table] = documented_tables()
    header, rule, *rows = table
    assert header[0] == "variable" and set(rule[0]) == {"-"}, header
    return [name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row[0])]


def test_the_configuration_reference_is_one_table():
    assert len(documented_tables()) == 1


def test_every_setting_config_reads_is_documented():
    assert settings_read_by_config() - set(documented_settings()) == set()


def test_no_setting_is_documented_that_config_does_not_read():
    assert set(documented_settings()) - settings_read_by_config() == set()


def test_each_setting_is_documented_once():
    assert [name for name, times in Counter(documented_settings()).items() if times > 1] == []


def test_the_settings_found_in_config_include_those_read_through_helpers():
    found = settings_read_by_config()
    assert {"SECRET_KEY", "DATABASE_URL", "INSTANCE_PATH", "MAIL_PORT", "MAIL_USE_TLS", "PORT"} <= found
