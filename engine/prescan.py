"""A count of a document's tokens, directives, operations and selections before it is parsed.

graphql-core's parser makes a token object, a node and a location for every word of a
document: about 8 µs a token on this machine, so a document that is refused for what it
holds once parsed (2,400 selections, say) had already cost 20 ms. Here a regular
expression splits the text (in C) and one pass over the tokens counts what the limits
bound, so a document over one of them is refused for a small part of its parse.

The counts are those the parser and `engine.limits` make, for a document that parses:
tokens with comments; `@`s; operations; selections as written (fields, spreads and inline
fragments, in every operation and fragment). Written selections are at most the selections
`check_shape` counts, a fragment's counted each time it is spread, so a document refused
here is refused there too. A text the expression cannot split (a stray character, an
unterminated string) is left to the parser, which says what is wrong with it.
"""

from __future__ import annotations

import re
from itertools import islice

from graphql import Source

from engine.limits import QueryLimits, TooComplex, selections_error

_TOKEN = re.compile(
    r"""[ \t\n\r,\ufeff]*+(?:
      (?P<comment>\#[^\n\r]*)
    | (?P<value>\"\"\"(?:[^"\\]++|\\\"\"\"|\\|"(?!""))*+\"\"\"
      | "[^"\\\n\r]*+(?:(?:\\.)++[^"\\\n\r]*+)*+"
      | -?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    | (?P<spread>\.\.\.)
    | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
    | (?P<punctuator>[!$&()\[\]{}:=@|])
    | (?P<other>[^ \t\n\r,\ufeff])
    | (?P<end>\Z)
    )""",
    re.VERBOSE,
)
# A name or `...`, begun by one class of characters: the expression then looks for its
# first character in C, not for each alternative at each position.
_NAME_OR_SPREAD = re.compile(r"[_A-Za-z.](?:(?<=\.)\.\.|(?<!\.)[_0-9A-Za-z]*+)")
_OPERATIONS = frozenset(("query", "mutation", "subscription"))
_NAMES_NO_SELECTION = frozenset((":", "@", "...", "on"))
"""What comes before a name that is not a selection: an alias's field name, a directive's
name, a spread fragment's name or `on`, an inline fragment's type condition."""


def prescan(text: str, limits: QueryLimits) -> None:
    """Raises `TooComplex` when `text` holds more tokens, directives, operations or written
    selections than `limits` allow; returns when it does not, or cannot tell."""
    rest, _ = _TOKEN.subn("", text, count=limits.max_tokens)  # what follows that many
    past = _TOKEN.match(rest)
    if past is not None and past.lastgroup != "end":
        raise TooComplex(
            f"the document has more than {limits.max_tokens} tokens (comments count too); "
            f"at most {limits.max_tokens} are allowed",
            source=Source(text),
            positions=[len(text) - len(rest) + past.start(past.lastgroup or 0)],
        )
    if (
        len(list(islice(_NAME_OR_SPREAD.finditer(text), limits.max_selections + 1)))
        <= limits.max_selections
        and text.count("@") <= limits.max_directives
    ):
        return  # within both, whatever the strings and comments hold; operations: the parser's
    directives = operations = selections = 0
    spreads = False
    depth = parens = 0
    previous = ""
    definition = True  # the next token at depth 0 begins a definition
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "comment" or kind == "value":
            continue
        if kind == "end":
            break
        if kind == "other":
            return  # not a GraphQL token: the parser will say what is wrong
        word = match[kind]  # type: ignore[index]
        if word == "@":
            directives += 1
            if directives > limits.max_directives:
                raise _refusal(match, text, "uses", limits.max_directives, "directives")
        if word == "(":
            parens += 1
        elif word == ")":
            parens -= 1
        if parens or word == ")":
            continue  # arguments and variables: braces there are input objects
        if depth == 0:
            if definition and (word in _OPERATIONS or word == "{"):
                operations += 1
                if operations > limits.max_operations:
                    raise _refusal(match, text, "holds", limits.max_operations, "operations")
            definition = False
        if word == "{":
            depth += 1
        elif word == "}":
            depth -= 1
            definition = depth == 0
        elif depth and kind == "name":
            if previous not in _NAMES_NO_SELECTION:
                selections += 1
                word = "a field"  # even one named `on`
            elif previous == "..." and word == "on":
                word = "on"  # the type condition comes next
            else:
                word = "a name"  # a name after `on` is no `on` of its own
        elif depth and kind == "spread":
            selections += 1
            spreads = True
        previous = word
    if selections > limits.max_selections:
        raise selections_error(selections, limits, at_least=spreads)


def _refusal(match: re.Match[str], text: str, verb: str, limit: int, things: str) -> TooComplex:
    return TooComplex(
        f"the document {verb} more than {limit} {things}; at most {limit} are allowed",
        source=Source(text),
        positions=[match.start(match.lastgroup or 0)],
    )
