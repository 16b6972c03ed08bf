"""Compiled reads: a query executed a selection at a time instead of a value at a time.

graphql-core completes every field of every object on its own — a coroutine, an `Info`, a
path and several checks per value — so a page of 50 orders with their lines and products
costs thousands of Python steps and most of a request's time. Here a validated query is
compiled once (per document, operation and the values of its Boolean variables, which are
all that `@skip`/`@include` can read) into a tree of selections, and executed level by level
over every object of a level together: plain attributes are read in one comprehension,
fields declared with `batched_field` are loaded for all their parents with one call, and
any other field calls its Strawberry resolver exactly as graphql-core would.

Only success is served from here. When anything else happens — a resolver raises, a
non-null field comes back null, a value's type cannot be told — the run is abandoned and
the query executed again by graphql-core, which builds the errors, partial data and paths
the specification asks for. Queries read and change nothing, and the second run reads
through the same loaders and `sql.read_once` as the first, so it costs the database nothing
more: a statement that failed fails again at once. Mutations, subscriptions and
introspection always go to graphql-core.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from inspect import isawaitable
from typing import Any, TypeVar

import strawberry
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLError,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import Path, is_awaitable
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import StrawberryArgument, convert_arguments
from strawberry.types.base import StrawberryMaybe, StrawberryOptional

from gql.context import Info
from gql.observe import current, waited
from gql.scalars import AS_IS, INT_RANGE
from resolvers.context import RequestContext
from sql.observe import Waiter

RowT = TypeVar("RowT")
ObjectT = TypeVar("ObjectT")
Batch = Callable[[RequestContext, list[Any]], Awaitable[list[Any]] | list[Any]]
_BATCH = "storefront.batch"
_DEFINITION = "strawberry-definition"


def batched_field(batch: Batch, *, returns: Any, description: str) -> Any:
    """A field resolved for many parents at once: `batch(ctx, parents)` returns (or
    returns an awaitable of) one value per parent, in order. graphql-core calls it with one
    parent at a time (its loaders still batch); compiled execution with every parent of a
    level."""

    async def resolve(self: Any, info: Info) -> Any:
        values = batch(info.context, [self])
        return (await values if isawaitable(values) else values)[0]

    resolve.__annotations__ = {"info": Info, "return": returns}
    resolve.__module__ = batch.__module__  # string annotations name types of that module
    return strawberry.field(resolver=resolve, description=description, metadata={_BATCH: batch})


def objects_of(rows: Sequence[RowT], from_row: Callable[[RowT], ObjectT]) -> list[ObjectT]:
    """The GraphQL object of each row, made once per distinct row: a page of order lines
    names the same few categories again and again."""
    made: dict[int, ObjectT] = {}
    out = []
    for row in rows:
        found = made.get(id(row))
        if found is None:
            found = made[id(row)] = from_row(row)
        out.append(found)
    return out


class Abandon(Exception):
    """This run cannot be served here; graphql-core executes the query instead."""


# --- the compiled tree ---------------------------------------------------------------------


@dataclass(slots=True)
class _Leaf:
    serialize: Callable[[Any], Any]
    same: type | None = None  # values of exactly this type serialize to themselves


@dataclass(slots=True)
class _NonNull:
    inner: _Completion


@dataclass(slots=True)
class _List:
    inner: _Completion


@dataclass(slots=True)
class _Object:
    """Objects of one type (`selection` set), or of the types an abstract type may hold
    (`abstract` set; a selection per runtime type, compiled when first met)."""

    compiler: _Compiler
    nodes: list[FieldDetails]
    selection: _Selection | None = None
    abstract: GraphQLAbstractType | None = None
    by_type: dict[str, _Selection] = field(default_factory=dict)

    def selection_for(self, type_: GraphQLObjectType) -> _Selection:
        found = self.by_type.get(type_.name)
        if found is None:
            found = self.by_type[type_.name] = self.compiler.subselection(type_, self.nodes)
        return found


_Completion = _Leaf | _NonNull | _List | _Object


@dataclass(slots=True)
class _Field:
    key: str
    parent: GraphQLObjectType
    definition: GraphQLField | None  # None for __typename
    nodes: list[FieldDetails]
    attribute: str | None  # a plain attribute of the source object
    batch: Batch | None
    completion: _Completion
    has_arguments: bool
    call: _Call | None = None  # the Strawberry resolver, called without its wrapper
    info_head: tuple[Any, ...] | None = None  # what `_Run.info` passes before the variables


_Call = Callable[
    [list[Any], GraphQLResolveInfo[Any], dict[str, Any], dict[Hashable, Any]], list[Any]
]


@dataclass(slots=True)
class _Selection:
    """The fields of one object type's selection, sorted at compile time by how they run:
    `__typename`s, plain attributes with leaf values (read and serialized in a
    comprehension each), and the rest (each a call per level). Indexes are response
    positions."""

    type_: GraphQLObjectType
    keys: tuple[str, ...]
    response: Callable[..., dict[str, Any]]  # the response object of one value per key
    typenames: list[int] = field(default_factory=list)
    plain: list[tuple[int, str, _Leaf, bool]] = field(default_factory=list)
    called: list[tuple[int, _Field]] = field(default_factory=list)

    @classmethod
    def of(cls, type_: GraphQLObjectType, fields: list[_Field]) -> _Selection:
        keys = tuple(f.key for f in fields)
        selection = cls(type_, keys, _response_maker(keys))
        for index, f in enumerate(fields):
            leaf = _leaf_of(f.completion)
            if f.definition is None:
                selection.typenames.append(index)
            elif f.attribute is not None and leaf is not None:
                selection.plain.append((index, f.attribute, leaf, leaf is not f.completion))
            else:
                selection.called.append((index, f))
        return selection


class _Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.variables = variables
        self.fragments = {
            d.name.value: FragmentDetails(d)
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }

    def root(self, type_: GraphQLObjectType) -> _Selection:
        collected = collect_fields(
            self.schema, self.fragments, self.variables, type_, self.operation
        )
        return self._selection(type_, collected.grouped_field_set, collected.new_defer_usages)

    def subselection(self, type_: GraphQLObjectType, nodes: list[FieldDetails]) -> _Selection:
        collected = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, type_, nodes
        )
        return self._selection(type_, collected.grouped_field_set, collected.new_defer_usages)

    def _selection(
        self, type_: GraphQLObjectType, grouped: dict[str, list[FieldDetails]], deferred: list[Any]
    ) -> _Selection:
        if deferred:
            raise Abandon("@defer is executed by graphql-core")
        return _Selection.of(
            type_, [self._field(type_, key, nodes) for key, nodes in grouped.items()]
        )

    def _field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldDetails]) -> _Field:
        name = nodes[0].node.name.value
        if name == "__typename":
            completion = _NonNull(_Leaf(str))
            return _Field(key, parent, None, nodes, None, None, completion, False)
        definition = parent.fields.get(name)
        strawberry_field = None if definition is None else definition.extensions.get(_DEFINITION)
        if definition is None or strawberry_field is None:  # introspection, or not ours
            raise Abandon(f"{parent.name}.{name} is executed by graphql-core")
        basic = strawberry_field.is_basic_field
        return _Field(
            key,
            parent,
            definition,
            nodes,
            strawberry_field.python_name if basic else None,
            strawberry_field.metadata.get(_BATCH),
            self._completion(definition.type, nodes),
            bool(definition.args),
            None if basic else self._direct_call(strawberry_field),
        )

    def _direct_call(self, field: Any) -> _Call | None:
        """What Strawberry's wrapper of a resolver does — convert the arguments, pass
        `self` and `info` — without the rest (extensions, exception handlers), for
        resolvers that need none of it; None sends the call through the wrapper."""
        resolver = field.base_resolver
        strawberry_schema = getattr(self.schema, "_strawberry_schema", None)
        if (
            resolver is None
            or field.extensions
            or strawberry_schema is None
            or resolver.parent_parameter is not None
            or resolver.root_parameter is not None
        ):
            return None
        registry = strawberry_schema.schema_converter.scalar_registry
        config = strawberry_schema.config
        takes_self = resolver.self_parameter is not None
        info_name = None if resolver.info_parameter is None else resolver.info_parameter.name

        converted: dict[Hashable, dict[str, Any]] = {}  # Strawberry's conversion is slow
        plain = _plain_arguments(field.arguments, registry, config)

        def convert(arguments: dict[str, Any], run: dict[Hashable, Any]) -> dict[str, Any]:
            if plain is not None:  # taken as they are
                return {python: arguments[name] for name, python in plain if name in arguments}
            # Every alias of the field that passes the same values in this run (one filter
            # variable in thirty aliases) is converted once, and found before its values
            # are walked again to look them up in the plan.
            same = (id(field), *((name, id(value)) for name, value in arguments.items()))
            found = run.get(same)
            if found is not None:
                return dict(found[1])
            key = _frozen(arguments)
            kwargs = None if key is None else converted.get(key)
            if kwargs is None:  # new, or too large to keep in the plan
                kwargs = convert_arguments(
                    arguments, field.arguments, scalar_registry=registry, config=config
                )
                if key is not None and len(converted) < MAX_CONVERTED:
                    converted[key] = kwargs
            run[same] = (arguments, kwargs)  # the values stay alive, so their ids stay theirs
            return dict(kwargs)  # a copy: `info` goes in below

        def call(
            sources: list[Any],
            info: GraphQLResolveInfo[Any],
            arguments: dict[str, Any],
            run: dict[Hashable, Any],
        ) -> list[Any]:
            """The resolver's value for each source, its arguments converted once."""
            kwargs = convert(arguments, run)
            if info_name is not None:
                kwargs[info_name] = config.info_class(_raw_info=info, _field=field)
            if takes_self:
                return [resolver(source, **kwargs) for source in sources]
            return [resolver(**kwargs) for _ in sources]

        return call

    def _completion(self, type_: GraphQLOutputType, nodes: list[FieldDetails]) -> _Completion:
        if is_non_null_type(type_):
            assert isinstance(type_, GraphQLNonNull)
            return _NonNull(self._completion(type_.of_type, nodes))
        if is_list_type(type_):
            assert isinstance(type_, GraphQLList)
            return _List(self._completion(type_.of_type, nodes))
        named = get_named_type(type_)
        if is_leaf_type(named):
            assert isinstance(named, GraphQLLeafType)
            return _Leaf(named.serialize, AS_IS.get(named.name))
        if is_abstract_type(named):
            assert isinstance(named, GraphQLAbstractType)
            return _Object(self, nodes, abstract=named)
        assert isinstance(named, GraphQLObjectType)
        return _Object(self, nodes, selection=self.subselection(named, nodes))


