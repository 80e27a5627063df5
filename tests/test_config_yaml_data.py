"""bot/config/yaml_data.py builds a configuration's data from its YAML nodes without PyYAML's constructor: the
data must be exactly PyYAML's, for every document, the unusual ones included (they are handed to PyYAML)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config.load import _Loader, _parsed
from bot.config.yaml_data import document_data

ROOT = Path(__file__).resolve().parent.parent


def both(text: str) -> tuple[Any, Any]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        assert node is not None
        fast = document_data(loader, node)
        full = loader.construct_document(node)
    finally:
        loader.dispose()
    return fast, full


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 == 1.0 == True would hide a wrong reading)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(k, k2) and same(a[k], b[k2]) for k, k2 in zip(a, b, strict=True))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in [
    *ROOT.glob("bot/demo/*.yaml"), *ROOT.glob("examples/*.yaml"), *ROOT.glob("templates/catalog/*.yaml")]))
def test_the_repository_yaml_files_read_as_pyyaml_reads_them(path: str) -> None:
    fast, full = both((ROOT / path).read_text(encoding="utf-8"))
    assert same(fast, full)


@pytest.mark.parametrize("text", [
    # scalars PyYAML reads its own way: ints in other bases and with _, floats, yes/no, nulls, dates left as text
    "a: [0x1f, 0o17, 017, 1_000, -3, +4, 190:20:30, 1.5, 1.5e+3, .inf, -.inf, .nan, 1e5]\n",
    "b: [yes, no, on, off, true, False, ~, null, '', 2026-03-01, 2026-03-01 10:00:00, '1', \"2\"]\n",
    "c: {1: one, 1.5: x, true: t, null: n, 2026-01-01: date key}\n",
    "d: |\n  block\n  text\ne: >\n  folded\n  text\n",
    "dup: 1\ndup: 2\n",  # the later one wins, as in PyYAML
    "nested: {a: [{b: [1, {c: []}]}, {}]}\n",
    # left to PyYAML: anchors met twice, merge keys, explicit tags, a collection as a key
    "base: &b {x: 1}\none: *b\ntwo: *b\n",
    "base: &b {x: 1}\nmerged: {<<: *b, y: 2}\n",
    "t: !!str 12\nf: !!float 3\ns: !!set {a, b}\np: !!binary aGk=\n",
    "? [a, b]\n: pair\n",
    "? {a: 1}\n: mapping key\n",
    "- &r [1, 2]\n- *r\n",
])
def test_every_shape_reads_as_pyyaml_reads_it(text: str) -> None:
    try:
        expected: Any = both(text)[1]
    except yaml.YAMLError as exc:  # PyYAML refuses it: so must the fast path, with the same error
        with pytest.raises(type(exc)):
            both(text)
        return
    fast, full = both(text)
    assert same(fast, full) and same(fast, expected)


def test_an_alias_is_shared_as_pyyaml_shares_it() -> None:
    fast, _ = both("base: &b [1]\none: *b\ntwo: *b\n")
    assert fast["one"] is fast["two"]


def test_a_self_referencing_anchor_is_read_by_pyyaml_not_looped_over() -> None:
    data, _ = _parsed("&a [1, *a]\n", "x.yaml")
    assert data[1] is data


def test_a_deep_document_reads_as_pyyaml_reads_it() -> None:
    depth = 200
    fast, full = both("[" * depth + "1" + "]" * depth + "\n")
    assert same(fast, full)
