"""graphql-core's lexer, reading runs of characters with regular expressions.

graphql-core reads blanks, comments and strings a character at a time in Python: a request
body may hold a megabyte of them inside a handful of tokens (blanks are no tokens at all),
which cost its lexer up to 3 s of CPU (a string of 300,000 escapes). Here each run is one
regular-expression match (in C): the blanks between tokens (counting line ends, for
locations), a name, a comment, a string (its escapes, which are JSON's, decoded by orjson), a
block string without backslashes; a punctuator is looked up. Anything else (numbers, `...`,
`\\u{...}`, characters the specification refuses, errors) is left to graphql-core's own
code from the same position, so the tokens and the errors are the same.
"""

from __future__ import annotations

import re

import orjson
from graphql import Token, TokenKind
from graphql.language.block_string import dedent_block_string_lines
from graphql.language.lexer import Lexer

_BLANKS = re.compile(r"[ \t,\ufeff\n\r]*+")
_SPACES = re.compile(r"[ \t,\ufeff]*+")
_COMMENT = re.compile(r"#[^\n\r\ud800-\udfff]*+")
PLAIN_STRING = re.compile(r'"([^"\\\n\r\ud800-\udfff]*+)"')
_CHARACTERS = r'[^"\\\x00-\x1f\ud800-\udfff]*+'
_ESCAPES = r'(?:\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4}))++'
# Runs of characters and runs of escapes: one step of the expression a run, not an escape.
ESCAPED_STRING = re.compile(f'"{_CHARACTERS}(?:{_ESCAPES}{_CHARACTERS})*+"')
BLOCK_STRING = re.compile(r'"""((?:[^"\\\ud800-\udfff]++|"(?!""))*+)"""')
LINE_END = re.compile(r"\r\n|[\n\r]")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*+")
_NAME_START = frozenset("_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_PUNCTUATORS = {
    kind.value: kind for kind in TokenKind if len(kind.value) == 1 and kind.value in "!$&()[]{}:=@|"
}


class RunLexer(Lexer):
    def read_next_token(self, start: int) -> Token:
        body = self.source.body
        position = _SPACES.match(body, start).end()  # type: ignore[union-attr]
        if body.startswith(("\n", "\r"), position):  # line ends: counted, for locations
            end = _BLANKS.match(body, position).end()  # type: ignore[union-attr]
            self._lines(body, position, end)
            position = end
        char = body[position : position + 1]
        punctuator = _PUNCTUATORS.get(char)
        if punctuator is not None:
            return Token(
                punctuator, position, position + 1, self.line, 1 + position - self.line_start
            )
        if char in _NAME_START:
            found = _NAME.match(body, position)
            assert found is not None
            return self._token(TokenKind.NAME, position, found.end(), found[0])
        if char == "#":
            found = _COMMENT.match(body, position)
            assert found is not None
            end = found.end()
            if end == len(body) or body[end] in "\r\n":
                return self._token(TokenKind.COMMENT, position, end, body[position + 1 : end])
        elif char == '"':
            block = BLOCK_STRING.match(body, position)
            if block is not None:
                lines = LINE_END.split(block[1])
                value = "\n".join(dedent_block_string_lines(lines))
                token = self._token(TokenKind.BLOCK_STRING, position, block.end(), value)
                if len(lines) > 1:  # graphql-core's lines: the token's, then past it
                    self.line += len(lines) - 1
                    self.line_start = block.end() - 3 - len(lines[-1])
                return token
            if body.startswith('"""', position):
                return super().read_next_token(position)
            string = PLAIN_STRING.match(body, position)
            if string is not None:
                return self._token(TokenKind.STRING, position, string.end(), string[1])
            escaped = ESCAPED_STRING.match(body, position)
            if escaped is not None:
                try:  # JSON's escapes are these, decoded in C; a lone surrogate fails
                    value = orjson.loads(escaped[0])
                except orjson.JSONDecodeError:
                    pass
                else:
                    return self._token(TokenKind.STRING, position, escaped.end(), value)
        return super().read_next_token(position)

    def _lines(self, body: str, start: int, end: int) -> None:
        """Counts the line ends among the blanks from `start` to `end`."""
        skipped = body[start:end]
        lines = skipped.count("\n") + skipped.count("\r") - skipped.count("\r\n")
        if lines:
            self.line += lines
            self.line_start = start + max(skipped.rfind("\n"), skipped.rfind("\r")) + 1

    def _token(self, kind: TokenKind, start: int, end: int, value: str) -> Token:
        return Token(kind, start, end, self.line, 1 + start - self.line_start, value)
