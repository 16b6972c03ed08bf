"""The compiled tree: what a plan holds for each selection and field, and the error
that hands a query back to graphql-core."""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLAbstractType, GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from graphql.execution.collect_fields import FieldDetails

from engine.compiled.arguments import ByVariable
from engine.compiled.fields import Batch, row_readers

if TYPE_CHECKING:
    from engine.compiled.compile import Compiler


DEFINITION = "strawberry-definition"
"""Where a GraphQL field's extensions keep its Strawberry field."""


class Abandon(Exception):
    """This run cannot be served here; graphql-core executes the query instead."""


@dataclass(slots=True)
class Leaf:
    serialize: Callable[[Any], Any]
    same: type | None = None  # values of exactly this type serialize to themselves
    members: dict[int, Any] | None = None
    """An enum's: what each member serializes to, by the member's identity (read in C)."""


@dataclass(slots=True)
class NonNull:
    inner: Completion


@dataclass(slots=True)
class ListOf:
    inner: Completion


@dataclass(slots=True)
class Object:
    """Objects of one type (`selection` set), or of the types an abstract type may hold
    (`abstract` set; a selection per runtime type, compiled when first met)."""

    compiler: Compiler
    nodes: list[FieldDetails]
    selection: Selection | None = None
    abstract: GraphQLAbstractType | None = None
    by_type: dict[str, Selection] = field(default_factory=dict)

    def selection_for(self, type_: GraphQLObjectType) -> Selection:
        found = self.by_type.get(type_.name)
        if found is None:
            found = self.by_type[type_.name] = self.compiler.subselection(type_, self.nodes)
        return found


Completion = Leaf | NonNull | ListOf | Object


@dataclass(slots=True)
class Field:
    key: str
    parent: GraphQLObjectType
    definition: GraphQLField | None  # None for __typename
    nodes: list[FieldDetails]
    attribute: str | None  # a plain attribute of the source object
    batch: Batch | None
    completion: Completion
    has_arguments: bool
    call: Call | None = None  # the Strawberry resolver, called without its wrapper
    info_head: tuple[Any, ...] | None = None  # what `_Run.info` passes before the variables
    variables: tuple[str, ...] = ()  # the variables its arguments name
    by_variable: ByVariable | None = None  # arguments all given by variables, passed as they are
    kept: dict[Hashable, dict[str, Any]] = field(default_factory=dict)
    """Its coerced arguments by the values of `variables` (see `_Run.arguments`)."""
    page: Any = None
    """How the database renders the nodes of the page this connection field returns
    (`engine.compiled.pages`); None: read row by row."""


Call = Callable[
    [list[Any], GraphQLResolveInfo[Any], dict[str, Any], dict[Hashable, Any], Hashable | None],
    list[Any],
]


@dataclass(slots=True)
class Selection:
    """The fields of one object type's selection, sorted at compile time by how they run:
    `__typename`s, plain attributes with leaf values (read and serialized in a
    comprehension each), and the rest (each a call per level). Indexes are response
    positions."""

    type_: GraphQLObjectType
    keys: tuple[str, ...]
    response: Callable[[list[list[Any]]], list[dict[str, Any]]]  # objects of columns of values
    typenames: list[int] = field(default_factory=list)
    plain: list[tuple[int, str, Leaf, bool]] = field(default_factory=list)
    called: list[tuple[int, Field]] = field(default_factory=list)
    from_rows: list[tuple[int, str, Callable[[Any], Any], Leaf, bool]] = field(default_factory=list)
    """Plain fields read off the objects' rows (`fields.read_off_rows`), not through them."""
    rendered: tuple[list[int], Callable[[Any, list[Any]], Any]] | None = None
    """Relations the database renders as JSON text, and what renders them
    (`engine.compiled.rendering`)."""
    rendered_fields: list[tuple[int, Field]] = field(default_factory=list)

    @classmethod
    def of(cls, type_: GraphQLObjectType, fields: list[Field]) -> Selection:
        keys = tuple(f.key for f in fields)
        selection = cls(type_, keys, _response_maker(keys))
        readers = row_readers(getattr(type_.extensions.get(DEFINITION), "origin", None))
        for index, f in enumerate(fields):
            leaf = _leaf_of(f.completion)
            if f.definition is None:
                selection.typenames.append(index)
            elif f.attribute is not None and leaf is not None:
                selection.plain.append((index, f.attribute, leaf, leaf is not f.completion))
            else:
                selection.called.append((index, f))
        for index, attribute, leaf, non_null in selection.plain:
            if (read := readers.get(attribute)) is not None:
                selection.from_rows.append((index, attribute, read, leaf, non_null))
        selection.plain = [p for p in selection.plain if p[1] not in readers]
        return selection


@functools.lru_cache(maxsize=1024)
def _response_maker(keys: tuple[str, ...]) -> Callable[[list[list[Any]]], list[dict[str, Any]]]:
    """A function of one column of values per key that returns a dict per position, as a
    dict literal in a comprehension would: four times faster than `dict(zip(keys,
    values))`, and without a Python call per object (a page of orders with their lines
    makes hundreds). Written out and compiled as `collections.namedtuple` writes its
    classes, once per tuple of keys (a document may repeat one selection many times, and
    each compile is a parse); the keys go in as `repr`s of strings (GraphQL names,
    checked by the parser), the values are numbered."""
    names = "".join(f"v{i}, " for i in range(len(keys)))
    items = ", ".join(f"{key!r}: v{i}" for i, key in enumerate(keys))
    # The whole builtins in its globals, never a restricted set: a coroutine collected
    # while the maker runs warns that it was never awaited, and the warning imports
    # through the running frame's builtins (tests/unit/test_response_maker.py).
    namespace = {"__builtins__": builtins}
    text = f"lambda columns: [{{{items}}} for ({names}) in zip(*columns)]"
    maker: Callable[[list[list[Any]]], list[dict[str, Any]]] = eval(text, namespace)  # noqa: S307
    return maker


def _leaf_of(completion: Completion) -> Leaf | None:
    if isinstance(completion, NonNull):
        completion = completion.inner
    return completion if isinstance(completion, Leaf) else None


def reads_of(selection: Selection) -> dict[str, frozenset[str]] | None:
    """The Python names of the fields a plan selects on each object type; None when an
    abstract type's selections are made as its values come (not all known yet)."""
    found: dict[str, set[str]] = {}
    pending = [selection]
    while pending:
        current = pending.pop()
        names = found.setdefault(current.type_.name, set())
        names.update(attribute for _, attribute, _, _ in current.plain)
        names.update(attribute for _, attribute, _, _, _ in current.from_rows)
        for _, f in (*current.called, *current.rendered_fields):
            definition = None if f.definition is None else f.definition.extensions.get(DEFINITION)
            if definition is not None:
                names.add(definition.python_name)
            completion = f.completion
            while isinstance(completion, NonNull | ListOf):
                completion = completion.inner
            if isinstance(completion, Object):
                if completion.selection is None:
                    return None
                pending.append(completion.selection)
    return {name: frozenset(names) for name, names in found.items()}
