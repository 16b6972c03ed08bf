"""The variables an operation or fragment uses, each with the input type, parent input type
and default value of its place: graphql-core's `ValidationContext.get_variable_usages`,
found without its second walk of the definition through a visitor and `TypeInfo`.

graphql-core walks each definition again, node by node, through two visitors to find its
variables: a variable in thirty fields of a fragment cost that walk a quarter of validation.
Here the definition's selections are followed directly, only the values of arguments read
node by node. Definitions with fragment arguments (an experimental syntax) are left to
graphql-core.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    Undefined,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_input_object_type,
    is_input_type,
    is_list_type,
    is_output_type,
    type_from_ast,
)
from graphql.validation.validation_context import VariableUsage

Definition = OperationDefinitionNode | FragmentDefinitionNode


def variable_usages(schema: GraphQLSchema, definition: Definition) -> list[VariableUsage] | None:
    """What graphql-core's `get_variable_usages(definition)` gives, in its order; None when
    graphql-core must find them (fragment arguments, or nesting past the recursion limit)."""
    if isinstance(definition, FragmentDefinitionNode):
        if definition.variable_definitions:
            return None
        condition = type_from_ast(schema, definition.type_condition)
        type_ = condition if is_output_type(condition) else None
    else:
        root = schema.get_root_type(definition.operation)
        type_ = root
    walk = _Walk(schema)
    try:
        walk.directives(definition.directives, None)
        walk.selections(definition.selection_set, type_, None)
    except (RecursionError, _Unhandled):
        return None
    return walk.usages


class _Unhandled(Exception):
    pass


class _Walk:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.usages: list[VariableUsage] = []

    def selections(self, selection_set: Any, type_: Any, field_def: Any) -> None:
        if selection_set is None:
            return
        named = get_named_type(type_)
        parent = named if is_composite_type(named) else None
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = self.schema.get_field(parent, selection.name.value) if parent else None
                self.arguments(selection.arguments, inner)
                self.directives(selection.directives, inner)
                inner_type = inner.type if inner else None
                self.selections(
                    selection.selection_set,
                    inner_type if is_output_type(inner_type) else None,
                    inner,
                )
            elif isinstance(selection, FragmentSpreadNode):
                if getattr(selection, "arguments", None):
                    raise _Unhandled
                self.directives(selection.directives, field_def)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                found = type_from_ast(self.schema, condition) if condition else named
                self.directives(selection.directives, field_def)
                self.selections(
                    selection.selection_set, found if is_output_type(found) else None, field_def
                )

    def directives(self, directives: Any, field_def: Any) -> None:
        for directive in directives or ():
            assert isinstance(directive, DirectiveNode)
            # graphql-core reads an unknown directive's arguments as its field's.
            self.arguments(
                directive.arguments, self.schema.get_directive(directive.name.value) or field_def
            )

    def arguments(self, arguments: Any, owner: Any) -> None:
        for argument in arguments or ():
            assert isinstance(argument, ArgumentNode)
            definition = owner.args.get(argument.name.value) if owner else None
            if definition is None:
                self.value(argument.value, [None], Undefined)
                continue
            default = (
                definition.default if definition.default is not None else definition.default_value
            )
            arg_type = definition.type
            self.value(argument.value, [arg_type if is_input_type(arg_type) else None], default)

    def value(self, value: ValueNode, types: list[Any], default: Any) -> None:
        """`types` is the input type stack down to `value`'s place, its own last."""
        if isinstance(value, VariableNode):
            parent = types[-2] if len(types) > 1 else None
            self.usages.append(VariableUsage(value, types[-1], parent, default, None))
        elif isinstance(value, ListValueNode):
            input_type = types[-1]
            list_type = input_type and get_nullable_type(input_type)
            item = list_type.of_type if list_type and is_list_type(list_type) else None
            for element in value.values:
                self.value(element, [*types, item], Undefined)
        elif isinstance(value, ObjectValueNode):
            object_type = get_named_type(types[-1])
            for field in value.fields:
                input_field = (
                    object_type.fields.get(field.name.value)
                    if is_input_object_type(object_type)
                    else None
                )
                field_type = input_field.type if input_field else None
                field_default = (
                    (
                        input_field.default
                        if input_field.default is not None
                        else input_field.default_value
                    )
                    if input_field
                    else Undefined
                )
                self.value(
                    field.value,
                    [*types, field_type if is_input_type(field_type) else None],
                    field_default,
                )
