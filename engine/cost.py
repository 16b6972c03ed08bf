"""The estimated cost of an operation: how many objects its response could hold.

Every field of object, interface or union type counts the objects it returns: one for each
object it is selected on, times the length of the list when it returns a list.
- The `edges` and `nodes` of a connection hold its page: `first` or `last` (a literal or a
  variable's value; the larger when both are given), else the default page, and never more
  than the largest page (a larger one is refused when the field runs).
- `nodes(ids:)` holds as many objects as it is given ids (`LENGTH_ARGUMENTS`); `Order.lines`
  is estimated at 5 (`LIST_ESTIMATES`); any other list at `DEFAULT_LIST_ESTIMATE`.
- Scalars, `__typename` and introspection count nothing: introspection reads the schema in
  memory, and graphql-core's MaxIntrospectionDepthRule bounds its nesting.
- A fragment counts wherever it is spread, each time; fields under a type condition count as
  if every condition held, and `@skip`/`@include` are not looked at: all over-estimates.

So `{ customers(first: 10) { nodes { orders { nodes { lines { product { name } } } } } } }`
costs 1 + 10 * (1 + 1 + 20 * (1 + 5 * (1 + 1))) = 2,221 objects.

A document is compiled once into a `CostPlan` of the fields that count; a request evaluates
it with its coerced variables, which takes time in the size of the plan, not of the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLCompositeType,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    is_object_type,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined
from graphql.utilities.coerce_input_value import coerce_default_value

from engine.limits import (
    QueryLimits,
    composite,
    fragment_definitions,
    fragments_bottom_up,
    operations,
)

DEFAULT_LIST_ESTIMATE = 10
LIST_ESTIMATES: dict[tuple[str, str], int] = {("Order", "lines"): 5}
LENGTH_ARGUMENTS: dict[tuple[str, str], str] = {("Query", "nodes"): "ids"}
PAGE_ARGUMENTS = ("first", "last")


class _Page:
    """The count of a list on a connection: the page of the field that returned it."""


_PAGE = _Page()
_UNKNOWN = object()  # a variable's value, when estimating without variables


@dataclass(frozen=True, slots=True)
class _Length:
    """The count of a list as long as an argument's list."""

    value: ValueNode | None


_Count = int | _Length | _Page
_Source = ValueNode | int | None  # an argument: its node, else the schema's default


@dataclass(frozen=True, slots=True)
class _Field:
    count: _Count  # objects for each object it is selected on
    page: tuple[_Source, _Source] | None  # of a connection: `first` and `last`
    children: tuple[_Part, ...]


@dataclass(frozen=True, slots=True)
class _Spread:
    name: str


_Part = _Field | _Spread


