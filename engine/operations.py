"""Preparing and running one GraphQL operation, whatever carries it (HTTP, WebSocket).

`prepare` is every check that can be made before execution: the persisted-operation rules
(applied by the caller through `persisted.resolve`), the document cache with its limits,
introspection rules, the operation choice, variables and estimated cost. Both transports go
through it, so a document is held to the same rules however it arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from inspect import isawaitable
from time import perf_counter_ns
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    Executor,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
)
from graphql.execution.values import VariableValues

from engine import read_after as read_your_writes
from engine.compiled.compile import Plan
from engine.compiled.mutations import Replay, execute_mutation
from engine.compiled.run import execute_compiled
from engine.compiled.tree import Abandon
from engine.context import RequestScope
from engine.documents import DocumentCache, Prepared
from engine.errors import execution_error, handed_back, in_document_order
from engine.http_params import GraphQLParams, HttpError
from engine.limits import TOO_COMPLEX, QueryLimits, cost_error
from engine.observe import COMPILED, GRAPHQL_CORE, Observation, current, note_mutation_outcomes
from engine.persisted import PersistedOperations
from engine.settled_execution import TrackedExecutor, settled
from resolvers.viewer import Viewer

# Read from module globals on every request: an attribute of the Enum class costs about
# fifteen times as much to look up.
QUERY, MUTATION, SUBSCRIPTION = (
    OperationType.QUERY,
    OperationType.MUTATION,
    OperationType.SUBSCRIPTION,
)


@dataclass(slots=True)
class Runnable:
    """A request that passed every check: what to execute, and how. (Not frozen: a frozen
    dataclass sets each field through `object.__setattr__`, and one is made per request.)"""

    document: DocumentNode
    operation: OperationDefinitionNode
    variables: VariableValues
    cost: int
    plan: Plan | None  # a compiled plan, when the operation has one
    read_after: int = 0  # the X-Read-After position its reads must include


class NotExecutable(Exception):
    """The document, the operation choice or the variables stop a request before execution."""

    def __init__(
        self, errors: list[GraphQLError], *, code: str, extensions: dict[str, Any] | None = None
    ) -> None:
        super().__init__(errors[0].message if errors else code)
        self.errors = errors
        self.code = code
        self.extensions = extensions


class Operations:
    """`introspection` False closes introspection and field suggestions to all but staff;
    `limits` bound what one operation may ask (`engine.limits`). `compiled` serves queries
    and mutations through their compiled plans (`engine.compiled`); graphql-core runs the
    rest."""

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        persisted: PersistedOperations | None = None,
        limits: QueryLimits | None = None,
        introspection: bool = True,
        compiled: bool = True,
    ) -> None:
        self.schema = schema
        note_mutation_outcomes(schema)
        self.persisted = PersistedOperations() if persisted is None else persisted
        self.limits = limits or QueryLimits()
        self.documents = DocumentCache(schema, limits=self.limits)
        self.introspection = introspection
        self.compiled = compiled
        self.abandoned = 0  # compiled runs handed back to graphql-core, for tests and logs

    def _introspects(self, viewer: Viewer) -> bool:
        return self.introspection or viewer.is_staff

    def _cost(self, estimated: int) -> dict[str, Any]:
        return {"cost": {"estimated": estimated, "limit": self.limits.max_cost}}

    def _prepare(
        self,
        method: str,
        params: GraphQLParams,
        *,
        viewer: Viewer,
        streams: bool = False,
        read_after: str | None = None,
    ) -> Runnable:
        """The operation to run, its variables and estimated cost, once everything
        checkable up front passed. `streams`: the transport serves subscriptions;
        `read_after`: a read-your-writes token (`engine.read_after`) its reads must honour."""
        introspects = self._introspects(viewer)
        observation = current.get()
        prepared = self.documents.get(
            params.query, introspection=introspects, observation=observation
        )
        started = perf_counter_ns()
        if prepared.document is None:
            raise NotExecutable(prepared.errors, code=prepared.code or "GRAPHQL_PARSE_FAILED")
        if method == "GET":
            # The spec answers a mutation over GET with 405 whether or not the document is valid.
            _refuse_unsafe(prepared.document, params.operation_name)
        if prepared.errors:
            code = prepared.code or "GRAPHQL_VALIDATION_FAILED"
            least = prepared.least_cost if code == TOO_COMPLEX else None
            cost = None if least is None else self._cost(least)
            raise NotExecutable(prepared.errors, code=code, extensions=cost)
        operation = _select_operation(prepared, params.operation_name, streams=streams)
        assert prepared.variables is not None
        coerced = prepared.variables.coerce(
            operation,
            params.variables or {},
            max_errors=self.limits.max_errors - 1,  # graphql-core adds one that says it stopped
            hide_suggestions=not introspects,
        )
        if isinstance(coerced, list):
            raise NotExecutable(coerced, code="BAD_USER_INPUT")
        after = 0
        if read_after is not None:
            try:
                after = read_your_writes.decode(read_after)
            except read_your_writes.MalformedToken as bad:
                raise NotExecutable([GraphQLError(str(bad))], code="BAD_USER_INPUT") from None
        if observation is not None:  # the variables are validated with the document
            started = observation.phase("validate", started)
        assert prepared.plan is not None
        name = operation.name.value if operation.name else None
        estimated = prepared.plan.estimate(name, variables=coerced.coerced, limits=self.limits)
        if estimated > self.limits.max_cost:
            raise NotExecutable(
                [cost_error(estimated, self.limits)],
                code=TOO_COMPLEX,
                extensions=self._cost(estimated),
            )
        plan = None
        if self.compiled and prepared.compiled is not None:
            plan = prepared.compiled.plan(self.schema, prepared.document, operation, coerced)
        if observation is not None:
            observation.phase("cost", started)
        return Runnable(prepared.document, operation, coerced, estimated, plan, after)

    async def _run(
        self,
        runnable: Runnable,
        params: GraphQLParams,
        context: Callable[[], RequestScope],
        *,
        viewer: Viewer,
        root: Any = None,
        observation: Observation | None = None,
        middleware: list[Any] | None = None,
    ) -> dict[str, Any]:
        """`data` and `errors` of one execution (the compiled plan first, when the
        operation has one); the caller holds the admission slot."""
        started = 0 if observation is None else perf_counter_ns()
        ctx = context()
        if runnable.plan is not None and runnable.operation.operation is MUTATION:
            replay = Replay()
            try:
                data = await execute_mutation(
                    runnable.plan, variables=runnable.variables, context=ctx, replay=replay
                )
                if observation is not None:
                    observation.engine = COMPILED
                    observation.phase("execute", started)
                return _answer(ctx, {"data": data})
            except Abandon as abandoned:
                self.abandoned += 1
                handed_back(abandoned, request_id=ctx.request_id)
                middleware = [replay, *(middleware or ())]  # what already ran is not run again
        elif runnable.plan is not None:
            # graphql-core may run the query again: it reads what this run read (rows, and
            # errors such as a timeout) without asking the database twice.
            ctx.read_once()
            try:
                data = await execute_compiled(
                    runnable.plan, variables=runnable.variables, context=ctx
                )
                if observation is not None:
                    observation.engine = COMPILED
                    observation.phase("execute", started)
                return {"data": data}
            except Abandon as abandoned:
                self.abandoned += 1
                handed_back(abandoned, request_id=ctx.request_id)
        made: list[Executor[Any]] = []
        result = execute(
            self.schema,
            runnable.document,
            root_value=root,
            context_value=ctx,
            variable_values=params.variables,
            operation_name=params.operation_name,
            max_coercion_errors=self.limits.max_errors - 1,
            hide_suggestions=not self._introspects(viewer),
            middleware=middleware,
            executor_class=TrackedExecutor,
            made=made,
        )
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        await settled(made)
        if observation is not None:
            observation.engine = GRAPHQL_CORE
            observation.phase("execute", started)
        body: dict[str, Any] = {}
        if result.errors:
            errors = in_document_order(result.errors)
            body["errors"] = [execution_error(e, request_id=ctx.request_id) for e in errors]
        body["data"] = result.data
        return _answer(ctx, body)


def _answer(ctx: RequestScope, body: dict[str, Any]) -> dict[str, Any]:
    if ctx.written.lsn:  # a mutation wrote: where a later read must catch up to
        body["extensions"] = {"readAfter": read_your_writes.encode(ctx.written.lsn)}
    return body


def _refuse_unsafe(document: DocumentNode, operation_name: str | None) -> None:
    operation = get_operation_ast(document, operation_name)
    if operation is not None and operation.operation is not QUERY:
        raise HttpError(
            405,
            f"{operation.operation.value}s are sent with POST; GET runs queries only",
            headers={"Allow": "POST"},
        )


def _select_operation(
    prepared: Prepared, name: str | None, *, streams: bool
) -> OperationDefinitionNode:
    """The operation `name` chooses, kept with the document once found (a name that
    chooses none is refused each time: what clients send cannot grow the document)."""
    operation = prepared.operations.get(name)
    if operation is None:
        assert prepared.document is not None
        operation = get_operation_ast(prepared.document, name)
        if operation is None:
            message = (
                f"no operation named {name!r} in the document"
                if name
                else "the document has several operations: name one with operationName"
            )
            raise NotExecutable([GraphQLError(message)], code="BAD_USER_INPUT")
        prepared.operations[name] = operation
    if operation.operation is SUBSCRIPTION and not streams:
        # A subscription is a stream; executing it here would answer with one event at most.
        raise NotExecutable(
            [
                GraphQLError(
                    "a subscription is a stream: ask for one with Accept: text/event-stream "
                    "(GraphQL over SSE), Accept: multipart/mixed;subscriptionSpec=1.0 "
                    "(multipart), or use a WebSocket (graphql-transport-ws) on this path"
                )
            ],
            code="BAD_REQUEST",
        )
    return operation
