"""Related rows rendered as JSON text by PostgreSQL: for each parent, the finished text of
a subtree (an object, or a list of objects, with objects nested in it), built from the
very statements the loaders read those rows with.

A `Subtree` says what to show and where its rows come from: `Source` wraps a loader's
by-ids statement (its visibility and owner scope with it), given the parents' keys instead
of `$1`, so no predicate is written twice. `level_statement` renders several subtrees of
one level of parents in one statement: `$1` holds the first key column of every parent,
`$2` the owner scope, `$3` on the other key columns, and the last parameter the output
keys' texts: keys are the client's aliases, so they never enter the statement's text
(which then depends on the shape alone, not on how it is named).

As the loaders do, the statement reads each relation's rows once for the distinct keys of
the level above, and writes each row's text once: a product on many lines, or a category
of many products, is read and written once, then joined to whoever shows it by its key.

The text is the bytes a JSON encoder writing compactly gives (no spaces; strings escaped
as `to_json` escapes them: quote, backslash, the short escapes and `\\u00XX` for other
control characters, everything else as it is). A value that should not be null but is
makes the whole parent's text null, so whoever reads it can tell and read the rows
instead."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from sql.pool import Executor
from sql.rows import ByIds

Kind = Literal["json", "plain", "decimal", "base64", "literal", "one", "many"]
"""`json`: a text column, as `to_json` writes it; `plain`: an integer or boolean column,
whose text is its JSON; `decimal`: a numeric
column of a fixed scale of at most 6 (written as a string of its digits, which is what
Python's `str(Decimal)` gives at such scales); `base64`: a string of the standard base64
(padded, on one line) of a prefix and a column's text (`Base64Of`); `literal`: JSON text
given as it is; `one`/`many`: a nested subtree."""


@dataclass(frozen=True, slots=True)
class Base64Of:
    """A value written as the base64 of `prefix` followed by `column`'s text (a uuid's
    text is the lower-case form Python's `str(UUID)` gives)."""

    prefix: str
    column: str


@dataclass(frozen=True, slots=True)
class Source:
    """Rows of one relation: `statement` (a loader's, matching ids with `= ANY($1)`), given
    the parents' `key` column, which it matches to its rows' `match` column (a to-one
    relation's by their primary key, so at most one row a key); a list's rows in
    `order`."""

    statement: ByIds
    key: str
    order: tuple[str, ...] = ()
    match: str = "id"

    def __post_init__(self) -> None:
        if not re.search(
            rf"\b{re.escape(self.match)} {re.escape(ByIds.MANY)}", self.statement.many
        ):
            raise ValueError(f"the statement matches no {self.match!r} to the ids")


@dataclass(frozen=True, slots=True)
class Output:
    key: str  # the output key
    kind: Kind
    value: str | Subtree | Base64Of  # the column, the literal text or the nested subtree
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class Subtree:
    source: Source
    many: bool
    outputs: tuple[Output, ...]
    keys: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        if not self.many and self.source.match != "id":
            # a parent must meet at most one row: the join would otherwise repeat it
            raise ValueError(f"a to-one subtree matches rows by 'id', not {self.source.match!r}")
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
        if len(records) != len(keys[0]):  # a parent met twice would shift the others' texts
            raise RuntimeError(f"{len(records)} rendered rows for {len(keys[0])} parents")
        return [tuple(r) for r in records]


def level_statement(subtrees: Sequence[Subtree]) -> LevelStatement:
    """One statement rendering every subtree for every parent of a level, one row per parent
    in the order of the keys."""
    keys = tuple(dict.fromkeys(s.source.key for s in subtrees))
    index = {key: i for i, key in enumerate(keys)}
    slots = ["$1::uuid[]", *(f"${i + 2}::uuid[]" for i in range(1, len(keys)))]
    heads = Heads(f"${len(keys) + 2}::text[]")
    ctes: list[str] = []
    names = [_subtree(s, slots[index[s.source.key]], ctes, heads) for s in subtrees]
    columns = [_taken(s, name) for s, name in zip(subtrees, names, strict=True)]
    joins = "".join(
        f" LEFT JOIN {name} ON {name}.k = p.k{index[s.source.key]}"
        for s, name in zip(subtrees, names, strict=True)
    )
    text = (
        f"WITH {', '.join(ctes)} SELECT {', '.join(f'{c} AS c{i}' for i, c in enumerate(columns))},"
        f" p.n FROM unnest({', '.join(slots)})"
        f" WITH ORDINALITY AS p({', '.join(f'k{i}' for i in range(len(keys)))}, n){joins}"
    )
    typed = [] if "$2" in text else ["$2::uuid IS NULL"]  # every parameter needs a type
    if not heads.texts:
        typed.append(f"{heads.slot} IS NULL")
    if typed:
        text += f" WHERE {' OR '.join(typed)} OR true"
    # A SELECT around the common table expressions: what it does is a read.
    shown = ", ".join(f"q.c{i}" for i in range(len(columns)))
    text = f"SELECT {shown} FROM ({text}) AS q ORDER BY q.n"
    return LevelStatement(text, keys, tuple(heads.texts))


class Heads:
    """The output keys' texts, passed as one array parameter and read by position."""

    def __init__(self, slot: str) -> None:
        self.slot = slot
        self.texts: list[str] = []

    def __call__(self, text: str) -> str:
        self.texts.append(text)
        return f"({self.slot})[{len(self.texts)}]"


def _subtree(subtree: Subtree, ids: str, ctes: list[str], heads: Heads) -> str:
    """Adds the common table expressions rendering `subtree` for the keys `ids` (an array),
    and names the last: each key read once (`k`) with its text (`v`). Nested subtrees read
    the distinct keys of this one's rows, so a row shared by many parents is read and
    written once."""
    source = subtree.source
    rows = f"({source.statement.many.replace(ByIds.MANY, f'= ANY({ids})')})"
    nested = [o.value for o in subtree.outputs if isinstance(o.value, Subtree)]
    if nested:  # read once, for the keys of the nested subtrees and for the texts
        table = f"r{len(ctes)}"
        ctes.append(f"{table} AS MATERIALIZED {rows}")
        rows = table
    children = [
        _subtree(n, f"ARRAY(SELECT DISTINCT {n.source.key} FROM {rows})", ctes, heads)
        for n in nested
    ]
    joins = "".join(
        f" LEFT JOIN {name} ON {name}.k = r.{n.source.key}"
        for n, name in zip(nested, children, strict=True)
    )
    item = object_text(subtree.outputs, iter(children), heads)
    # A list's items carry their sort keys (`o0`, ...) for the aggregate.
    keys = "".join(f", r.{c} AS o{n}" for n, c in enumerate(source.order)) if subtree.many else ""
    body = f"SELECT r.{source.match} AS k, {item} AS v{keys} FROM {rows} AS r{joins}"
    if subtree.many:
        # The order is the aggregate's own (a sorted input only usually keeps it); the
        # input comes sorted too, which PostgreSQL 16 and later use instead of sorting
        # each group again. A null item (a non-null value missing) makes the list null,
        # not shorter.
        order = "".join(f", o{n}" for n in range(len(source.order)))
        within = f" ORDER BY {order[2:]}" if order else ""
        body = (
            "SELECT x.k, CASE WHEN count(*) = count(x.v) THEN '[' || string_agg(x.v, ','"
            f"{within}) || ']' END AS v FROM ({body} ORDER BY 1{order}) AS x GROUP BY x.k"
        )
    name = f"t{len(ctes)}"
    ctes.append(f"{name} AS MATERIALIZED ({body})")
    return name


def _taken(subtree: Subtree, name: str) -> str:
    """A subtree's text where its rows were joined: a list no row joined is empty."""
    if subtree.many:
        return f"CASE WHEN {name}.k IS NULL THEN '[]' ELSE {name}.v END"
    return f"{name}.v"


def object_text(outputs: Sequence[Output], children: Iterator[str], heads: Heads) -> str:
    """The expression of one row's (`r`) object text; `children` name the tables of its
    nested subtrees, in order."""
    if not outputs:
        return "'{}'"
    parts = []
    for index, output in enumerate(outputs):
        parts.append(heads(("{" if index == 0 else ",") + json.dumps(output.key) + ":"))
        parts.append(_value(output, children))
    parts.append("'}'")
    return "(" + " || ".join(parts) + ")"


def _value(output: Output, children: Iterator[str]) -> str:
    value = output.value
    if output.kind == "literal":
        assert isinstance(value, str)
        return _literal(value)
    if isinstance(value, Subtree):
        if output.nullable:
            raise ValueError("a nested subtree renders non-null relations only")
        return _taken(value, next(children))
    if isinstance(value, Base64Of):
        # PostgreSQL's base64 breaks lines every 76 characters; the response's has none.
        text = f"{_literal(value.prefix)} || r.{value.column}::text"
        written = f"replace(encode(convert_to({text}, 'UTF8'), 'base64'), E'\\n', '')"
        written = f"'\"' || {written} || '\"'"
        return f"coalesce({written}, 'null')" if output.nullable else written
    column = f"r.{value}"
    if output.kind == "json":
        written = f"to_json({column})::text"
    elif output.kind == "decimal":
        written = f"'\"' || {column}::text || '\"'"
    else:
        written = f"{column}::text"
    return f"coalesce({written}, 'null')" if output.nullable else written


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