# --- execution -----------------------------------------------------------------------------


class _Run:
    """One execution: the request's context and variables."""

    def __init__(self, compiler: _Compiler, variables: VariableValues, context: Any) -> None:
        self.compiler = compiler
        self.variables = variables
        self.context = context
        self.converted: dict[Hashable, Any] = {}  # arguments converted in this run
        if (observation := current.get()) is not None and observation.traced:
            self.field = self._waiting_field  # type: ignore[method-assign]

    async def _waiting_field(self, f: _Field, sources: list[Any]) -> list[Any]:
        """`field` as a `Waiter` (traced requests): for all the parents of a level at once."""
        assert f.definition is not None
        name = f"{f.parent.name}.{f.nodes[0].node.name.value}"
        values: list[Any] = await waited(Waiter(name, f.key), _Run.field(self, f, sources))
        return values

    def info(self, f: _Field) -> GraphQLResolveInfo[Any]:
        """What graphql-core would pass; one for all the parents of a level (resolvers here
        read only `info.context`, and a failing one sends the query to graphql-core). All
        but the variables and the context is the same on every run of the plan."""
        head = f.info_head
        if head is None:
            assert f.definition is not None
            compiler = self.compiler
            head = f.info_head = (
                f.nodes[0].node.name.value,
                [d.node for d in f.nodes],
                f.definition.type,
                f.parent,
                Path(None, f.key, f.parent.name),
                compiler.schema,
                {name: details.definition for name, details in compiler.fragments.items()},
                None,
                compiler.operation,
            )
        # async helpers (the last two): never used by our resolvers
        return GraphQLResolveInfo(*head, self.variables, self.context, is_awaitable, None, None)  # type: ignore[call-arg]

    async def selection(self, selection: _Selection, sources: list[Any]) -> list[Any]:
        if not sources:
            return []
        keys = selection.keys
        if not keys:  # every field skipped: an empty object for each source
            return [{} for _ in sources]
        columns: list[list[Any]] = [[]] * len(keys)
        for index in selection.typenames:
            columns[index] = [selection.type_.name] * len(sources)
        for index, attribute, leaf, non_null in selection.plain:  # no coroutine for these
            columns[index] = _serialize(leaf, [getattr(s, attribute) for s in sources], non_null)
        called = selection.called
        if len(called) == 1:
            index, f = called[0]
            columns[index] = await self.field(f, sources)
        elif called:
            results = await asyncio.gather(
                *(self.field(f, sources) for _, f in called), return_exceptions=True
            )
            for (index, _), result in zip(called, results, strict=True):
                if isinstance(result, BaseException):
                    raise Abandon("a field failed") from result
                columns[index] = result
        # Every column holds one value per source.
        return list(map(selection.response, *columns))

    async def field(self, f: _Field, sources: list[Any]) -> list[Any]:
        assert f.definition is not None  # __typename is done in `selection`
        if f.attribute is not None:
            values = [getattr(s, f.attribute) for s in sources]
        elif f.batch is not None:
            batched = f.batch(self.context, sources)
            values = await batched if isawaitable(batched) else batched
        else:
            arguments = (
                get_argument_values(f.definition, f.nodes[0].node, self.variables)
                if f.has_arguments
                else {}
            )
            info = self.info(f)
            if f.call is not None:
                values = f.call(sources, info, arguments, self.converted)
            else:
                resolve = f.definition.resolve
                assert resolve is not None
                values = [resolve(s, info, **arguments) for s in sources]
            if len(values) == 1:  # a root field: no need to gather
                values = [await _awaited(values[0])]
            elif any(isawaitable(v) for v in values):
                values = await asyncio.gather(*(_awaited(v) for v in values))
        return await self.complete(f.completion, values)

    async def complete(self, completion: _Completion, values: list[Any]) -> list[Any]:
        if isinstance(completion, _Leaf):
            return _serialize(completion, values, False)
        if isinstance(completion, _NonNull):
            if any(v is None for v in values):
                raise Abandon("null in a non-null field")
            inner = completion.inner
            if isinstance(inner, _Leaf):
                return _serialize(inner, values, True)
            return await self.complete(inner, values)
        if isinstance(completion, _List):
            return await self._list(completion, values)
        return await self._objects(completion, values)

    async def _list(self, completion: _List, values: list[Any]) -> list[Any]:
        flat: list[Any] = []
        sizes: list[int] = []
        for value in values:
            if value is None:
                sizes.append(-1)
                continue
            if not isinstance(value, list | tuple):  # what our resolvers return
                raise Abandon("not a list")
            flat.extend(value)
            sizes.append(len(value))
        done = await self.complete(completion.inner, flat)
        out: list[Any] = []
        at = 0
        for size in sizes:
            if size < 0:
                out.append(None)
            else:
                out.append(done[at : at + size])
                at += size
        return out

    async def _objects(self, completion: _Object, values: list[Any]) -> list[Any]:
        present = [v for v in values if v is not None]
        if not present:
            return values
        if completion.selection is not None:
            done = await self.selection(completion.selection, present)
        else:
            done = await self._abstract(completion, present)
        if len(present) == len(values):
            return done
        completed = iter(done)
        return [None if v is None else next(completed) for v in values]

    async def _abstract(self, completion: _Object, values: list[Any]) -> list[Any]:
        assert completion.abstract is not None
        groups: dict[str, tuple[GraphQLObjectType, list[int]]] = {}
        for index, value in enumerate(values):
            type_ = self._runtime_type(completion.abstract, value)
            groups.setdefault(type_.name, (type_, []))[1].append(index)
        out: list[Any] = [None] * len(values)
        for type_, indexes in groups.values():
            selection = completion.selection_for(type_)
            done = await self.selection(selection, [values[i] for i in indexes])
            for index, result in zip(indexes, done, strict=True):
                out[index] = result
        return out

    def _runtime_type(self, abstract: GraphQLAbstractType, value: Any) -> GraphQLObjectType:
        definition = getattr(value, "__strawberry_definition__", None)
        type_ = None if definition is None else self.compiler.schema.get_type(definition.name)
        if not isinstance(type_, GraphQLObjectType) or not self.compiler.schema.is_sub_type(
            abstract, type_
        ):
            raise Abandon("cannot tell the runtime type")
        return type_


