"""Compiled mutations: the root fields resolved one after another, exactly once each, and
each result completed by the plan before the next field runs (the specification's serial
execution).

A write must not run twice, so a run abandoned here is not executed again from the start:
graphql-core executes the operation with every root field that already ran answering with
what it gave the first time (`Replay`), its error included, and runs only the root fields
that had not run yet. Errors, partial data and paths are then graphql-core's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any

from graphql import GraphQLResolveInfo
from graphql.execution.values import VariableValues, get_argument_values

from engine.compiled.compile import Plan
from engine.compiled.run import _Run
from engine.compiled.tree import Abandon, Field
from engine.observe import Waiter, current, waited


@dataclass(frozen=True, slots=True)
class _Raised:
    error: Exception


@dataclass(slots=True)
class Replay:
    """What each root field that ran gave (by response key): graphql-core middleware that
    answers those fields with it instead of resolving them again."""

    resolved: dict[str, Any] = field(default_factory=dict)

    def resolve(
        self, next_: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], **args: Any
    ) -> Any:
        if info.path.prev is None and info.path.key in self.resolved:
            value = self.resolved[info.path.key]
            if isinstance(value, _Raised):
                raise value.error
            return value
        return next_(root, info, **args)


async def execute_mutation(
    plan: Plan, *, variables: VariableValues, context: Any, replay: Replay
) -> Any:
    """The `data` of a successful run; raises `Abandon` when graphql-core must answer (with
    `replay` holding what the root fields that ran gave)."""
    compiler, selection = plan
    if selection.plain:  # root fields are resolved, never read off a root value
        raise Abandon("a plain root field")
    run = _Run(compiler, variables, context)
    columns: list[Any] = [None] * len(selection.keys)
    for index in selection.typenames:
        columns[index] = selection.type_.name
    traced = (observation := current.get()) is not None and observation.traced
    for index, f in selection.called:
        try:
            resolving = _resolve(run, f)
            if traced:
                resolving = waited(Waiter(_name(f), f.key), resolving)
            value = await resolving
        except Exception as error:
            replay.resolved[f.key] = _Raised(error)
            raise Abandon(type(error).__name__) from error
        replay.resolved[f.key] = value
        try:
            (columns[index],) = await run.complete(f.completion, [value])
        except Abandon:
            raise
        except Exception as error:
            raise Abandon(type(error).__name__) from error
    made = selection.response([[value] for value in columns])
    return made[0] if made else {}  # no columns: every field skipped


def _name(f: Field) -> str:
    return f"{f.parent.name}.{f.nodes[0].node.name.value}"


async def _resolve(run: _Run, f: Field) -> Any:
    """The root field's value, through its resolver as graphql-core calls it (Strawberry's
    wrapper converts the arguments; `engine.observe` notes the outcome)."""
    assert f.definition is not None
    assert f.definition.resolve is not None
    arguments = (
        get_argument_values(f.definition, f.nodes[0].node, run.variables) if f.has_arguments else {}
    )
    value = f.definition.resolve(None, run.info(f), **arguments)
    return await value if isawaitable(value) else value
