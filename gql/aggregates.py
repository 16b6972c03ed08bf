"""The `aggregate` of every connection: `XAggregate { count sum avg min max }`.

The types are made from each entity's measure columns (numbers and timestamps), so every
connection spells them alike: `sum`/`avg` hold a field per number, `min`/`max` a field per
number and timestamp. The figures a selection asks for are read in one statement: the
measures come from the selection itself (fragments included; a field skipped with
`@skip`/`@include` is computed anyway and not shown, which costs nothing but a column).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection
from strawberry.utils.str_converters import to_camel_case

from gql.context import Info
from sql.aggregates import Figures, Measure
from sql.entity import Column

_COUNT = Measure("count")
# (field description, type description) per function
_WORDS = {
    "sum": ("Sum", "Sums"),
    "avg": ("Mean", "Means"),
    "min": ("Least", "Least values"),
    "max": ("Greatest", "Greatest values"),
}


@dataclass(frozen=True, slots=True)
class AggregateKind:
    """An entity's aggregate type, and how its selection names measures."""

    object_type: type
    parts: Mapping[str, type]  # `sum` → its type, ...
    columns: Mapping[str, Mapping[str, str]]  # `sum` → {GraphQL field: measure column}

    def measures(self, info: Info) -> tuple[Measure, ...]:
        """The measures the `aggregate` field's selection reads, in a stable order."""
        return self.measures_of(info.selected_fields)

    def measures_of(self, aggregates: Iterable[Selection]) -> tuple[Measure, ...]:
        """The measures these selections of an `aggregate` field read."""
        found: set[Measure] = set()
        for selected in fields_of(aggregates):
            for part in fields_of(selected.selections):
                if part.name == "count":
                    found.add(_COUNT)
                columns = self.columns.get(part.name, {})
                for leaf in fields_of(part.selections):
                    if leaf.name in columns:
                        found.add(Measure(part.name, columns[leaf.name]))
        return tuple(sorted(found, key=lambda m: (m.function, m.column or "")))

    def builder(self, measures: Iterable[Measure]) -> Callable[[Figures], Any]:
        """Makes the aggregate object of figures of these measures; parts none of them
        belongs to are left out (null: nothing selects them). Made once for many groups."""
        by_function: dict[str, list[tuple[str, Measure]]] = {}
        for measure in measures:
            if measure.column is not None:
                by_function.setdefault(measure.function, []).append((measure.column, measure))
        parts = [(f, self.parts[f], found) for f, found in by_function.items()]
        object_type = self.object_type
        absent = dict.fromkeys(self.parts)

        def build(figures: Figures) -> Any:
            made = {f: type_(**{c: figures[m] for c, m in found}) for f, type_, found in parts}
            return object_type(count=figures.get(_COUNT, 0), **{**absent, **made})

        return build

    async def resolve(
        self, aggregate: Callable[[tuple[Measure, ...]], Awaitable[Figures]], info: Info
    ) -> Any:
        measures = self.measures(info)
        return self.builder(measures)(await aggregate(measures) if measures else {})


def fields_of(selections: Iterable[Selection], name: str | None = None) -> Iterable[SelectedField]:
    """The fields of a selection set (named `name`, when given), fragments spread out."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            if name is None or selection.name == name:
                yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from fields_of(selection.selections, name)


def aggregate_kind(entity: str, measures: Mapping[str, Column], *, what: str) -> AggregateKind:
    """`{entity}Aggregate` and its parts, for the entity's measure columns (by the
    snake_case names clients use, camelCased in the schema)."""
    numbers: dict[str, type] = {n: c.kind for n, c in measures.items() if c.kind in (int, Decimal)}
    ordered: dict[str, type] = {
        n: c.kind for n, c in measures.items() if c.kind in (int, Decimal, datetime)
    }
    functions: dict[str, dict[str, type]] = {"min": ordered, "max": ordered}
    if numbers:
        averages: dict[str, type] = {name: Decimal for name in numbers}
        functions = {"sum": dict(numbers), "avg": averages, **functions}
    parts = {
        function: _part(entity, function, columns, what=what)
        for function, columns in functions.items()
    }
    namespace: dict[str, Any] = {
        "__annotations__": {"count": int, **dict(parts.items())},
        "count": strawberry.field(description=f"How many {what} there are (0 when none)."),
    }
    for function in parts:
        namespace[function] = strawberry.field(
            description=f"{_WORDS[function][1]} of columns over the {what}."
        )
    type_ = strawberry.type(
        type(f"{entity}Aggregate", (), namespace),
        description=f"Figures over all the {what} of a connection that match its filter "
        "(pagination does not apply).",
    )
    columns = {
        function: {to_camel_case(name): name for name in names}
        for function, names in functions.items()
    }
    return AggregateKind(object_type=type_, parts=parts, columns=columns)


def _part(entity: str, function: str, columns: Mapping[str, type], *, what: str) -> type:
    word, plural = _WORDS[function]
    namespace: dict[str, Any] = {"__annotations__": {}}
    for name, kind in columns.items():
        namespace["__annotations__"][name] = kind | None
        namespace[name] = strawberry.field(
            default=None,
            description=f"{word} {name.replace('_', ' ')} of the {what}; null when none has one.",
        )
    return strawberry.type(
        type(f"{entity}{function.capitalize()}Fields", (), namespace),
        description=f"{plural} of columns over a set of {what}.",
    )
