"""A document whose operations repeat one another, each repeat validated once.

Fifty operations that differ only in their names (`query Q7($id: ID!) { ...F }`) are each
validated in full, though what makes an operation valid is, but for its name, all written
in it: its type, variables, directives and selections, and the fragments these spread,
which are the document's. `without_twins` gives the document with each operation that
repeats an earlier one to the letter reduced to `{ __typename }`, under its own name and
type: the names still meet the document-wide rules (unique, no lone anonymous one), and
whatever makes the first invalid makes its twins invalid too, so when the reduced document
is valid so is the whole, provided it kept within its share of graphql-core's work
budgets per operation (each twin would spend them again: `validate_merged`'s
`budget_share`). When it is not, the whole is validated, for errors at every place.
Operations with directives anywhere in them never twin: labels of `@defer` and `@stream`
must differ across the document.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from graphql import DocumentNode, OperationDefinitionNode, parse

from engine.collapse import written

# Parsed, so that it has a text to be read by (`engine.collapse.written`).
_TYPENAME_ONLY = cast(OperationDefinitionNode, parse("{ __typename }").definitions[0]).selection_set


def without_twins(document: DocumentNode) -> DocumentNode | None:
    """`document` with its operations' repeats reduced; None when none repeats."""
    seen: set[tuple[object, ...]] = set()
    definitions = list(document.definitions)
    reduced = False
    for i, definition in enumerate(definitions):
        if not isinstance(definition, OperationDefinitionNode) or definition.directives:
            continue
        variables = tuple(written(variable) for variable in definition.variable_definitions or ())
        selections = written(definition.selection_set)
        if "@" in selections or any("@" in variable for variable in variables):
            continue
        body = (definition.operation, variables, selections)
        if body in seen:
            definitions[i] = replace(
                definition, variable_definitions=(), selection_set=_TYPENAME_ONLY
            )
            reduced = True
        else:
            seen.add(body)
    if not reduced:
        return None
    return DocumentNode(definitions=tuple(definitions), loc=document.loc)
