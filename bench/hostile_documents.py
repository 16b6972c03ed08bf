"""Hostile documents for `bench/hostile.py`: each a function of a variant number, so that
every request sends a new text and the document cache cannot help.

`REFUSED` are over a limit; `INSIDE` are the worst found inside every limit at the
defaults: they pass the limits and cost validation (and planning, when they run) the most
per token.
"""

from __future__ import annotations

from collections.abc import Callable

Document = Callable[[int], str]  # a variant number -> a document


def _rep(template: str, times: int) -> str:
    return " ".join(template.replace("#", str(i)) for i in range(times))


# Documents of few tokens, as long as asked


MAX_CHARS = 65_536
"""The default document length limit: the documents of few tokens fill it."""


def _filled(head: str, tail: str, filler: str, chars: int) -> str:
    """`head`, `filler` repeated and `tail`, `chars` characters long at most."""
    return head + filler * ((chars - len(head) - len(tail)) // len(filler)) + tail


def blanks(chars: int) -> Document:
    """`{ __typename }` between blanks and commas (which are no tokens), half of them on
    either side: a scan that restarts at each blank is quadratic in them."""
    half = " ," * (chars // 4)
    return lambda n: _filled(half + f"{{ __typename }} # {n}\n", "", " ,", chars)


def escapes(chars: int) -> Document:
    """One string argument of escapes (one token): graphql-core's lexer reads them a
    character at a time."""
    return lambda n: _filled(f'# {n}\n{{ productBySku(sku: "', '") { name } }', "\\n", chars)


def long_comment(chars: int) -> Document:
    """`{ __typename }` and one comment (one token)."""
    return lambda n: _filled(f"{{ __typename }} # {n}", "", "c", chars)


# Over a limit


def aliases_flat(n: int) -> str:
    """10,000 aliases written out: 30,000 tokens."""
    return "{ " + " ".join(f"a{n}_{i}: __typename" for i in range(10_000)) + " }"


def aliases_through_fragments(n: int) -> str:
    """10,000 aliases in a 100-alias fragment spread 100 times: about 600 tokens."""
    hundred = " ".join(f"a{n}_{i}: __typename" for i in range(100))
    spreads = " ".join(["...Hundred"] * 100)
    return f"{{ {spreads} }} fragment Hundred on Query {{ {hundred} }}"


def depth_200(n: int) -> str:
    """Fields 200 levels deep: 199 with selections, then a leaf."""
    path = "products { nodes { category { " * 66 + "products { "
    return f"# {n}\n{{ {path} totalCount" + " }" * 199 + " }"


def cost_bomb(n: int) -> str:
    nested = "customers(first: 100) { nodes { orders(first: 100) { nodes { lines { id } } } } }"
    return f"# {n}\n{{ {nested} }}"


def comment_padding(n: int) -> str:
    """`{ __typename }` under 100,000 comments."""
    return f"{{ __typename }} # {n}\n" + "#\n" * 100_000


def comments_past_the_tokens(n: int) -> str:
    """`{ __typename }` under 20,000 comments (40 KB)."""
    return f"{{ __typename }} # {n}\n" + "#\n" * 20_000


def aliases_past_the_tokens(n: int) -> str:
    """6,000 aliases, each a letter: 18,000 tokens in 30 KB."""
    return f"# {n}\n{{ " + "a: b " * 6000 + "}"


def typename_2400(n: int) -> str:
    return f"# {n}\n{{ " + "__typename " * 2400 + "}"


def name_2400(n: int) -> str:
    return f"# {n}\n{{ products(first: 1) {{ nodes {{ " + "name " * 2400 + "} } }"


def spread_1600(n: int) -> str:
    return f"# {n}\n{{ " + "...F " * 1600 + "} fragment F on Query { __typename }"


def directives_2400(n: int) -> str:
    return f"# {n}\n{{ __typename " + "@aa" * 2400 + " }"


def operations_980(n: int) -> str:
    return f"# {n}\n" + _rep("query Q# { __typename }", 980)


REFUSED: dict[str, Document] = {
    "10,000 aliases, written out (characters)": aliases_flat,
    "6,000 one-letter aliases (tokens)": aliases_past_the_tokens,
    "10,000 aliases through a fragment (aliases)": aliases_through_fragments,
    "depth 200 (depth)": depth_200,
    "100 x 100 x 5 objects (cost)": cost_bomb,
    "100,000 comments (characters)": comment_padding,
    "20,000 comments (tokens)": comments_past_the_tokens,
    "{ __typename } x 2,400 (selections)": typename_2400,
    "nodes { name } x 2,400 (selections)": name_2400,
    "...F x 1,600 (selections)": spread_1600,
    "@aa x 2,400 (directives)": directives_2400,
    "980 operations (operations)": operations_980,
    "600,000 blanks (characters)": blanks(600_000),
    "a string of 300,000 escapes (characters)": escapes(600_000),
    "a comment of 900,000 characters (characters)": long_comment(900_000),
}


# Inside the limits


def widest_objects(n: int) -> str:
    """Nineteen objects of 50 identical fields (fields per object, selections): validation
    compares the fields of each object pairwise."""
    body = "name " * 50
    return f"# {n}\n{{ " + _rep(f"a#: products(first: 1) {{ nodes {{ {body}}} }}", 19) + " }"


def merged_subselections(n: int) -> str:
    """One response key selected 33 times with different sub-selections, which must be
    compared pair by pair and then field by field."""
    variants = ["name", "id", "name id", "id name", "productCount", "name productCount"]
    body = " ".join(f"category {{ {variants[i % 6]} }}" for i in range(33))
    return f"# {n}\n{{ products(first: 1) {{ nodes {{ {body} }} }} }}"


def conflicting_arguments(n: int) -> str:
    """50 fields of one response key with different arguments: every pair conflicts, and
    the conflicts are one message."""
    return f"# {n}\n{{ " + _rep('product(id: "#") { name }', 50) + " }"


def many_operations(n: int) -> str:
    """50 operations (the request names one): each is validated."""
    return f"# {n}\n" + _rep("query Q# { __typename }", 50)


def operations_sharing_a_fragment(n: int) -> str:
    """50 operations spreading one fragment of 8 lookups that use their variable."""
    fields = _rep("a#: product(id: $id) { name }", 8)
    return (
        f"# {n}\n"
        + _rep("query Q#($id: ID!) { ...F }", 50)
        + f" fragment F on Query {{ {fields} }}"
    )


def fragment_chain(n: int) -> str:
    """A chain of fragments, each spreading the next (selections through fragments)."""
    chain = " ".join(f"fragment F{i} on Query {{ __typename ...F{i + 1} }}" for i in range(24))
    return f"# {n}\n{{ ...F0 }} {chain} fragment F24 on Query {{ __typename }}"


def unknown_directives(n: int) -> str:
    """50 unknown directives: one error with 50 locations."""
    return f"# {n}\n{{ __typename " + "@aa " * 50 + "}"


def unknown_fields(n: int) -> str:
    """50 distinct unknown fields: validation stops at the error limit."""
    return f"# {n}\n{{ " + _rep("f#", 50) + " }"


def unused_variables(n: int) -> str:
    """400 variables, none used."""
    return f"# {n}\nquery(" + _rep("$v#: Int", 400) + ") { __typename }"


def variables_everywhere(n: int) -> str:
    """One variable of an input type used in 30 aliased fields through a fragment."""
    fragment = "fragment P on Query { " + _rep("a#: products(filter: $f) { totalCount }", 30)
    return f"# {n}\nquery($f: ProductFilter) {{ ...P }} {fragment} }}"


def fresh_lookup(n: int) -> str:
    """Not hostile: a plain lookup, its text new each time (parsed, validated, planned)."""
    return f'# {n}\n{{ product(id: "UHJvZHVjdDox") {{ id sku name price stock updatedAt }} }}'


INSIDE: dict[str, Document] = {
    "(a plain lookup, not cached)": fresh_lookup,
    "19 objects x 50 identical fields": widest_objects,
    "one key, 33 different sub-selections": merged_subselections,
    "50 conflicting arguments": conflicting_arguments,
    "50 operations, one named": many_operations,
    "50 operations sharing a fragment of 8 lookups": operations_sharing_a_fragment,
    "a chain of 25 fragments": fragment_chain,
    "50 unknown directives": unknown_directives,
    "50 unknown fields": unknown_fields,
    "400 unused variables": unused_variables,
    "64 KiB of blanks, half on either side": blanks(MAX_CHARS),
    "a string of 32,000 escapes (64 KiB)": escapes(MAX_CHARS),
    "a comment of 64 KiB": long_comment(MAX_CHARS),
    "a variable in 30 fields": variables_everywhere,
}
"""What runs, if anything, is named by `OPERATION_NAMES`."""

OPERATION_NAMES = {
    "50 operations, one named": "Q7",
    "50 operations sharing a fragment of 8 lookups": "Q7",
}
