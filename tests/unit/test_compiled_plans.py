"""A compiled plan compiles each selection set written alike once, and holds no cycle: a
document dropped from the cache with its plan is freed at once, not by the collector."""

from __future__ import annotations

import gc

from graphql import OperationDefinitionNode

from engine.compiled.tree import Field, ListOf, NonNull, Object, Selection
from engine.documents import DocumentCache
from gql.schema import schema

SCHEMA = schema._schema
PAGES = (
    "{ "
    + " ".join(f"a{i}: products(first: 1) {{ nodes {{ name name id }} }}" for i in range(5))
    + " b: products(first: 1) { nodes { id } } }"
)


def _plan(cache: DocumentCache, text: str) -> object:
    prepared = cache.get(text, introspection=False)
    assert prepared.document is not None
    assert prepared.variables is not None
    assert prepared.compiled is not None
    operation = prepared.document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    variables = prepared.variables.coerce(operation, {}, max_errors=19, hide_suggestions=True)
    assert not isinstance(variables, list)
    return prepared.compiled.plan(SCHEMA, prepared.document, operation, variables)


def _selection(f: Field) -> Selection:
    completion = f.completion
    while isinstance(completion, NonNull | ListOf):
        completion = completion.inner
    assert isinstance(completion, Object)
    assert completion.selection is not None
    return completion.selection


def test_selections_written_alike_share_their_compiled_selection() -> None:
    plan = _plan(DocumentCache(SCHEMA), PAGES)
    assert isinstance(plan, tuple)
    root: Selection = plan[1]
    pages = [_selection(f) for _, f in root.called]
    assert len({id(page) for page in pages[:5]}) == 1
    assert pages[5] is not pages[0]
    nodes = [_selection(f) for _, f in pages[0].called]
    assert [n.keys for n in nodes] == [("name", "id")]


def test_a_dropped_document_and_its_plan_leave_no_cyclic_garbage() -> None:
    cache = DocumentCache(SCHEMA)
    gc.disable()
    try:
        assert _plan(cache, PAGES) is not None
        gc.collect()  # what validating made
        cache._entries.clear()
        assert gc.collect() == 0
    finally:
        gc.enable()
