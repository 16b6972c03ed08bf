"""The compiler: a validated query, by operation and Boolean variables, compiled once
into a tree of selections (`engine.compiled.tree`)."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from enum import EnumMeta
from typing import Any

from graphql import (
    BREAK,
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    visit,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues

from engine.collapse import written
from engine.compiled.arguments import by_variable, direct_call, variables_of
from engine.compiled.fields import BATCH, Narrowing, narrowing
from engine.compiled.pages import split_rendered_pages
from engine.compiled.rendering import settle, split_rendered
from engine.compiled.tree import (
    DEFINITION,
    Abandon,
    Completion,
    Field,
    Leaf,
    ListOf,
    NonNull,
    Object,
    Selection,
    reads_of,
)
from engine.scalars import AS_IS


class Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
    ) -> None:
        self.schema = schema
        self.narrowing: Narrowing = nullcontext
        self.operation = operation
        self.variables = variables
        self.fragments = {
            d.name.value: FragmentDetails(d)
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        # Work per distinct selection, not per occurrence: in one plan (one document, one
        # set of variables) selection sets written alike compile alike. Kept while the root
        # compiles only: selections hold the compiler, and a plan that held itself would be
        # garbage only the cyclic collector frees, its document with it.
        self._selections: dict[tuple[str, tuple[str, ...]], Selection] | None = None

    def root(self, type_: GraphQLObjectType) -> Selection:
        self._selections = {}
        try:
            collected = collect_fields(
                self.schema, self.fragments, self.variables, type_, self.operation
            )
            root = self._selection(type_, collected.grouped_field_set, collected.new_defer_usages)
        finally:
            self._selections = None
        settle(root)
        return root

    def subselection(self, type_: GraphQLObjectType, nodes: list[FieldDetails]) -> Selection:
        compiled = self._selections
        if compiled is not None:  # while the root compiles: sets written alike, once
            key = (type_.name, tuple(written(d.node.selection_set) for d in nodes))  # type: ignore[arg-type]
            found = compiled.get(key)
            if found is not None:
                return found
        collected = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, type_, nodes
        )
        found = self._selection(type_, collected.grouped_field_set, collected.new_defer_usages)
        if compiled is not None:
            compiled[key] = found
        return found

    def _selection(
        self, type_: GraphQLObjectType, grouped: dict[str, list[FieldDetails]], deferred: list[Any]
    ) -> Selection:
        if deferred:
            raise Abandon("@defer is executed by graphql-core")
        selection = Selection.of(
            type_, [self._field(type_, key, nodes) for key, nodes in grouped.items()]
        )
        # Queries only (a mutation's answer reads what its write primed the loaders with),
        # and while the root compiles: the plan is then settled as a whole.
        if self._selections is not None and self.operation.operation == OperationType.QUERY:
            split_rendered(selection)
            split_rendered_pages(selection)
        return selection

    def _field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldDetails]) -> Field:
        name = nodes[0].node.name.value
        if name == "__typename":
            completion = NonNull(Leaf(str))
            return Field(key, parent, None, nodes, None, None, completion, False)
        definition = parent.fields.get(name)
        strawberry_field = None if definition is None else definition.extensions.get(DEFINITION)
        if definition is None or strawberry_field is None:  # introspection, or not ours
            raise Abandon(f"{parent.name}.{name} is executed by graphql-core")
        basic = strawberry_field.is_basic_field
        call = None if basic else direct_call(self.schema, strawberry_field)
        # Arguments a resolver takes as they are (no conversion keyed by the values).
        passed = definition.args and (call is None or getattr(call, "plain", False))
        return Field(
            key,
            parent,
            definition,
            nodes,
            strawberry_field.python_name if basic else None,
            strawberry_field.metadata.get(BATCH),
            self._completion(definition.type, nodes),
            bool(definition.args),
            call,
            variables=variables_of(nodes[0].node),
            by_variable=by_variable(definition, nodes[0].node) if passed else None,
        )

    def _completion(self, type_: GraphQLOutputType, nodes: list[FieldDetails]) -> Completion:
        if is_non_null_type(type_):
            assert isinstance(type_, GraphQLNonNull)
            return NonNull(self._completion(type_.of_type, nodes))
        if is_list_type(type_):
            assert isinstance(type_, GraphQLList)
            return ListOf(self._completion(type_.of_type, nodes))
        named = get_named_type(type_)
        if is_leaf_type(named):
            assert isinstance(named, GraphQLLeafType)
            return _leaf(named)
        if is_abstract_type(named):
            assert isinstance(named, GraphQLAbstractType)
            return Object(self, nodes, abstract=named)
        assert isinstance(named, GraphQLObjectType)
        return Object(self, nodes, selection=self.subselection(named, nodes))


def _leaf(type_: GraphQLLeafType) -> Leaf:
    """The type's `serialize`; for an enum of Python members, also a table of what it
    gives for each member, read by the member's identity (Strawberry's compares the value
    with every member's, through Python properties, for each value)."""
    members = getattr(type_, "wrapped_cls", None)
    if not isinstance(type_, GraphQLEnumType) or not isinstance(members, EnumMeta):
        return Leaf(type_.serialize, AS_IS.get(type_.name))
    # Members live as long as their class, so no other object can take one's identity.
    everyone: list[Any] = list(members)
    return Leaf(type_.serialize, members={id(m): type_.serialize(m) for m in everyone})


