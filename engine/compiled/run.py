"""The runner: a compiled plan executed level by level over every object of a level."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from functools import partial
from inspect import isawaitable
from typing import Any

from graphql import GraphQLAbstractType, GraphQLObjectType, GraphQLResolveInfo
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import Path, is_awaitable
from orjson import Fragment

from engine.compiled.arguments import MAX_CONVERTED, frozen, variable_arguments, variables_key
from engine.compiled.compile import Compiler, Plan
from engine.compiled.leaves import serialize_leaves
from engine.compiled.pages import done_rendering, rendering_page
from engine.compiled.tree import (
    Abandon,
    Completion,
    Field,
    Leaf,
    ListOf,
    NonNull,
    Object,
    Selection,
)
from engine.observe import Waiter, current, waited

_resolve_info = partial(tuple.__new__, GraphQLResolveInfo)


class _Run:
    """One execution: the request's context and variables."""

    def __init__(self, compiler: Compiler, variables: VariableValues, context: Any) -> None:
        self.compiler = compiler
        self.variables = variables
        self.context = context
        self.converted: dict[Hashable, Any] = {}  # arguments converted in this run
        # Keys of variable values, made once a run for each set of names: thirty aliases
        # naming one large filter variable would otherwise walk its values thirty times.
        self.variable_keys: dict[tuple[str, ...], Hashable | None] = {}
        if (observation := current.get()) is not None and observation.traced:
            self.field = self._waiting_field  # type: ignore[method-assign]

    async def _waiting_field(self, f: Field, sources: list[Any]) -> list[Any]:
        """`field` as a `Waiter` (traced requests): for all the parents of a level at once."""
        name = f"{f.parent.name}.{f.nodes[0].node.name.value}"
        values: list[Any] = await waited(Waiter(name, f.key), _Run.field(self, f, sources))
        return values

    def info(self, f: Field) -> GraphQLResolveInfo[Any]:
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
        # async helpers (the last two): never used by our resolvers. Built from a tuple, as
        # the NamedTuple's own `__new__` (a Python call) would.
        fields = (*head, self.variables, self.context, is_awaitable, None, None)
        info: GraphQLResolveInfo[Any] = _resolve_info(fields)
        return info

    async def selection(self, selection: Selection, sources: list[Any]) -> list[Any]:
        if not sources:
            return []
        keys = selection.keys
        if not keys:  # every field skipped: an empty object for each source
            return [{} for _ in sources]
        columns: list[list[Any]] = [[]] * len(keys)
        for index in selection.typenames:
            columns[index] = [selection.type_.name] * len(sources)
        for index, attribute, leaf, non_null in selection.plain:  # no coroutine for these
            columns[index] = serialize_leaves(
                leaf, [getattr(s, attribute) for s in sources], non_null
            )
        if selection.from_rows:
            rows = [s.row for s in sources]
            for index, _, read, leaf, non_null in selection.from_rows:
                columns[index] = serialize_leaves(leaf, list(map(read, rows)), non_null)
        called = selection.called
        rendered = selection.rendered
        if len(called) == 1 and rendered is None:
            index, f = called[0]
            columns[index] = await self.field(f, sources)
        elif called or rendered is not None:
            running = [self.field(f, sources) for _, f in called]
            if rendered is not None:
                running.append(self._rendered(rendered[1], sources))
            results = await asyncio.gather(*running, return_exceptions=True)
            for (index, _), result in zip(called, results, strict=False):  # rendered last
                if isinstance(result, BaseException):
                    raise Abandon("a field failed") from result
                columns[index] = result
            if rendered is not None:
                texts = results[-1]
                if isinstance(texts, BaseException):
                    raise Abandon("a rendered relation failed") from texts
                for index, column in zip(rendered[0], texts, strict=True):
                    columns[index] = column
        # Every column holds one value per source.
        return selection.response(columns)

    async def _rendered(self, render: Any, sources: list[Any]) -> list[list[Any]]:
        """The level's rendered relations, a column of JSON fragments each; a text the
        database could not make (a null where none may be) leaves the run to graphql-core."""
        columns: list[list[Any]] = await render(self.context, sources)
        for texts in columns:
            if None in texts:
                raise Abandon("a rendered relation met a null")
        return [list(map(Fragment, texts)) for texts in columns]

    async def field(self, f: Field, sources: list[Any]) -> list[Any]:
        assert f.definition is not None  # __typename is done in `selection`
        if f.attribute is not None:
            values = [getattr(s, f.attribute) for s in sources]
        elif f.batch is not None:
            batched = f.batch(self.context, sources)
            values = await batched if isawaitable(batched) else batched
        else:
            variables: Hashable | None = ()
            arguments: dict[str, Any] = {}
            if f.has_arguments:
                pairs, coerced = f.by_variable, self.variables.coerced
                passed = None if pairs is None else variable_arguments(pairs, coerced)
                if passed is not None:  # as they are: no key of their values is needed
                    arguments, variables = passed, None
                else:
                    names = f.variables
                    if names in self.variable_keys:
                        variables = self.variable_keys[names]
                    else:
                        variables = variables_key(names, self.variables.coerced)
                        self.variable_keys[names] = variables
                    arguments = self.arguments(f, variables)
            info = self.info(f)
            # A page the database renders: told to the resolver while it runs (only here).
            page = None if f.page is None else rendering_page(f.page)
            try:
                if f.call is not None:
                    values = f.call(sources, info, arguments, self.converted, variables)
                else:
                    resolve = f.definition.resolve
                    assert resolve is not None
                    values = [resolve(s, info, **arguments) for s in sources]
                if len(values) == 1:  # a root field: no need to gather
                    (value,) = values
                    values = [await value if isawaitable(value) else value]
                elif any(isawaitable(v) for v in values):
                    values = await asyncio.gather(*(_awaited(v) for v in values))
            finally:
                if page is not None:
                    done_rendering(page)
        completion = f.completion
        if type(completion) is NonNull and type(completion.inner) is Leaf:  # `complete`'s
            return serialize_leaves(
                completion.inner, values, True
            )  # first steps, in this coroutine
        return await self.complete(completion, values)

    def arguments(self, f: Field, variables: Hashable | None) -> dict[str, Any]:
        """The field's arguments as graphql-core coerces them, kept in the plan by the
        values of the variables they name when both are small (`arguments.frozen`): the
        same literal filter is not coerced again on every run."""
        assert f.definition is not None
        found = None if variables is None else f.kept.get(variables)
        if found is None:
            found = get_argument_values(f.definition, f.nodes[0].node, self.variables)
            if variables is not None and len(f.kept) < MAX_CONVERTED and frozen(found) is not None:
                f.kept[variables] = found
        return found

    async def complete(self, completion: Completion, values: list[Any]) -> list[Any]:
        if isinstance(completion, Leaf):
            return serialize_leaves(completion, values, False)
        if isinstance(completion, NonNull):
            inner = completion.inner
            if isinstance(inner, Leaf):  # checks the serialized values for None
                return serialize_leaves(inner, values, True)
            if isinstance(inner, Object):
                return await self._objects(inner, values, non_null=True)
            if None in values:  # lists: compared with None in C
                raise Abandon("null in a non-null field")
            return await self.complete(inner, values)
        if isinstance(completion, ListOf):
            return await self._list(completion, values)
        return await self._objects(completion, values)

    async def _list(self, completion: ListOf, values: list[Any]) -> list[Any]:
        flat: list[Any] = []
        sizes: list[int] = []
        for value in values:
            if value is None:
                sizes.append(-1)
                continue
            if type(value) is Fragment:  # a list the database rendered (`pages`)
                sizes.append(-2)
                continue
            if not isinstance(value, list | tuple):  # what our resolvers return
                raise Abandon("not a list")
            flat.extend(value)
            sizes.append(len(value))
        done = await self.complete(completion.inner, flat)
        out: list[Any] = []
        at = 0
        for value, size in zip(values, sizes, strict=True):
            if size < 0:
                out.append(None if size == -1 else value)
            else:
                out.append(done[at : at + size])
                at += size
        return out

    async def _objects(
        self, completion: Object, values: list[Any], *, non_null: bool = False
    ) -> list[Any]:
        present = [v for v in values if v is not None]
        if non_null and len(present) != len(values):
            raise Abandon("null in a non-null field")
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

    async def _abstract(self, completion: Object, values: list[Any]) -> list[Any]:
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


async def _awaited(value: Any) -> Any:
    return await value if isawaitable(value) else value


async def execute_compiled(plan: Plan, *, variables: VariableValues, context: Any) -> Any:
    """The `data` of a successful run; raises `Abandon` when graphql-core must answer."""
    compiler, selection = plan
    run = _Run(compiler, variables, context)
    try:
        with compiler.narrowing():
            (data,) = await run.selection(selection, [None])
    except Abandon:
        raise
    except Exception as error:
        raise Abandon(type(error).__name__) from error
    return data
