"""The data of a composed YAML document, built straight from its nodes when they hold only what a configuration
holds (mappings with plain keys, sequences, text, numbers, booleans, nulls): PyYAML's constructor, pure Python
even under libyaml, takes five times as long (0.17 s against 0.03 s for 10,000 people). Anything else (merge
keys, explicit tags, anchors used twice, keys that are collections) is left to PyYAML's constructor, whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ = (
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq"))
_SCALARS = frozenset((_STR, _INT, _FLOAT, _BOOL, _NULL))


class _Unusual(Exception):
    """A node this builder leaves to PyYAML."""


def document_data(loader: yaml.constructor.SafeConstructor, node: yaml.Node) -> Any:
    """What loader.construct_document(node) gives, the same for every document (tests/test_config.py holds the
    two equal on the examples and on the shapes left to PyYAML)."""
    try:
        return _Builder(loader).build(node)
    except (_Unusual, RecursionError):
        return loader.construct_document(node)


class _Builder:
    def __init__(self, loader: yaml.constructor.SafeConstructor) -> None:
        # PyYAML's own readings of an int, a float and a bool (0x1f, 1_000, 1.5e+3, yes/no/on/off, ...).
        self._scalar: dict[str, Callable[[yaml.ScalarNode], Any]] = {
            _INT: loader.construct_yaml_int, _FLOAT: loader.construct_yaml_float,
            _BOOL: loader.construct_yaml_bool, _NULL: loader.construct_yaml_null}
        self._seen: set[int] = set()  # collections built: one met again is an alias, which PyYAML shares

    def build(self, node: yaml.Node) -> Any:
        kind, tag = type(node), node.tag
        if kind is yaml.ScalarNode:
            if tag == _STR:
                return node.value
            read = self._scalar.get(tag)
            if read is None:
                raise _Unusual(tag)
            return read(node)  # type: ignore[arg-type]
        if id(node) in self._seen:
            raise _Unusual("alias")
        self._seen.add(id(node))
        if kind is yaml.MappingNode and tag == _MAP:
            out: dict[Any, Any] = {}
            for key, value in node.value:
                if type(key) is not yaml.ScalarNode or key.tag not in _SCALARS:
                    raise _Unusual(key.tag)  # a merge key (<<), or a key PyYAML may refuse as unhashable
                out[self.build(key)] = self.build(value)
            return out
        if kind is yaml.SequenceNode and tag == _SEQ:
            return [self.build(item) for item in node.value]
        raise _Unusual(tag)
