"""How big a request may be: tokens, depth and aliases, refused before anything runs.

The parser (`engine.parsing`) stops at the token, depth, directive and operation limits; the
rest is counted here on the parsed document.

- Characters: the length of the document, compared before anything reads it. Blanks are no
  tokens and a string or a comment is one, so only this bounds what they cost to read.

- Tokens: the parser counts them, comments included, and stops reading at the limit, so an
  oversized document never becomes a full AST.
- Depth: levels of fields. The parser stops at the first field past the limit within one
  definition; `check_shape` then follows fragment spreads, where the levels add up. Inline
  fragments and spreads are no level of their own. Introspection's fields count like any
  other, except `__Type.ofType`, which only unwraps a type reference (`[Product!]!` is three
  `ofType` deep): GraphiQL's introspection query nests it nine times.
- Aliases: the aliased fields an operation would execute, a fragment's counted each time it
  is spread.
- Directives: written in the whole document; the parser stops at the first past the limit
  (each unknown one would cost its own validation error).
- Operations: in the whole document, whichever one a request runs; the parser stops at the
  first past the limit (validation goes through each operation several times over).
- Selections: fields, fragment spreads and inline fragments of the whole document, in every
  operation and fragment definition, a fragment's counted each time it is spread. This
  bounds the document as validation and execution unfold it; `engine.widths` then bounds the
  fields selected on one object, where validation compares fields pairwise.

Every operation of a document is held to the limits, whichever one a request runs. The cost
estimate, which depends on variables, is in `engine.cost`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_composite_type,
)

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
TYPE_WRAPPER = ("__Type", "ofType")
"""The one field that adds no level: it unwraps a type reference in introspection."""


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_document_chars: int = 65_536
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_directives: int = 50
    max_operations: int = 50
    max_selections: int = 1000
    max_fields: int = 50
    max_errors: int = 20
    max_cost: int = 10_000
    default_page: int = 20
    max_page: int = 100


class TooComplex(GraphQLError):
    """A document or request over one of the limits."""


def size_error(length: int, limits: QueryLimits) -> TooComplex:
    return TooComplex(
        f"the document is {length} characters long; at most {limits.max_document_chars} are allowed"
    )


def cost_error(estimated: int, limits: QueryLimits, *, at_least: bool = False) -> TooComplex:
    least = "at least " if at_least else ""
    return TooComplex(
        f"the query could return {least}{estimated} objects by estimate (pages multiplied "
        f"along nested connections and lists); at most {limits.max_cost} are allowed"
    )


# Through fragments


@dataclass(frozen=True, slots=True)
class Shape:
    """Levels of fields, aliased fields and selections of one definition, its spreads
    included."""

    depth: int = 0
    aliases: int = 0
    selections: int = 0


def check_shape(
    document: DocumentNode, schema: GraphQLSchema, limits: QueryLimits
) -> list[GraphQLError]:
    """`TooComplex` errors for the operations of `document` over the depth or alias limit,
    and for the document over the selection limit.

    Works on documents not yet validated: unknown fields and fragments count what they can,
    cycles count once.
    """
    fragments = fragment_definitions(document)
    shapes: dict[str, Shape] = {}
    for name in fragments_bottom_up(fragments):
        fragment = fragments[name]
        parent = schema.get_type(fragment.type_condition.name.value)
        shapes[name] = _shape(fragment.selection_set, composite(parent), schema, shapes)
    errors: list[GraphQLError] = []
    # Validation goes through every definition, each with the fragments it spreads.
    selections = sum(shape.selections for shape in shapes.values())
    for operation in operations(document):
        root = schema.get_root_type(operation.operation)
        shape = _shape(operation.selection_set, root, schema, shapes)
        selections += shape.selections
        if shape.depth > limits.max_depth:
            errors.append(
                TooComplex(
                    f"the query nests fields {shape.depth} levels deep (through fragments); "
                    f"at most {limits.max_depth} are allowed",
                    operation,
                )
            )
        if shape.aliases > limits.max_aliases:
            errors.append(
                TooComplex(
                    f"the query uses {shape.aliases} aliases (a fragment's count each time it "
                    f"is spread); at most {limits.max_aliases} are allowed",
                    operation,
                )
            )
    if selections > limits.max_selections:
        errors.append(selections_error(selections, limits))
    return errors


def selections_error(selections: int, limits: QueryLimits, *, at_least: bool = False) -> TooComplex:
    least = "at least " if at_least else ""
    return TooComplex(
        f"the document makes {least}{selections} selections (fields and fragments in all its "
        f"operations and fragments, a fragment's counted each time it is spread); at most "
        f"{limits.max_selections} are allowed"
    )


def _shape(
    selection_set: SelectionSetNode,
    parent: GraphQLCompositeType | None,
    schema: GraphQLSchema,
    fragments: dict[str, Shape],
    level: int = 0,
) -> Shape:
    depth, aliases, selections = level, 0, len(selection_set.selections)
    for selection in selection_set.selections:
        inner: Shape
        if isinstance(selection, FieldNode):
            aliases += selection.alias is not None
            counts = parent is None or (parent.name, selection.name.value) != TYPE_WRAPPER
            field_level = level + counts
            depth = max(depth, field_level)
            if selection.selection_set is None:
                continue
            field = schema.get_field(parent, selection.name.value) if parent else None
            child = composite(get_named_type(field.type)) if field else None
            inner = _shape(selection.selection_set, child, schema, fragments, field_level)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            child = composite(schema.get_type(condition.name.value)) if condition else parent
            inner = _shape(selection.selection_set, child, schema, fragments, level)
        else:
            assert isinstance(selection, FragmentSpreadNode)
            spread = fragments.get(selection.name.value, Shape())
            inner = Shape(level + spread.depth, spread.aliases, spread.selections)
        depth = max(depth, inner.depth)
        aliases += inner.aliases
        selections += inner.selections
    return Shape(depth, aliases, selections)


def composite(type_: object) -> GraphQLCompositeType | None:
    return type_ if is_composite_type(type_) else None


def operations(document: DocumentNode) -> Iterator[OperationDefinitionNode]:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            yield definition


def fragment_definitions(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    """The fragments by name; of duplicates (invalid anyway), the first."""
    found: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            found.setdefault(definition.name.value, definition)
    return found


def fragments_bottom_up(fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """Fragment names, each after the fragments it spreads (a cycle is broken anywhere).

    Without recursion: a chain of spreads may be longer than the interpreter's stack.
    """
    spreads = {
        name: list(_spread_names(fragment.selection_set)) for name, fragment in fragments.items()
    }
    order: list[str] = []
    done: set[str] = set()
    for root in spreads:
        if root in done:
            continue
        path = [(root, iter(spreads[root]))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for spread in pending:
                if spread in spreads and spread not in done and spread not in on_path:
                    path.append((spread, iter(spreads[spread])))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
    return order


def _spread_names(selection_set: SelectionSetNode) -> Iterator[str]:
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif selection.selection_set is not None:  # type: ignore[attr-defined]
                stack.append(selection.selection_set)  # type: ignore[attr-defined]