class CostModel:
    """What the schema says about costs: which types are connections."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.connections = {
            get_named_type(field.type).name
            for type_ in schema.type_map.values()
            if is_object_type(type_)
            for field in type_.fields.values()
            if any(name in field.args for name in PAGE_ARGUMENTS)
        }

    def plan(self, document: DocumentNode) -> CostPlan:
        return CostPlan(self, document)


class CostPlan:
    """The fields of a document that count, by operation and fragment.

    Compiles documents not yet validated too: what cannot be resolved counts nothing.
    """

    def __init__(self, model: CostModel, document: DocumentNode) -> None:
        self._model = model
        self.uses_variables = False
        self._known: dict[tuple[str | None, int], tuple[QueryLimits, int]] = {}
        fragments = fragment_definitions(document)
        self._order = fragments_bottom_up(fragments)
        self._fragments = {
            name: self._compile(
                fragment.selection_set,
                composite(model.schema.get_type(fragment.type_condition.name.value)),
            )
            for name, fragment in fragments.items()
        }
        self._operations = {
            operation.name.value if operation.name else None: self._compile(
                operation.selection_set, model.schema.get_root_type(operation.operation)
            )
            for operation in operations(document)
        }

    def estimate(
        self, operation: str | None, *, variables: Mapping[str, Any] | None, limits: QueryLimits
    ) -> int:
        """The estimated cost of the named operation with these coerced variables; with
        `variables` None, the least it could cost whatever they are."""
        # By the limits' identity (hashing them is a Python call), kept with the limits so
        # that the identity stays theirs.
        key = (operation, id(limits))
        known = self._known.get(key)
        if known is not None and known[0] is limits:
            return known[1]
        parts = self._operations.get(operation, ())
        cost = _Evaluation(variables, limits, self._fragments, self._order).objects(parts)
        if not self.uses_variables:
            self._known[key] = (limits, cost)
        return cost

    def least(self, limits: QueryLimits) -> int:
        """The highest of the operations' least costs, each fragment summed once for all."""
        once = _Evaluation(None, limits, self._fragments, self._order)
        return max((once.objects(parts) for parts in self._operations.values()), default=0)

    def _compile(
        self, selection_set: SelectionSetNode, parent: GraphQLCompositeType | None
    ) -> tuple[_Part, ...]:
        parts: list[_Part] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                field = self._field(selection, parent)
                if field is not None:
                    parts.append(field)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = (
                    composite(self._model.schema.get_type(condition.name.value))
                    if condition
                    else parent
                )
                parts.extend(self._compile(selection.selection_set, inner))
            else:
                parts.append(_Spread(selection.name.value))  # type: ignore[attr-defined]
        return tuple(parts)

    def _field(self, node: FieldNode, parent: GraphQLCompositeType | None) -> _Field | None:
        name = node.name.value
        if parent is None or node.selection_set is None or name.startswith("__"):
            return None  # a scalar, introspection, or something validation will refuse
        field = self._model.schema.get_field(parent, name)
        child = composite(get_named_type(field.type)) if field else None
        if field is None or child is None:
            return None
        arguments = {argument.name.value: argument.value for argument in node.arguments or ()}
        page = None
        if any(arg in field.args for arg in PAGE_ARGUMENTS):
            first, last = (self._source(arguments, field, arg) for arg in PAGE_ARGUMENTS)
            page = (first, last)
        return _Field(
            self._count(parent, name, field, arguments),
            page,
            self._compile(node.selection_set, child),
        )

    def _count(
        self,
        parent: GraphQLCompositeType,
        name: str,
        field: GraphQLField,
        arguments: dict[str, ValueNode],
    ) -> _Count:
        if not is_list_type(get_nullable_type(field.type)):
            return 1
        key = (parent.name, name)
        if key in LENGTH_ARGUMENTS:
            value = arguments.get(LENGTH_ARGUMENTS[key])
            self.uses_variables |= _has_variable(value)
            return _Length(value)
        if key in LIST_ESTIMATES:
            return LIST_ESTIMATES[key]
        return _PAGE if parent.name in self._model.connections else DEFAULT_LIST_ESTIMATE

    def _source(self, arguments: dict[str, ValueNode], field: GraphQLField, name: str) -> _Source:
        if name in arguments:
            self.uses_variables |= _has_variable(arguments[name])
            return arguments[name]
        argument = field.args.get(name)
        default = coerce_default_value(argument) if argument else None
        return default if isinstance(default, int) else None


class _Evaluation:
    """One estimate: each fragment is summed once, bottom-up, as `fixed + per_page * page`
    (its lists on a connection hold the page of wherever it is spread)."""

    def __init__(
        self,
        variables: Mapping[str, Any] | None,
        limits: QueryLimits,
        fragments: dict[str, tuple[_Part, ...]],
        order: list[str],
    ) -> None:
        self.variables = variables
        self.limits = limits
        self.fragments: dict[str, tuple[int, int]] = {}
        for name in order:
            self.fragments[name] = self.sum(fragments[name])

    def objects(self, parts: tuple[_Part, ...]) -> int:
        fixed, per_page = self.sum(parts)
        return fixed + per_page * DEFAULT_LIST_ESTIMATE  # no page above the root

    def sum(self, parts: tuple[_Part, ...]) -> tuple[int, int]:
        fixed = per_page = 0
        for part in parts:
            if isinstance(part, _Spread):
                spread_fixed, spread_per_page = self.fragments.get(part.name, (0, 0))
                fixed += spread_fixed
                per_page += spread_per_page
                continue
            inner_fixed, inner_per_page = self.sum(part.children)
            page = self.page(*part.page) if part.page else DEFAULT_LIST_ESTIMATE
            each = 1 + inner_fixed + inner_per_page * page
            if isinstance(part.count, _Page):
                per_page += each
            else:
                count = part.count if isinstance(part.count, int) else self.length(part.count)
                fixed += count * each
        return fixed, per_page

    def page(self, first: _Source, last: _Source) -> int:
        sizes = [size for size in (self.value(first), self.value(last)) if size is not None]
        if not sizes:
            return self.limits.default_page
        largest = max(size if isinstance(size, int) else 0 for size in sizes)
        return min(max(largest, 0), self.limits.max_page)

    def length(self, count: _Length) -> int:
        value = self.value(count.value)
        if value is None or value is _UNKNOWN:
            return 0
        return len(value) if isinstance(value, list) else 1

    def value(self, source: _Source) -> Any:
        """The argument's value; `_UNKNOWN` for a variable when there are no variables."""
        if source is None or isinstance(source, int):
            return source
        if isinstance(source, VariableNode):
            if self.variables is None:
                return _UNKNOWN
            return self.variables.get(source.name.value)
        value = value_from_ast_untyped(source, {})
        return None if value is Undefined else value


def _has_variable(value: ValueNode | None) -> bool:
    if value is None:
        return False
    if isinstance(value, VariableNode):
        return True
    values = getattr(value, "values", ())  # a list literal
    return any(_has_variable(item) for item in values)
