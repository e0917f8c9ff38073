"""The subset of CEL that TFX writes into a task's ``triggerPolicy.condition``.

Why this exists: TFX's ``Cond`` compiles to a CEL expression (``placeholder_to_cel``) that a
KFP or Vertex backend evaluates before it starts the task. To skip a task exactly when the
backend would, the launcher evaluates the same expressions: literals, ``inputs.*`` lookups with
``.field`` / ``[index]``, ``! - + ==  != < > <= >= && ||`` and parentheses. Anything else is a
``CelError`` naming what was not understood.
"""

from __future__ import annotations

import re
from typing import Any

from tfxkit.runners.spec_launcher.errors import RunIrError

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.\d*|\d*\.\d+|\d+)|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[()\[\].!<>+-])|(?P<id>[A-Za-z_]\w*))"
)


class CelError(RunIrError):
    """A condition that the CEL subset cannot parse or evaluate."""


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise CelError(f"unexpected character at {text[pos:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Cel:
    """Recursive-descent evaluator for the CEL that TFX's placeholder_to_cel emits."""

    def __init__(self, text: str, env: dict[str, Any]) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.env = env

    def run(self) -> Any:
        value = self._or()
        if self.pos != len(self.tokens):
            raise CelError(f"unexpected {self.tokens[self.pos][1]!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self, want: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise CelError("unexpected end of expression")
        token = self.tokens[self.pos]
        if want is not None and token[1] != want:
            raise CelError(f"expected {want!r}, got {token[1]!r}")
        self.pos += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = bool(value) or bool(right)
        return value

    def _and(self) -> Any:
        value = self._cmp()
        while self._peek() == "&&":
            self._take()
            right = self._cmp()
            value = bool(value) and bool(right)
        return value

    def _cmp(self) -> Any:
        left = self._add()
        op = self._peek()
        if op in ("==", "!=", "<", ">", "<=", ">="):
            self._take()
            right = self._add()
            if isinstance(left, int | float) and isinstance(right, int | float):
                left, right = float(left), float(right)
            try:
                return {
                    "==": lambda: left == right,
                    "!=": lambda: left != right,
                    "<": lambda: left < right,
                    ">": lambda: left > right,
                    "<=": lambda: left <= right,
                    ">=": lambda: left >= right,
                }[op]()
            except TypeError as exc:
                raise CelError(f"cannot compare {left!r} {op} {right!r}") from exc
        return left

    def _add(self) -> Any:
        value = self._unary()
        while self._peek() in ("+", "-"):
            op = self._take()[1]
            right = self._unary()
            try:
                value = value + right if op == "+" else value - right
            except TypeError as exc:
                raise CelError(f"cannot apply {op} to {value!r} and {right!r}") from exc
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not self._unary()
        if self._peek() == "-":
            self._take()
            return -self._unary()
        return self._postfix()

    def _postfix(self) -> Any:
        value = self._primary()
        while self._peek() in (".", "["):
            if self._take()[1] == ".":
                kind, name = self._take()
                if kind != "id":
                    raise CelError(f"expected a field name after '.', got {name!r}")
                value = self._index(value, name)
            else:
                key = self._or()
                self._take("]")
                value = self._index(value, key)
        return value

    @staticmethod
    def _index(value: Any, key: Any) -> Any:
        try:
            if isinstance(value, list):
                return value[int(key)]
            return value[key]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise CelError(f"no such key {key!r}") from exc

    def _primary(self) -> Any:
        kind, text = self._take()
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            try:
                return bytes(text[1:-1], "utf-8").decode("unicode_escape")
            except UnicodeDecodeError as exc:
                raise CelError(f"bad escape in string {text}: {exc}") from exc
        if kind == "id":
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            if text not in self.env:
                raise CelError(f"unknown name {text!r}")
            return self.env[text]
        if text == "(":
            value = self._or()
            self._take(")")
            return value
        raise CelError(f"unexpected {text!r}")


def evaluate_condition(condition: str, inputs: dict[str, Any]) -> bool:
    """Evaluate a ``triggerPolicy.condition``; ``inputs`` holds artifacts and parameter_values."""
    return bool(_Cel(condition, {"inputs": inputs}).run())


def condition_input_keys(condition: str) -> list[str]:
    """The ``inputs.artifacts['key']`` keys a condition reads."""
    return re.findall(r"inputs\.artifacts\['([^']+)'\]", condition)
