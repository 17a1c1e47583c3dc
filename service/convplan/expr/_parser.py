"""Recursive-descent parser for size expressions; builds values directly (no AST, no eval).

Grammar (Python precedence, nothing else accepted)::

    expr    := term (('+' | '-') term)*
    term    := unary (('*' | '/' | '//' | '%') unary)*
    unary   := ('-' | '+') unary | power
    power   := primary ('**' unary)?            # right-associative, -2**2 == -4
    primary := INT | NAME | FUNC '(' expr (',' expr)* ')' | '(' expr ')'

Every recursive path goes through :meth:`_Parser.unary`, which carries the
explicit depth counter, so nesting is bounded by ``max_depth`` (a handful of
Python frames per level) long before the interpreter's recursion limit.
"""

from __future__ import annotations

from fractions import Fraction

from ._errors import ExpressionError, ExprLimits
from ._fold import Folder, Value
from ._lexer import Token, tokenize
from ._symbols import FUNCTION_NAMES, SymbolTable, name_problem

_ARITY: dict[str, tuple[int, int | None]] = {"floor": (1, 1), "ceil": (1, 1), "min": (2, None), "max": (2, None)}


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "end of expression"
    if token.kind == "int":
        return f"number {token.text}"
    if token.kind == "name":
        return f"name {token.text!r}"
    return repr(token.text)


class _Parser:
    def __init__(self, text: str, table: SymbolTable, limits: ExprLimits) -> None:
        self.tokens = tokenize(text, limits)
        self.index = 0
        self.table = table
        self.limits = limits
        self.fold = Folder(limits)
        self.depth = 0
        self.nodes = 0

    # -- token helpers ----------------------------------------------------------------------

    def _peek(self) -> Token:
        return self.tokens[self.index]

    def _next(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def _is_op(self, *ops: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == "op" and token.text in ops

    def _count(self, token: Token) -> None:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise ExpressionError(
                f"expression is too complex: more than {self.limits.max_nodes} numbers, names and "
                f"operators (limit reached at position {token.position})",
                kind="limit",
                position=token.position,
            )

    def _fail(self, token: Token, expected: str) -> ExpressionError:
        return ExpressionError(
            f"unexpected {_describe(token)} at position {token.position}: expected {expected}",
            kind="syntax",
            position=token.position,
        )

    # -- grammar ----------------------------------------------------------------------------

    def parse(self) -> Value:
        if self._peek().kind == "end":
            raise ExpressionError("expression is empty", kind="syntax", position=1)
        value = self._expr()
        token = self._peek()
        if token.kind != "end":
            raise self._fail(token, "an operator or the end of the expression")
        return value

    def _expr(self) -> Value:
        value = self._term()
        while self._is_op("+", "-"):
            op = self._next()
            self._count(op)
            value = self.fold.binary(op.text, value, self._term(), op.position)
        return value

    def _term(self) -> Value:
        value = self._unary()
        while self._is_op("*", "/", "//", "%"):
            op = self._next()
            self._count(op)
            value = self.fold.binary(op.text, value, self._unary(), op.position)
        return value

    def _unary(self) -> Value:
        self.depth += 1
        try:
            if self.depth > self.limits.max_depth:
                token = self._peek()
                raise ExpressionError(
                    f"expression is nested too deeply at position {token.position}: the limit is "
                    f"{self.limits.max_depth} levels of parentheses, calls, signs and powers",
                    kind="limit",
                    position=token.position,
                )
            if self._is_op("-", "+"):
                op = self._next()
                self._count(op)
                operand = self._unary()
                return self.fold.negate(operand, op.position) if op.text == "-" else operand
            return self._power()
        finally:
            self.depth -= 1

    def _power(self) -> Value:
        base = self._primary()
        if self._is_op("**"):
            op = self._next()
            self._count(op)
            return self.fold.power(base, self._unary(), op.position)
        return base

    def _primary(self) -> Value:
        token = self._next()
        if token.kind == "int":
            self._count(token)
            return Fraction(int(token.text))
        if token.kind == "name":
            self._count(token)
            if self._is_op("("):
                return self._call(token)
            return self._symbol(token)
        if token.kind == "op" and token.text == "(":
            value = self._expr()
            closing = self._next()
            if not (closing.kind == "op" and closing.text == ")"):
                raise self._fail(closing, f"')' to close the '(' at position {token.position}")
            return value
        raise self._fail(token, "a number, a name or '('")

    def _symbol(self, token: Token) -> Value:
        name = token.text
        if name in FUNCTION_NAMES:
            raise ExpressionError(
                f"{name!r} at position {token.position} is a function: write {name}(...)",
                kind="syntax",
                position=token.position,
            )
        problem = name_problem(name)
        if problem is not None:
            raise ExpressionError(f"{problem} (position {token.position})", kind="syntax", position=token.position)
        try:
            return self.table.symbol(name)
        except ExpressionError as exc:
            raise ExpressionError(
                f"{exc.message} at position {token.position}", kind=exc.kind, position=token.position
            ) from None

    def _call(self, name: Token) -> Value:
        arity = _ARITY.get(name.text)
        if arity is None:
            raise ExpressionError(
                f"unknown function {name.text!r} at position {name.position}: the functions are "
                "floor, ceil, min and max",
                kind="syntax",
                position=name.position,
            )
        self._next()  # '('
        args: list[Value] = []
        if not self._is_op(")"):
            args.append(self._expr())
            while self._is_op(","):
                self._next()
                args.append(self._expr())
        closing = self._next()
        if not (closing.kind == "op" and closing.text == ")"):
            raise self._fail(closing, f"',' or ')' in the call to {name.text}() at position {name.position}")
        low, high = arity
        if len(args) < low or (high is not None and len(args) > high):
            wanted = "exactly 1 argument" if high == 1 else f"at least {low} arguments"
            raise ExpressionError(
                f"{name.text}() at position {name.position} takes {wanted}, got {len(args)}",
                kind="syntax",
                position=name.position,
            )
        return self.fold.call(name.text, args, name.position)


def parse_value(text: str, table: SymbolTable, limits: ExprLimits | None = None) -> Value:
    """Parse ``text``: a Fraction if it has no symbols, else a (not yet canonical) SymPy expression."""
    return _Parser(text, table, limits or table.limits).parse()