def _response_maker(keys: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
    """A function of one value per key that returns them as a dict literal would: four
    times faster than `dict(zip(keys, values))`, and a page of orders with their lines
    makes hundreds of objects. Written out and compiled once per selection, as
    `collections.namedtuple` writes its classes; the keys go in as `repr`s of strings
    (GraphQL names, checked by the parser), the parameters are numbered."""
    parameters = ", ".join(f"v{i}" for i in range(len(keys)))
    items = ", ".join(f"{key!r}: v{i}" for i, key in enumerate(keys))
    maker: Callable[..., dict[str, Any]] = eval(f"lambda {parameters}: {{{items}}}", {})  # noqa: S307
    return maker


def _plain_arguments(
    arguments: list[StrawberryArgument], registry: Any, config: Any
) -> list[tuple[str, str]] | None:
    """(GraphQL name, Python name) of each argument when all of them are scalars, which
    Strawberry passes on as graphql-core coerced them (a `GlobalID` it decodes, a `Maybe`
    it wraps: those are not plain); None when any needs converting."""
    names = []
    for argument in arguments:
        type_ = argument.type
        if isinstance(type_, StrawberryOptional) and not isinstance(type_, StrawberryMaybe):
            type_ = type_.of_type
        if type_ is GlobalID or not is_scalar(type_, registry):
            return None
        assert argument.python_name is not None
        names.append((config.name_converter.from_argument(argument), argument.python_name))
    return names


MAX_CONVERTED = 64
"""Argument sets whose converted values each resolver of a plan keeps (they are read,
never changed, by the resolvers)."""

MAX_KEPT_CHARS = 256
"""Characters of argument values a kept argument set may hold in all: plans live as long as
their document is cached, so arguments that are large (a long search, a filter of many
values) are converted on each run instead of being kept, and kept memory stays bounded."""


def _frozen(value: Any) -> Hashable | None:
    """A hashable twin of coerced argument values, when they are small enough to keep;
    None when there is none."""
    budget = [MAX_KEPT_CHARS]
    return _freeze(value, budget)


def _freeze(value: Any, budget: list[int]) -> Hashable | None:
    budget[0] -= 1 + (len(value) if isinstance(value, str) else 0)
    if budget[0] < 0:
        return None
    if isinstance(value, dict):
        items = []
        for name, item in value.items():
            frozen = _freeze(item, budget)
            if frozen is None and item is not None:
                return None
            items.append((name, type(item), frozen))
        return ("{", *items)
    if isinstance(value, list):
        parts = [_freeze(item, budget) for item in value]
        if any(p is None and i is not None for p, i in zip(parts, value, strict=True)):
            return None
        return ("[", *((type(i), p) for i, p in zip(value, parts, strict=True)))
    if isinstance(value, str | int | bool | Enum) or value is None:
        return (type(value), value)
    if isinstance(value, float | Decimal | datetime):  # equal values that print apart
        return (type(value), repr(value))
    return None


def _leaf_of(completion: _Completion) -> _Leaf | None:
    if isinstance(completion, _NonNull):
        completion = completion.inner
    return completion if isinstance(completion, _Leaf) else None


def _serialize(leaf: _Leaf, values: list[Any], non_null: bool) -> list[Any]:
    serialize, same = leaf.serialize, leaf.same
    if non_null:
        if same is None:
            out = [serialize(v) for v in values]  # a None raises, or comes back None
        else:
            out = [v if type(v) is same else serialize(v) for v in values]
        if None in out:
            raise Abandon("null in a non-null field")
    else:
        if same is None:
            out = [None if v is None else serialize(v) for v in values]
        else:
            out = [v if type(v) is same or v is None else serialize(v) for v in values]
        if out.count(None) != values.count(None):
            raise Abandon("a value did not serialize")
    if same is int and any(type(v) is int and v not in INT_RANGE for v in out):
        raise Abandon("an Int out of range")  # graphql-core's error, then
    return out


async def _awaited(value: Any) -> Any:
    return await value if isawaitable(value) else value


# --- the entry point -----------------------------------------------------------------------


Plan = tuple[_Compiler, _Selection]


@dataclass(slots=True)
class CompiledQueries:
    """Compiled plans for the queries of one document, by operation and Boolean variables
    (None: graphql-core runs it). Kept with the document in `gql.documents.DocumentCache`,
    so they are evicted with it."""

    plans: dict[tuple[Any, ...], Plan | None] = field(default_factory=dict)

    def plan(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
    ) -> Plan | None:
        """The plan for this run, or None when graphql-core must run the operation."""
        key = _plan_key(operation, variables)
        if key in self.plans:
            return self.plans[key]
        plan: Plan | None = None
        if operation.operation is OperationType.QUERY and schema.query_type is not None:
            compiler = _Compiler(schema, document, operation, variables)
            try:
                plan = (compiler, compiler.root(schema.query_type))
            except (Abandon, GraphQLError):  # e.g. `@include(if: $b)` with $b null
                plan = None
        self.plans[key] = plan
        return plan


def _plan_key(operation: OperationDefinitionNode, variables: VariableValues) -> tuple[Any, ...]:
    """What the plan depends on besides the document: the operation, and the value of each
    Boolean variable (the only kind `@skip` and `@include` accept)."""
    booleans = tuple(
        variables.coerced.get(d.variable.name.value)
        for d in operation.variable_definitions or ()
        if _is_boolean(d)
    )
    return (id(operation), booleans)


def _is_boolean(definition: Any) -> bool:
    type_node = definition.type
    while hasattr(type_node, "type"):  # unwrap non-null (lists cannot feed @skip)
        type_node = type_node.type
    return bool(type_node.name.value == GraphQLBoolean.name)


async def execute_compiled(plan: Plan, *, variables: VariableValues, context: Any) -> Any:
    """The `data` of a successful run; raises `Abandon` when graphql-core must answer."""
    compiler, selection = plan
    run = _Run(compiler, variables, context)
    try:
        (data,) = await run.selection(selection, [None])
    except Abandon:
        raise
    except Exception as error:
        raise Abandon(type(error).__name__) from error
    return data