Plan = tuple[Compiler, Selection]


@dataclass(slots=True)
class CompiledQueries:
    """Compiled plans for the queries and mutations of one document, by operation and
    Boolean variables
    (None: graphql-core runs it). Kept with the document in `engine.documents.DocumentCache`,
    so they are evicted with it."""

    plans: dict[tuple[Any, ...], Plan | None] = field(default_factory=dict)
    booleans: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """The Boolean variables of each operation (by identity, as `plans` keys it)."""

    def plan(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
    ) -> Plan | None:
        """The plan for this run, or None when graphql-core must run the operation."""
        booleans = self.booleans.get(id(operation))
        if booleans is None:
            booleans = self.booleans[id(operation)] = _booleans(operation)
        coerced = variables.coerced
        key = (id(operation), tuple(coerced.get(name) for name in booleans) if booleans else ())
        found = self.plans.get(key, self)
        if found is not self:
            return found  # type: ignore[return-value]
        plan: Plan | None = None
        roots = {
            OperationType.QUERY: schema.query_type,
            OperationType.MUTATION: schema.mutation_type,
        }
        root = roots.get(operation.operation)
        if root is not None and not (None in key[1] and _null_conditions(document, variables)):
            compiler = Compiler(schema, document, operation, variables)
            try:
                plan = (compiler, compiler.root(root))
            except (Abandon, GraphQLError):  # e.g. `@include(if: $b)` with $b null
                plan = None
            else:
                compiler.narrowing = narrowing(reads_of(plan[1]))
        self.plans[key] = plan
        return plan


def _booleans(operation: OperationDefinitionNode) -> tuple[str, ...]:
    """The operation's Boolean variables: with the operation, their values are what a plan
    depends on besides the document (`@skip` and `@include` accept no other kind)."""
    return tuple(
        d.variable.name.value for d in operation.variable_definitions or () if _is_boolean(d)
    )


def _null_conditions(document: DocumentNode, variables: VariableValues) -> bool:
    """Whether a `@skip`/`@include` reads a null variable (asked only when a Boolean one is
    null: no walk otherwise). graphql-core reports it where it meets the directive, after
    reads, so the errors depend on timing: such runs are left to graphql-core."""
    coerced = variables.coerced
    found = False

    class Conditions(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> Any:
            nonlocal found
            if node.name.value in ("skip", "include"):
                for argument in node.arguments or ():
                    value = argument.value
                    if isinstance(value, VariableNode) and coerced.get(value.name.value) is None:
                        found = True
                        return BREAK
            return None

    visit(document, Conditions())
    return found


def _is_boolean(definition: Any) -> bool:
    type_node = definition.type
    while hasattr(type_node, "type"):  # unwrap non-null (lists cannot feed @skip)
        type_node = type_node.type
    return bool(type_node.name.value == GraphQLBoolean.name)
