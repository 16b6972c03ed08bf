"""graphql-core's rule that variables are used where their type is allowed, each distinct
check made once per document.

graphql-core checks each usage of each operation again: 50 operations spreading one fragment
of 8 lookups built the type `ID!` from its syntax and compared it 400 times. Here the type of
a variable definition is built once per text, the comparison made once per variable type,
default and place, and the usages in the fragments an operation spreads are checked again
only for other definitions of the variables they read. The errors, their order and text
are graphql-core's.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLError,
    GraphQLType,
    NullValueNode,
    OperationDefinitionNode,
    Undefined,
    VariableDefinitionNode,
    is_input_object_type,
    is_nullable_type,
    type_from_ast,
)
from graphql.validation import ValidationContext, VariablesInAllowedPositionRule
from graphql.validation.rules.variables_in_allowed_position import allowed_variable_usage
from graphql.validation.validation_context import VariableUsage

from engine.collapse import written


class VariablesInAllowedPositionOnce(VariablesInAllowedPositionRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.types: dict[str, GraphQLType | None] = {}  # by the definition's type as written
        self.allowed: dict[tuple[Any, ...], bool] = {}
        # By the fragments an operation spreads: their usages, the names these read, and
        # whether any is of a fragment's own variable (an experimental syntax).
        self.spreads: dict[tuple[int, ...], tuple[list[VariableUsage], list[str], bool]] = {}
        self.allowed_spreads: set[tuple[Any, ...]] = set()  # fragments and what they read

    def variable_type(self, definition: VariableDefinitionNode) -> GraphQLType | None:
        text = written(definition.type)
        if text not in self.types:
            self.types[text] = type_from_ast(self.context.schema, definition.type)
        return self.types[text]

    def leave_operation_definition(self, operation: OperationDefinitionNode, *_args: Any) -> None:
        # graphql-core's own method, its two steps looked up once made, and the usages of
        # the fragments an operation spreads checked once for the variables' definitions
        # they read: fifty operations spreading one fragment define its variables alike.
        context = self.context
        self.check(context.get_variable_usages(operation))
        fragments = context.get_recursively_referenced_fragments(operation)
        if not fragments:
            return
        spread = tuple(map(id, fragments))
        found = self.spreads.get(spread)
        if found is None:
            usages = [usage for f in fragments for usage in context.get_variable_usages(f)]
            names = sorted({usage.node.name.value for usage in usages})
            found = self.spreads[spread] = (usages, names, _with_fragment_arguments(usages))
        usages, names, own_definitions = found
        if own_definitions:
            self.check(usages)
            return
        definitions = self.var_def_map
        read = tuple(
            (name, written(found.type), found.default_value and written(found.default_value))
            if found
            else (name,)
            for name in names
            for found in (definitions.get(name),)
        )
        if (spread, read) not in self.allowed_spreads and self.check(usages):
            self.allowed_spreads.add((spread, read))

    def check(self, usages: list[VariableUsage]) -> bool:
        """Whether `usages` are all allowed where they are; each that is not reported."""
        var_def_map = self.var_def_map
        schema = self.context.schema
        allowed_all = True
        for usage in usages:
            node, type_, parent_type = usage.node, usage.type, usage.parent_type
            var_name = node.name.value
            var_def = usage.fragment_variable_definition or var_def_map.get(var_name)
            if not (var_def and type_):
                continue
            var_type = self.variable_type(var_def)
            if var_type:
                default = var_def.default_value
                key = (
                    written(var_def.type),
                    default is not None and not isinstance(default, NullValueNode),
                    id(type_),  # the schema's own type objects, alive as long as it
                    usage.default_value is not Undefined,
                )
                allowed = self.allowed.get(key)
                if allowed is None:
                    allowed = self.allowed[key] = allowed_variable_usage(
                        schema, var_type, default, type_, usage.default_value
                    )
                if not allowed:
                    allowed_all = False
                    self.report_error(
                        GraphQLError(
                            f"Variable '${var_name}' of type '{var_type}' used"
                            f" in position expecting type '{type_}'.",
                            [var_def, node],
                        )
                    )
            if (
                is_input_object_type(parent_type)
                and parent_type.is_one_of
                and is_nullable_type(var_type)
            ):
                allowed_all = False
                self.report_error(
                    GraphQLError(
                        f"Variable '${var_name}' is of type '{var_type}'"
                        " but must be non-nullable to be used for OneOf"
                        f" Input Object '{parent_type}'.",
                        [var_def, node],
                    )
                )
        return allowed_all


def _with_fragment_arguments(usages: list[VariableUsage]) -> bool:
    return any(usage.fragment_variable_definition for usage in usages)
