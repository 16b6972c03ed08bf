"""Valid query documents drawn from a schema, for differential tests of query execution.

Everything is derived from the schema: which fields a type has, their arguments and input
types, which fragments may be spread where. A document holds random subsets of fields at
every level (depth and breadth bounded), `__typename`, aliases (also the same field twice
under two aliases with other arguments), arguments written inline or passed as variables
(also deep inside input objects), named fragments, inline fragments with and without a type
condition (on every possible type of an interface or union), and `@include`/`@skip` on
fields, spreads and inline fragments, with literal booleans or Boolean variables (some
nullable with a default, and then sometimes not sent or sent as null). Now and then the
document holds a second operation, and the request names one of them or neither.

Documents stay valid by construction: every selection level keeps a register of its
response keys, shared with the fragments spread at that level, so one key always names the
same field with the same arguments (and their subselections merge into one register too).
Argument values are as the scalar strategies given make them, so a bad `Decimal` or an
oversized page still reaches validation, variable coercion or the resolvers, on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import (
    GraphQLArgument,
    GraphQLCompositeType,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    StringValueNode,
    get_named_type,
    is_abstract_type,
    is_composite_type,
    is_leaf_type,
    is_non_null_type,
    print_ast,
)
from graphql.pyutils import Undefined
from hypothesis import strategies as st

T = TypeVar("T")
OMITTED = object()  # a declared variable the request does not send


@dataclass(frozen=True, slots=True)
class GeneratedQuery:
    """A query document, and the variables and operation name to send with it."""

    document: str
    variables: dict[str, Any]
    operation_name: str | None


@dataclass(frozen=True, slots=True)
class Shape:
    """Bounds of a generated document."""

    max_depth: int = 5  # levels of fields; the deepest level selects leaves only
    max_fields: int = 4  # selections per selection set
    max_input_depth: int = 2  # nesting of input objects in one argument
    max_fragment_nesting: int = 2  # fragments inside fragments with no field between
    max_selections: int = 30  # in the whole document; then only leaves, one per level


def queries(
    schema: GraphQLSchema,
    scalars: Mapping[str, st.SearchStrategy[Any]],
    shape: Shape | None = None,
) -> st.SearchStrategy[GeneratedQuery]:
    """Query documents over the whole `Query` type of `schema`. `scalars` gives the values
    of scalar arguments by scalar name (as JSON values); enums are drawn from the schema."""
    bounds = shape or Shape()
    assert schema.query_type is not None
    root = schema.query_type

    @st.composite
    def generate(draw: st.DrawFn) -> GeneratedQuery:
        return _Builder(draw, schema, scalars, bounds).operation(root)

    return generate()


@dataclass(slots=True)
class _Key:
    """What one response key of a selection level stands for."""

    name: str
    type_text: str
    arguments: str
    children: _Register | None  # the keys below it, for a field of composite type


@dataclass(slots=True)
class _Register:
    keys: dict[str, _Key] = field(default_factory=dict)


class _Builder:
    def __init__(
        self,
        draw: st.DrawFn,
        schema: GraphQLSchema,
        scalars: Mapping[str, st.SearchStrategy[Any]],
        shape: Shape,
    ) -> None:
        self.draw = draw
        self.schema = schema
        self.scalars = scalars
        self.shape = shape
        self.declarations: list[str] = []
        self.by_type: dict[str, list[str]] = {}  # declared variables by type, for reuse
        self.variables: dict[str, Any] = {}
        self.fragments: list[str] = []
        self.conditions_used: list[str] = []  # Boolean variables `@include`/`@skip` may read
        self.serial = 0
        self.budget = shape.max_selections

    # --- decisions (each shrinks towards "no": the simplest document) -----------------

    def chance(self, percent: int) -> bool:
        return bool(self.draw(st.integers(0, 99)) >= 100 - percent)

    def pick(self, choices: Sequence[T]) -> T:
        chosen: T = self.draw(st.sampled_from(choices))
        return chosen

    def fresh(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    # --- the operation --------------------------------------------------------------------

    def operation(self, root: GraphQLObjectType) -> GeneratedQuery:
        body = self.selection_set(root, depth=1, register=_Register(), nesting=0)
        others = ["query Other { __typename }"] if self.chance(10) else []
        if self.declarations:
            head = f"query Q({', '.join(self.declarations)}) "
        else:
            head = self.pick(["query Q ", "", "query "]) if not others else "query Q "
        operation_name: str | None = None
        if head.startswith("query Q"):
            # With another operation and no name, the request is refused: that too.
            operation_name = self.pick([None, "Q", "Other"] if others else [None, "Q"])
        document = "\n".join([head + body, *others, *self.fragments]) + "\n"
        variables = {k: v for k, v in self.variables.items() if v is not OMITTED}
        return GeneratedQuery(document, variables, operation_name)

    # --- selections -----------------------------------------------------------------------

    def selection_set(
        self, type_: GraphQLCompositeType, *, depth: int, register: _Register, nesting: int
    ) -> str:
        count = self.draw(st.integers(1, self.shape.max_fields)) if self.budget > 0 else 1
        items = [self.selection(type_, depth, register, nesting) for _ in range(count)]
        return "{ " + " ".join(items) + " }"

    def selection(
        self, type_: GraphQLCompositeType, depth: int, register: _Register, nesting: int
    ) -> str:
        self.budget -= 1
        kind = self.draw(st.integers(0, 9))
        if is_abstract_type(type_):
            # Mostly fragments on the possible types: that is where abstract fields differ.
            kind = {0: 0, 1: 0, 2: 6, 3: 7, 4: 7, 5: 7, 6: 7}.get(kind, kind)
        if nesting >= self.shape.max_fragment_nesting or self.budget < 0:
            kind = min(kind, 6)
        if kind <= 5:
            return self.field(type_, depth, register)
        if kind == 6:
            return self.typename(register)
        if kind <= 8:
            condition = self.pick(self.conditions(type_)) if kind == 7 else None
            head = "..." if condition is None else f"... on {condition.name}"
            within = type_ if condition is None else condition
            body = self.selection_set(within, depth=depth, register=register, nesting=nesting + 1)
            return f"{head}{self.directives()} {body}"
        condition = self.pick(self.conditions(type_))
        name = self.fresh("F")
        body = self.selection_set(condition, depth=depth, register=register, nesting=nesting + 1)
        self.fragments.append(f"fragment {name} on {condition.name} {body}")
        spread = f"...{name}{self.directives()}"
        if self.chance(10):  # the same fragment twice, e.g. under opposite conditions
            spread += f" ...{name}{self.directives()}"
        return spread

    def conditions(self, type_: GraphQLCompositeType) -> list[GraphQLCompositeType]:
        """The types a fragment may be spread on within `type_`: itself first."""
        if isinstance(type_, GraphQLObjectType):
            return [type_, *type_.interfaces]
        assert isinstance(type_, GraphQLInterfaceType | GraphQLUnionType)
        return [type_, *self.schema.get_possible_types(type_)]

    def typename(self, register: _Register) -> str:
        key = self.fresh("a") if self.chance(20) else "__typename"
        known = register.keys.setdefault(key, _Key("__typename", "String!", "", None))
        if known.name != "__typename":
            key = self.fresh("a")
            register.keys[key] = _Key("__typename", "String!", "", None)
        alias = "" if key == "__typename" else f"{key}: "
        return f"{alias}__typename{self.directives()}"

    def field(self, type_: GraphQLCompositeType, depth: int, register: _Register) -> str:
        if isinstance(type_, GraphQLUnionType):
            return self.typename(register)
        assert isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
        names: list[str] = list(type_.fields)
        if depth >= self.shape.max_depth or self.budget < 0:
            names = [n for n, f in type_.fields.items() if is_leaf_type(get_named_type(f.type))]
            if not names:
                return self.typename(register)
        name = self.pick(names)
        definition = type_.fields[name]
        type_text = str(definition.type)
        named = get_named_type(definition.type)
        key: str = name
        if self.chance(20):
            key = self.pick([self.fresh("a"), *type_.fields])
        known = register.keys.get(key)
        if known is not None and (
            (known.name, known.type_text) != (name, type_text)
            or (known.arguments and self.chance(50))  # the same field, other arguments
        ):
            key, known = self.fresh("a"), None
        if known is None:
            children = _Register() if is_composite_type(named) else None
            known = _Key(name, type_text, self.arguments(definition), children)
            register.keys[key] = known
        text = ("" if key == name else f"{key}: ") + name + known.arguments + self.directives()
        if known.children is not None:
            assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
            body = self.selection_set(named, depth=depth + 1, register=known.children, nesting=0)
            text += " " + body
        return text

    def directives(self) -> str:
        if not self.chance(25):
            return ""
        chosen = [d for d in ("include", "skip") if self.chance(50)] or ["include"]
        return "".join(f" @{d}(if: {self.condition()})" for d in chosen)

    def condition(self) -> str:
        if self.chance(40):
            return self.pick(["true", "false"])
        if self.conditions_used and self.chance(40):
            return "$" + self.pick(self.conditions_used)
        name = self.fresh("b")
        if self.chance(85):
            self.declare(name, "Boolean!", self.draw(st.booleans()))
        else:  # nullable with a default: the default, or the value sent (even null)
            default = self.pick(["true", "false"])
            sent = self.pick([OMITTED, True, False, None])
            self.declare(name, "Boolean", sent, default=default)
        self.conditions_used.append(name)
        return "$" + name

    # --- arguments and input values -----------------------------------------------------

    def arguments(self, definition: GraphQLField) -> str:
        parts = [
            f"{name}: {self.input_text(argument.type, 0)}"
            for name, argument in definition.args.items()
            if _required(argument) or self.chance(25)
        ]
        return f"({', '.join(parts)})" if parts else ""

    def input_text(self, type_: GraphQLInputType, depth: int) -> str:
        """A value of `type_` in the document: a literal, or a variable."""
        if self.chance(30 if depth == 0 else 8):
            return self.variable(type_, depth)
        if isinstance(type_, GraphQLNonNull):
            return self.literal(type_.of_type, depth)
        if self.chance(6):
            return "null"
        return self.literal(type_, depth)

    def literal(self, type_: Any, depth: int) -> str:
        if isinstance(type_, GraphQLList):
            if self.chance(10):  # a single literal where a list is expected
                item = type_.of_type
                return self.literal(getattr(item, "of_type", item), depth)
            count = self.draw(st.integers(0, 2))
            return (
                "[" + ", ".join(self.input_text(type_.of_type, depth) for _ in range(count)) + "]"
            )
        if isinstance(type_, GraphQLInputObjectType):
            parts = [
                f"{name}: {self.input_text(f.type, depth + 1)}"
                for name, f in type_.fields.items()
                if _required(f) or (depth < self.shape.max_input_depth and self.chance(30))
            ]
            return "{" + ", ".join(parts) + "}"
        return _print_value(self.value_of(type_, depth), type_)

    def variable(self, type_: GraphQLInputType, depth: int) -> str:
        type_text = str(type_)
        known = self.by_type.get(type_text)
        if known and self.chance(30):
            return "$" + self.pick(known)
        name = self.fresh("v")
        value = self.value(type_, depth)
        if not is_non_null_type(type_) and self.chance(25):
            if self.chance(50):  # a default, used when the value is not sent
                default = _print_value(self.value(type_, depth), type_)
                self.declare(name, type_text, OMITTED if self.chance(50) else value, default)
                return "$" + name
            value = OMITTED
        self.declare(name, type_text, value)
        return "$" + name

    def declare(self, name: str, type_text: str, value: Any, default: str | None = None) -> None:
        suffix = "" if default is None else f" = {default}"
        self.declarations.append(f"${name}: {type_text}{suffix}")
        self.by_type.setdefault(type_text, []).append(name)
        self.variables[name] = value

    def value(self, type_: Any, depth: int) -> Any:
        """A JSON value of `type_`, for a variable (or a default, printed)."""
        if isinstance(type_, GraphQLNonNull):
            return self.value_of(type_.of_type, depth)
        if self.chance(6):
            return None
        return self.value_of(type_, depth)

    def value_of(self, type_: Any, depth: int) -> Any:
        if isinstance(type_, GraphQLList):
            return [self.value(type_.of_type, depth) for _ in range(self.draw(st.integers(0, 2)))]
        if isinstance(type_, GraphQLInputObjectType):
            return {
                name: self.value(f.type, depth + 1)
                for name, f in type_.fields.items()
                if _required(f) or (depth < self.shape.max_input_depth and self.chance(30))
            }
        if isinstance(type_, GraphQLEnumType):
            return self.pick(list(type_.values))
        strategy = self.scalars.get(type_.name)
        if strategy is None:
            strategy = _FALLBACK.get(type_.name, st.text(max_size=8))
        return self.draw(strategy)


_FALLBACK: dict[str, st.SearchStrategy[Any]] = {
    "Int": st.integers(-3, 3),
    "Float": st.floats(-3, 3),
    "Boolean": st.booleans(),
}


def _required(argument: GraphQLArgument | Any) -> bool:
    return is_non_null_type(argument.type) and argument.default_value is Undefined


def _print_value(value: Any, type_: Any) -> str:
    """A JSON value of `type_` as a GraphQL literal."""
    if value is None:
        return "null"
    if isinstance(type_, GraphQLNonNull):
        return _print_value(value, type_.of_type)
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            return _print_value(value, type_.of_type)
        return "[" + ", ".join(_print_value(v, type_.of_type) for v in value) + "]"
    if isinstance(type_, GraphQLInputObjectType):
        fields = type_.fields
        return (
            "{"
            + ", ".join(f"{k}: {_print_value(v, fields[k].type)}" for k, v in value.items())
            + "}"
        )
    if isinstance(type_, GraphQLEnumType):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return print_ast(StringValueNode(value=str(value)))
