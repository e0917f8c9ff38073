"""Derived labels: a small, safe expression language over columns, parsed and never eval'ed.

``label: {name: late, derive: "arr_delay > 15"}`` or ``"tip > 0.2 * fare and payment == 'card'"``.
Allowed: column names (one that is not a Python identifier, such as unit-price or 1st visit,
written in backticks: `unit-price` > 3), numbers, quoted strings, ``+ - * /``, comparisons
(chains too), ``and``, ``or``, ``not`` and parentheses. Anything else (calls, attributes,
subscripts, lambdas) is a ConfigError naming the expression. The same tree is evaluated on
TensorFlow tensors inside the Transform graph and on plain Python values (tests compare it with
pandas), through one walker. A comparison with a missing value is false, as with NaN.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfxkit.errors import ConfigError

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}
_COMPARE = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}


_QUOTED = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Expression:
    text: str
    tree: ast.Expression
    quoted: tuple[tuple[str, str], ...] = ()  # placeholder identifier -> backticked column name

    def column_of(self, identifier: str) -> str:
        """The data's column name for a name in the tree (backticked names were replaced)."""
        return dict(self.quoted).get(identifier, identifier)

    @property
    def columns(self) -> list[str]:
        names = {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name)}
        return sorted(self.column_of(n) for n in names)


def _unquote(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Backticked column names become placeholder identifiers Python can parse."""
    quoted: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        name = match.group(1)
        for key, value in quoted.items():
            if value == name:
                return key
        key = f"__tfxkit_column_{len(quoted)}__"
        quoted[key] = name
        return key

    return _QUOTED.sub(placeholder, text), tuple(quoted.items())


def parse(text: str) -> Expression:
    """Parse and check that only the allowed constructs are used."""
    source, quoted = _unquote(text)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"label.derive {text!r} is not a valid expression: {exc.msg}") from None
    allowed = (
        ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.Compare,
        ast.BinOp, ast.Name, ast.Load, ast.Constant, *_BINARY, *_COMPARE,
    )  # fmt: skip
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            what = ast.unparse(node) if isinstance(node, ast.expr) else type(node).__name__
            for key, name in quoted:
                what = what.replace(key, f"`{name}`")
            raise ConfigError(
                f"label.derive {text!r}: '{what}' is not allowed "
                "(use columns, numbers, strings, + - * /, comparisons, and/or/not)"
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str):
            raise ConfigError(f"label.derive {text!r}: constant {node.value!r} is not allowed")
    if not _is_condition(tree.body):
        # A number would be cast to a "binary" label and train a model with accuracy 0
        # (issue 22): a derived label is a yes/no condition.
        raise ConfigError(
            f"label.derive {text!r} is a value, not a yes/no condition: a derived label is "
            f"binary, so compare it (e.g. '{text} > 0'); for a number to predict, name its "
            "column in label.name (regression)"
        )
    return Expression(text, tree, quoted)


def _is_condition(node: ast.AST) -> bool:
    """True for a comparison, or and/or/not over conditions."""
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.BoolOp):
        return all(_is_condition(value) for value in node.values)
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.Not)
        and (_is_condition(node.operand))
    )


@dataclass(frozen=True)
class Ops:
    """How to evaluate on one kind of value (Python scalars, TF tensors)."""

    column: Callable[[str], Any]
    constant: Callable[[Any], Any]
    binary: Callable[[str, Any, Any], Any]
    compare: Callable[[str, Any, Any], Any]
    logical_and: Callable[[Any, Any], Any]
    logical_or: Callable[[Any, Any], Any]
    logical_not: Callable[[Any], Any]
    negate: Callable[[Any], Any]


def evaluate(expression: Expression, ops: Ops) -> Any:
    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Name):
            return ops.column(expression.column_of(node.id))
        if isinstance(node, ast.Constant):
            return ops.constant(node.value)
        if isinstance(node, ast.UnaryOp):
            value = walk(node.operand)
            return ops.logical_not(value) if isinstance(node.op, ast.Not) else ops.negate(value)
        if isinstance(node, ast.BinOp):
            return ops.binary(_BINARY[type(node.op)], walk(node.left), walk(node.right))
        if isinstance(node, ast.BoolOp):
            combine = ops.logical_and if isinstance(node.op, ast.And) else ops.logical_or
            result = walk(node.values[0])
            for value in node.values[1:]:
                result = combine(result, walk(value))
            return result
        if isinstance(node, ast.Compare):
            left, result = walk(node.left), None
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = walk(right_node)
                part = ops.compare(_COMPARE[type(op)], left, right)
                result = part if result is None else ops.logical_and(result, part)
                left = right
            return result
        raise ConfigError(f"label.derive {expression.text!r}: cannot evaluate {ast.dump(node)}")

    return walk(expression.tree)


def python_ops(row: dict[str, Any]) -> Ops:
    """Evaluate on one row of Python values; None is missing and compares false."""
    funcs = {
        "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
        "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
        "eq": operator.eq, "ne": operator.ne,
    }  # fmt: skip

    def guarded(name: str, a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None if name in ("add", "sub", "mul", "div") else False
        return funcs[name](a, b)

    return Ops(
        column=lambda name: row.get(name),
        constant=lambda value: value,
        binary=guarded,
        compare=guarded,
        logical_and=lambda a, b: bool(a) and bool(b),
        logical_or=lambda a, b: bool(a) or bool(b),
        logical_not=lambda a: not a,
        negate=lambda a: None if a is None else -a,
    )
