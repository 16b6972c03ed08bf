"""Related rows rendered as JSON text by PostgreSQL: for each parent, the finished text of
a subtree (an object, or a list of objects, with objects nested in it), built from the
very statements the loaders read those rows with.

A `Subtree` says what to show and where its rows come from: `Source` wraps a loader's
by-id statement (its visibility and owner scope with it) as a subquery, matched to the
parent's key column instead of `$1`, so no predicate is written twice. `level_statement`
renders several subtrees of one level of parents in one statement: `$1` holds the first
key column of every parent, `$2` the owner scope, `$3` on the other key columns, and the
last parameter the output keys' texts: keys are the client's aliases, so they never enter
the statement's text (which then depends on the shape alone, not on how it is named).

The text is the bytes a JSON encoder writing compactly gives (no spaces; strings escaped
as `to_json` escapes them: quote, backslash, the short escapes and `\\u00XX` for other
control characters, everything else as it is). A value that should not be null but is
makes the whole parent's text null, so whoever reads it can tell and read the rows
instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from sql.pool import Executor
from sql.rows import ByIds

Kind = Literal["json", "decimal", "literal", "one", "many"]
"""`json`: a text, integer or boolean column, as `to_json` writes it; `decimal`: a numeric
column of a fixed scale of at most 6 (written as a string of its digits, which is what
Python's `str(Decimal)` gives at such scales); `literal`: JSON text given as it is;
`one`/`many`: a nested subtree."""


@dataclass(frozen=True, slots=True)
class Source:
    """Rows of one relation: `statement` (a loader's, matching one id with `= $1::uuid`),
    matched to the parent's `key` column; a list's rows in `order`."""

    statement: ByIds
    key: str
    order: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Output:
    key: str  # the output key
    kind: Kind
    value: str | Subtree  # the column, the literal text or the nested subtree
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class Subtree:
    source: Source
    many: bool
    outputs: tuple[Output, ...]
    keys: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", tuple(o.key for o in self.outputs))


@dataclass(frozen=True, slots=True)
class LevelStatement:
    text: str
    keys: tuple[str, ...]  # the parents' key columns: `$1`, then `$3`, `$4`, ...
    heads: tuple[str, ...]  # the texts before each output's value, the last parameter

    async def fetch(
        self, executor: Executor, keys: Sequence[list[UUID]], owner: UUID | None
    ) -> list[tuple[str | None, ...]]:
        """Per parent (`keys`: a list per key column, a parent per position), the text of
        each subtree, or None where a value that should not be null was."""
        args: list[Any] = [keys[0], owner, *keys[1:], self.heads]
        records = await executor.fetch(self.text, *args)
        return [tuple(r) for r in records]


def level_statement(subtrees: Sequence[Subtree]) -> LevelStatement:
    """One statement rendering every subtree for every parent of a level, one row per parent
    in the order of the keys."""
    keys = tuple(dict.fromkeys(s.source.key for s in subtrees))
    names = {key: f"p.k{i}" for i, key in enumerate(keys)}
    counter = iter(range(1, 1_000_000))
    heads = _Heads(f"${len(keys) + 2}::text[]")
    columns = [_subtree(s, names[s.source.key], counter, heads) for s in subtrees]
    slots = ["$1::uuid[]", *(f"${i + 2}::uuid[]" for i in range(1, len(keys)))]
    text = (
        f"SELECT {', '.join(columns)} FROM unnest({', '.join(slots)}) WITH ORDINALITY"
        f" AS p({', '.join(f'k{i}' for i in range(len(keys)))}, n)"
    )
    typed = [] if "$2" in text else ["$2::uuid IS NULL"]  # every parameter needs a type
    if not heads.texts:
        typed.append(f"{heads.slot} IS NULL")
    if typed:
        text += f" WHERE {' OR '.join(typed)} OR true"
    return LevelStatement(f"{text} ORDER BY p.n", keys, tuple(heads.texts))


class _Heads:
    """The output keys' texts, passed as one array parameter and read by position."""

    def __init__(self, slot: str) -> None:
        self.slot = slot
        self.texts: list[str] = []

    def __call__(self, text: str) -> str:
        self.texts.append(text)
        return f"({self.slot})[{len(self.texts)}]"


def _subtree(subtree: Subtree, outer: str, counter: Any, heads: _Heads) -> str:
    alias = f"r{next(counter)}"
    source = subtree.source
    rows = source.statement.one.replace(ByIds.ONE, f"= {outer}")
    item = _object(subtree.outputs, alias, counter, heads)
    if not subtree.many:
        return f"(SELECT {item} FROM ({rows}) AS {alias})"
    # A null item (a non-null value missing) makes the list null, not shorter.
    order = ", ".join(f"x.o{i}" for i in range(len(source.order)))
    ordered = ", ".join(f"{alias}.{c} AS o{i}" for i, c in enumerate(source.order))
    return (
        "(SELECT CASE WHEN count(*) = count(x.v) THEN"
        f" '[' || coalesce(string_agg(x.v, ','{f' ORDER BY {order}' if order else ''}), '')"
        f" || ']' END FROM (SELECT {item} AS v{f', {ordered}' if ordered else ''}"
        f" FROM ({rows}) AS {alias} OFFSET 0) AS x)"
    )


def _object(outputs: Sequence[Output], alias: str, counter: Any, heads: _Heads) -> str:
    if not outputs:
        return "'{}'"
    parts = []
    for index, output in enumerate(outputs):
        parts.append(heads(("{" if index == 0 else ",") + json.dumps(output.key) + ":"))
        parts.append(_value(output, alias, counter, heads))
    parts.append("'}'")
    return "(" + " || ".join(parts) + ")"


def _value(output: Output, alias: str, counter: Any, heads: _Heads) -> str:
    value = output.value
    if output.kind == "literal":
        assert isinstance(value, str)
        return _literal(value)
    if isinstance(value, Subtree):
        if output.nullable:
            raise ValueError("a nested subtree renders non-null relations only")
        return _subtree(value, f"{alias}.{value.source.key}", counter, heads)
    column = f"{alias}.{value}"
    written = (
        f"to_json({column}::text)::text" if output.kind == "decimal" else f"to_json({column})::text"
    )
    return f"coalesce({written}, 'null')" if output.nullable else written


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
