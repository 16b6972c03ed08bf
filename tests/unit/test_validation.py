"""Merged validation finds what graphql-core's finds, wherever variables are used or not."""

from __future__ import annotations

import pytest
from graphql import (
    BREAK,
    SKIP,
    ArgumentNode,
    FieldNode,
    GraphQLError,
    Node,
    ParallelVisitor,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    parse,
    validate,
    visit,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule, specified_rules

from engine.collapse import written
from engine.documents import CLOSED_RULES, OPEN_RULES, DocumentCache
from engine.operation_twins import without_twins
from engine.validation import validate_merged
from engine.validation_walk import RulesByKind, TypedRules
from gql.schema import schema

SCHEMA = schema._schema

VARIABLES = [
    "query Q($a: Int) { product(id: $b) { name } }",
    "query Q($a: Boolean!) @skip(if: $a) { __typename }",
    "query Q($a: ID!) { ...F } fragment F on Query { product(id: $a) { name } }",
    'query Q($a: ID!) { ...F } fragment F on Query { product(id: "$a") { name } }',
    "query Q($a: ID!) {\n  # $a\n  __typename\n}",
    "query Q($a: Int) { ...F } query R { ...F } fragment F on Query { product(id: $a) { name } }",
    "query Q($a: ID!) { ...F ...G } fragment F on Query { __typename } "
    "fragment G on Query { product(id: $a) { name } }",
    "query Q($a: Boolean!) { ...F @include(if: $a) } fragment F on Query { __typename }",
    "query Q($a: Boolean!, $b: Boolean!) { __typename ...F @include(if: $a) } "
    "fragment F on Query @skip(if: $b) { __typename }",
]


def _by_message(errors: list[GraphQLError]) -> dict[str, set[tuple[int, int]]]:
    found: dict[str, set[tuple[int, int]]] = {}
    for error in errors:
        places = found.setdefault(error.message, set())
        places.update((loc.line, loc.column) for loc in error.locations or [])
    return found


@pytest.mark.parametrize("text", VARIABLES)
def test_variables_found_as_graphql_core_finds_them(text: str) -> None:
    document = parse(text)
    merged = validate_merged(SCHEMA, document, CLOSED_RULES, max_errors=20, hide_suggestions=True)
    plain = validate(SCHEMA, document, CLOSED_RULES, hide_suggestions=True)
    assert _by_message(merged) == _by_message(plain)


CONFLICTS = [
    "{ " + " ".join(f'product(id: "{i}") {{ name }}' for i in range(50)) + " }",
    "{ a: product(id: 1) { name } a: products { totalCount } a: __typename }",
    "{ ...F ...G product(id: 1) { name } } fragment F on Query { product(id: 2) { name } } "
    "fragment G on Query { product(id: 3) { id: name } }",
    "{ product(id: 1) { ... on Product { x: name } x: sku } }",
    "{ products { nodes { name: sku } } products { nodes { name } } }",
]


@pytest.mark.parametrize("text", CONFLICTS)
def test_overlap_conflicts_are_graphql_cores(text: str) -> None:
    """The overlap rule that reports its conflicts as found reports graphql-core's, in
    its order; merged and bounded, what graphql-core's rule gives merged and bounded."""
    document = parse(text)
    ours = validate(SCHEMA, document, CLOSED_RULES)
    theirs = validate(SCHEMA, document, (*specified_rules, NoSchemaIntrospectionCustomRule))
    assert ours
    assert [e.formatted for e in ours] == [e.formatted for e in theirs]
    bounded = [
        validate_merged(SCHEMA, document, rules, max_errors=2, hide_suggestions=True)
        for rules in (CLOSED_RULES, (*specified_rules, NoSchemaIntrospectionCustomRule))
    ]
    assert [e.formatted for e in bounded[0]] == [e.formatted for e in bounded[1]]


POSITIONS = [
    "query Q($a: Int) { product(id: $a) { name } }",
    "query Q($a: ID, $b: ID = null, $c: ID = 1) { a: product(id: $a) { name } "
    "b: product(id: $b) { name } c: product(id: $c) { name } d: product(id: $a) { name } }",
    "query Q($f: [ProductFilter!]) { products(filter: { or: $f }) { totalCount } } "
    "query R($f: ProductFilter!) { products(filter: { or: [$f, $f] }) { totalCount } }",
    " ".join(f"query Q{i}($id: ID) {{ ...F }}" for i in range(5))
    + " fragment F on Query { a: product(id: $id) { name } b: product(id: $id) { name } }",
    # Operations spreading one fragment: its usages are checked for each operation's own
    # definitions of the variables they read (type, and a default or a null one).
    "query A($id: ID!) { ...F } query B($id: Int) { ...F } query C { ...F } "
    "query D($id: ID!) { ...F } query E($id: ID = null) { ...F } "
    'query G($id: ID = "1") { ...F } query H($id: ID = null) { ...F } '
    "fragment F on Query { product(id: $id) { name } }",
    "query A($id: ID!) { ...F ...G } query B($id: ID!) { ...G ...F } "
    "query C($id: ID) { ...G } fragment F on Query { __typename } "
    "fragment G on Query { product(id: $id) { name } }",
]


@pytest.mark.parametrize("text", POSITIONS)
def test_variable_positions_are_graphql_cores(text: str) -> None:
    document = parse(text)
    ours = validate(SCHEMA, document, CLOSED_RULES)
    theirs = validate(SCHEMA, document, (*specified_rules, NoSchemaIntrospectionCustomRule))
    assert [e.formatted for e in ours] == [e.formatted for e in theirs]


WALKED = [
    # A mistake in a fragment that two operations spread: reported once, at its place.
    "query A($v: ID!) { ...F } query B($v: ID!) { ...F } "
    "fragment F on Query { product(id: $v) { nope } }",
    # A variable unused in one operation only, and one undefined in one only.
    "query A($v: ID!, $w: ID) { ...F } query B($v: ID!, $w: ID) { ...F b: product(id: $w) "
    "{ name } } query C { ...F } fragment F on Query { product(id: $v) { name } }",
    # Repeated directives at every place that holds them, and on a type definition.
    "query Q($a: Boolean! @skip(if: true) @skip(if: true)) @skip(if: $a) @skip(if: $a) "
    "{ __typename @include(if: $a) @include(if: $a) ...F @skip(if: $a) @skip(if: $a) "
    "... on Query @skip(if: $a) @skip(if: $a) { __typename } } "
    "fragment F on Query @include(if: true) @include(if: true) { __typename } "
    "type T @key @key { a: Int }",
    # Unknown names of every kind, read by the rules through their parents.
    "query Q($a: Nope, $b: [Int!]!) { product(id: $a, bogus: 1) { name(x: 1) @nope } "
    "...Missing ... on Nope { a } products(filter: { nope: $b, nope: 1 }) { totalCount } }",
    "query A { __typename } query A { __typename } { __typename } "
    "fragment F on Query { __typename } fragment F on Query { ...F }",
    "{ __schema { types { name fields { name } } } __type(name: 1) { name } }",
    "subscription S { a: __typename b: __typename }",
]


@pytest.mark.parametrize("text", WALKED)
@pytest.mark.parametrize("rules", [CLOSED_RULES, OPEN_RULES], ids=["closed", "open"])
def test_the_lean_walk_finds_graphql_cores_errors(
    text: str, rules: tuple[type[ASTValidationRule], ...]
) -> None:
    """Walked without names and variables, each kind dispatched to its rules only: the
    errors of graphql-core's own walk of graphql-core's own rules, merged."""
    document = parse(text)
    core_rules = (*specified_rules, rules[-1])
    plain = validate(SCHEMA, document, core_rules, max_errors=1000)
    assert plain
    merged = validate_merged(SCHEMA, document, rules, max_errors=1000, hide_suggestions=False)
    assert _by_message(merged) == _by_message(plain)
    ours = validate(SCHEMA, document, rules, max_errors=1000)
    assert [e.formatted for e in ours] == [e.formatted for e in plain]


class _Events(Visitor):
    def __init__(self, log: list[str], name: str, skip: str, stop: str) -> None:
        super().__init__()
        self.log, self.name, self.skip, self.stop = log, name, skip, stop

    def enter(self, node: Node, *_args: object) -> object:
        self.log.append(f"{self.name} enter {node.kind}")
        if node.kind == self.skip:
            return SKIP
        return BREAK if node.kind == self.stop else None

    def leave_field(self, node: Node, *_args: object) -> None:
        self.log.append(f"{self.name} leave {node.kind}")


class _Fields(Visitor):
    """Acts on fields only, skipping below `a`."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def enter_field(self, node: FieldNode, *_args: object) -> object:
        self.log.append(f"fields enter {node.name.value}")
        return SKIP if node.name.value == "a" else None

    def leave_field(self, node: FieldNode, *_args: object) -> None:
        self.log.append(f"fields leave {node.name.value}")


def test_rules_by_kind_skip_and_stop_as_the_parallel_visitor_does() -> None:
    document = parse("{ a { b { c } } d @skip(if: true) { e } ...F } fragment F on Q { f }")
    logs: list[list[str]] = []
    for parallel in (ParallelVisitor, RulesByKind):
        log: list[str] = []
        visitors = [
            _Events(log, "skips", "selection_set", "fragment_definition"),
            _Fields(log),
            _Events(log, "stops", "", "directive"),
        ]
        visit(document, parallel(visitors))
        logs.append(log)
    assert "skips enter field" not in logs[0]
    assert "fields enter b" not in logs[0]
    assert "fields leave a" not in logs[0]
    assert "fields leave d" in logs[0]
    assert any(line.startswith("stops enter directive") for line in logs[0])
    assert logs[1] == logs[0]


class _Types(Visitor):
    """Notes the types `TypeInfo` gives at each field and argument; skips below `skip`."""

    def __init__(self, log: list[str], type_info: TypeInfo) -> None:
        super().__init__()
        self.log, self.type_info = log, type_info

    def enter_field(self, node: FieldNode, *_args: object) -> object:
        info = self.type_info
        self.log.append(f"{node.name.value}: {info.get_parent_type()} {info.get_type()}")
        return SKIP if node.alias and node.alias.value == "skip" else None

    def leave_argument(self, node: ArgumentNode, *_args: object) -> None:
        self.log.append(f"{node.name.value}: {self.type_info.get_input_type()}")


def test_typed_rules_see_the_types_graphql_cores_type_info_visitor_gives() -> None:
    document = parse(
        "query($f: ProductFilter) { skip: products(filter: $f) { totalCount } "
        'product(id: "1") { name category { name } } ...F } '
        "fragment F on Query { products(first: 2, filter: $f) { nodes { sku } } }"
    )
    logs: list[list[str]] = []
    for wrap in (
        lambda info, visitor: TypeInfoVisitor(info, ParallelVisitor([visitor])),
        lambda info, visitor: TypedRules(info, RulesByKind([visitor])),
    ):
        log: list[str] = []
        type_info = TypeInfo(SCHEMA)
        visit(document, wrap(type_info, _Types(log, type_info)))
        logs.append(log)
    assert "totalCount: ProductConnection Int!" not in logs[0]
    assert "first: Int" in logs[0]
    assert logs[1] == logs[0]


TWINS = [
    # Each twin of an invalid operation is reported, at its own place.
    "query A($v: ID!) { product(id: $v) { nope } } query B($v: ID!) { product(id: $v) "
    "{ nope } } query C($v: ID!) { product(id: $v) { nope } }",
    # Twins that are valid but for their names.
    "query A { __typename } query A { __typename } query B { __typename }",
    "{ __typename } query A { __typename }",
    # Labels must differ across the document: operations with directives never twin.
    'query A { ...F @defer(label: "x") } query B { ...F @defer(label: "x") } '
    "fragment F on Query { __typename }",
    "query A($v: Int) { __typename } query B($v: Int) { __typename }",
    "subscription A { __typename } subscription B { __typename }",
    # Each twin spends graphql-core's fragment work again: together they exhaust it.
    " ".join(f"query Q{i}($a: ID!) {{ ...F }}" for i in range(50))
    + " fragment F on Query { nodes(ids: ["
    + ", ".join(["$a"] * 1200)
    + "]) { __typename } }",
]


@pytest.mark.parametrize("text", TWINS)
def test_twin_operations_are_refused_as_graphql_core_refuses_them(text: str) -> None:
    plain = validate(SCHEMA, parse(text), CLOSED_RULES, max_errors=1000, hide_suggestions=True)
    assert plain
    prepared = DocumentCache(SCHEMA).get(text, introspection=False)
    assert _by_message(prepared.errors) == _by_message(plain)


def test_twin_operations_are_validated_once_when_valid() -> None:
    fragment = "fragment F on Query { a: product(id: $id) { name } b: product(id: $id) { name } }"
    twins = " ".join(f"query Q{i}($id: ID!) {{ ...F }}" for i in range(5))
    reduced = without_twins(parse(f"{twins} {fragment}"))
    assert reduced is not None
    kept = [written(d.selection_set) for d in reduced.definitions]  # type: ignore[attr-defined]
    assert kept == ["{ ...F }", *["{ __typename }"] * 4, fragment[fragment.index("{") :]]
    assert DocumentCache(SCHEMA).get(f"{twins} {fragment}").errors == []
    assert without_twins(parse("query A { a: __typename } query B { b: __typename }")) is None
