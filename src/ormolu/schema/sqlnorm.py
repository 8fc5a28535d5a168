"""Normalising SQL expressions (CHECK conditions, defaults, index predicates) so that two
spellings of the same condition compare equal.

Databases give back a condition in their own words: quoted or not, with parentheses
around every operation, casts added to literals (``(0)::numeric``), ``BETWEEN`` written
out, ``IN`` lists as ``= ANY (ARRAY[...])``. :func:`normalize_expression` parses the text
with the usual SQL precedence (SQL:2016 §6 and §8: OR < AND < NOT < comparison < ``||`` <
additive < multiplicative < unary) and prints one canonical, fully parenthesised form:
identifiers unquoted and lower case, keywords lower case, string literals exactly as
written, numbers in their shortest exact form, casts of the ``::`` kind dropped (a cast
the database adds changes no truth value of a CHECK). Text it cannot parse is returned
as its tokens, lower-cased outside string literals, so that it still compares stably.

Example::

    >>> normalize_expression('(("price" >= (0)::numeric))')
    '(price >= 0)'
    >>> normalize_expression("price >= 0")
    '(price >= 0)'
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_TOKEN = re.compile(
    r"""\s+
    | (?P<str>[Nn]?'(?:[^']|'')*')
    | (?P<qid>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)
    | (?P<word>[A-Za-z_][A-Za-z_0-9$]*)
    | (?P<op>::|<=|>=|<>|!=|==|\|\||[-+*/%=<>(),.\[\];~&|^])
    """,
    re.X,
)


class Token:
    """One token: ``kind`` is str, id (identifier, unquoted), num, word or op."""

    __slots__ = ("kind", "text")

    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind
        self.text = text

    def __repr__(self) -> str:
        return f"{self.kind}:{self.text}"


def tokenize(sql: str) -> list[Token]:
    """Split SQL into tokens; quoted identifiers lose their quotes (kind ``id``).

    Raises ValueError on a character no SQL token starts with."""
    out: list[Token] = []
    pos = 0
    while pos < len(sql):
        m = _TOKEN.match(sql, pos)
        if m is None:
            raise ValueError(f"cannot read SQL at {sql[pos : pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind is None:
            continue
        text = m.group(kind)
        if kind == "qid" and text[0] == "[" and not text[1:-1].strip():  # ``::text[]``
            out += [Token("op", "["), Token("op", "]")]
            continue
        if kind == "qid" and text[0] == "[" and out and out[-1].text.lower() == "array":
            # ARRAY[...] (PostgreSQL's array constructor), not a [bracketed] identifier
            out.append(Token("op", "["))
            pos = m.start() + 1
            continue
        if kind == "qid":
            q = text[0]
            inner = text[1:-1]
            if q != "[":
                inner = inner.replace(q + q, q)
            out.append(Token("id", inner))
        elif kind == "str":
            out.append(Token("str", text[1:] if text[0] in "Nn" else text))
        else:
            out.append(Token(kind, text))
    return out


_ARRAY = "\x00array["  # marks an ARRAY[...] constructor (only valid under ANY/ALL)
_COMPARE = {"=", "<>", "<", ">", "<=", ">=", "!=", "=="}


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.t = tokens
        self.i = 0

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def word(self, k: int = 0) -> str:
        tok = self.peek(k)
        return tok.text.lower() if tok is not None and tok.kind == "word" else ""

    def op(self) -> str:
        tok = self.peek()
        return tok.text if tok is not None and tok.kind == "op" else ""

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise ValueError("unexpected end")
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text.lower() != text:
            raise ValueError(f"expected {text!r}")

    def parse(self) -> str:
        e = self.expr()
        if self.peek() is not None:
            raise ValueError("trailing tokens")
        return e

    def expr(self) -> str:
        left = self.and_()
        while self.word() == "or":
            self.take()
            left = f"({left} or {self.and_()})"
        return left

    def and_(self) -> str:
        left = self.not_()
        while self.word() == "and":
            self.take()
            left = f"({left} and {self.not_()})"
        return left

    def not_(self) -> str:
        if self.word() == "not":
            self.take()
            return f"(not {self.not_()})"
        return self.compare()

    def compare(self) -> str:
        left = self.concat()
        while True:
            op, w = self.op(), self.word()
            if op in _COMPARE:
                self.take()
                sym = {"!=": "<>", "==": "="}.get(op, op)
                if self.word() in ("any", "all"):
                    left = self._any_all(left, sym)
                    continue
                left = f"({left} {sym} {self.concat()})"
            elif w == "is":
                self.take()
                neg = self.word() == "not"
                if neg:
                    self.take()
                right = self.concat()
                left = f"({left} is {'not ' if neg else ''}{right})"
            elif w in ("in", "like", "between", "glob", "regexp", "ilike") or (
                w == "not" and self.word(1) in ("in", "like", "between", "glob", "regexp", "ilike")
            ):
                neg = w == "not"
                if neg:
                    self.take()
                kw = self.take().text.lower()
                if kw == "in":
                    self.expect("(")
                    items = self._list(")")
                    left = f"({left} {'not in' if neg else 'in'} ({', '.join(items)}))"
                elif kw == "between":
                    low = self.concat()
                    self.expect("and")
                    high = self.concat()
                    both = f"(({left} >= {low}) and ({left} <= {high}))"
                    left = f"(not {both})" if neg else both
                else:
                    right = self.concat()
                    left = f"({left} {'not ' if neg else ''}{kw} {right})"
            else:
                return left

    def _any_all(self, left: str, sym: str) -> str:
        # PostgreSQL's spelling of IN lists: x = ANY (ARRAY[a, b]), x <> ALL (ARRAY[a, b])
        # (the array may come parenthesised and cast: ANY ((ARRAY['a'::varchar])::text[]))
        kind = self.take().text.lower()
        self.expect("(")
        inner = self.expr()
        self.expect(")")
        if not inner.startswith(_ARRAY):
            raise ValueError("ANY/ALL without ARRAY")
        items = [inner[len(_ARRAY) : -1]] if inner != _ARRAY + "]" else []
        if (sym, kind) == ("=", "any"):
            return f"({left} in ({', '.join(items)}))"
        if (sym, kind) == ("<>", "all"):
            return f"({left} not in ({', '.join(items)}))"
        raise ValueError("unsupported ANY/ALL")

    def _list(self, close: str) -> list[str]:
        items: list[str] = []
        if self.op() == close:
            self.take()
            return items
        while True:
            items.append(self.expr())
            tok = self.take()
            if tok.text == close:
                return items
            if tok.text != ",":
                raise ValueError("expected , in list")

    def concat(self) -> str:
        left = self.additive()
        while self.op() == "||":
            self.take()
            left = f"({left} || {self.additive()})"
        return left

    def additive(self) -> str:
        left = self.mult()
        while self.op() in ("+", "-"):
            op = self.take().text
            left = f"({left} {op} {self.mult()})"
        return left

    def mult(self) -> str:
        left = self.unary()
        while self.op() in ("*", "/", "%"):
            op = self.take().text
            left = f"({left} {op} {self.unary()})"
        return left

    def unary(self) -> str:
        if self.op() in ("-", "+"):
            op = self.take().text
            operand = self.unary()
            if op == "-" and _is_number(operand):
                return _number("-" + operand)
            return operand if op == "+" else f"(- {operand})"
        return self.postfix()

    def postfix(self) -> str:
        e = self.primary()
        while self.op() == "::":
            self.take()
            self._type_name()  # the cast is dropped
        return e

    def _type_name(self) -> None:
        self.take()
        while self.word() in ("varying", "precision", "with", "without", "time", "zone"):
            self.take()
        if self.op() == "(":
            self.take()
            self._list(")")
        if self.op() == "[":
            self.take()
            self.expect("]")

    def primary(self) -> str:
        tok = self.take()
        if tok.kind == "num":
            return _number(tok.text)
        if tok.kind == "str":
            return tok.text
        if tok.kind == "op" and tok.text == "(":
            items = self._list(")")
            if len(items) == 1:
                return items[0]
            return "(" + ", ".join(items) + ")"
        if tok.kind in ("id", "word"):
            name = tok.text.lower()
            if tok.kind == "word" and name == "array" and self.op() == "[":
                self.take()
                return _ARRAY + ", ".join(self._list("]")) + "]"
            if tok.kind == "word" and name == "cast" and self.op() == "(":
                self.take()
                inner = self.expr()
                self.expect("as")
                start = self.i
                self._type_name()
                type_name = " ".join(t.text.lower() for t in self.t[start : self.i])
                self.expect(")")
                return f"cast({inner} as {type_name})"
            if tok.kind == "word" and name == "case":
                return self._case()
            while self.op() == ".":
                self.take()
                name = self.take().text.lower()  # a qualified name: keep its last part
            if self.op() == "(":
                self.take()
                args = self._list(")")
                return f"{name}({', '.join(args)})"
            return name
        raise ValueError(f"unexpected token {tok!r}")

    def _case(self) -> str:
        parts = ["case"]
        if self.word() != "when":
            parts.append(self.expr())
        while self.word() == "when":
            self.take()
            cond = self.expr()
            self.expect("then")
            parts.append(f"when {cond} then {self.expr()}")
        if self.word() == "else":
            self.take()
            parts.append(f"else {self.expr()}")
        self.expect("end")
        return "(" + " ".join(parts) + " end)"


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _number(text: str) -> str:
    """The shortest exact spelling of a numeric literal (``9.90`` and ``9.9`` alike)."""
    try:
        d = Decimal(text)
    except InvalidOperation:
        return text
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def normalize_expression(sql: str) -> str:
    """The canonical form of an SQL expression (see the module docstring)."""
    try:
        tokens = tokenize(sql)
    except ValueError:
        return " ".join(sql.split())
    try:
        return _Parser(tokens).parse()
    except (ValueError, IndexError):
        return " ".join(t.text if t.kind == "str" else t.text.lower() for t in tokens)


def split_top_level(tokens: list[Token], sep: str = ",") -> list[list[Token]]:
    """Split tokens at ``sep`` outside parentheses."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.kind == "op" and tok.text == "(":
            depth += 1
        elif tok.kind == "op" and tok.text == ")":
            depth -= 1
        if depth == 0 and tok.kind == "op" and tok.text == sep:
            parts.append([])
        else:
            parts[-1].append(tok)
    return parts


def join_tokens(tokens: list[Token], quote: str = '"') -> str:
    """Tokens back to SQL text, identifiers quoted with ``quote``."""
    out: list[str] = []
    for tok in tokens:
        if tok.kind == "id":
            out.append(quote + tok.text.replace(quote, quote + quote) + quote)
        else:
            out.append(tok.text)
    text = " ".join(out)
    return re.sub(r"\( ", "(", re.sub(r" \)", ")", re.sub(r" , ", ", ", text)))


def in_list(sql: str) -> tuple[str, tuple[str | int, ...]] | None:
    """``(column, values)`` when the normalised condition ``sql`` is
    ``(column in (v1, v2, ...))`` with string or integer literals (an enum column's
    CHECK constraint), else ``None``.

    Example::

        >>> in_list("(mood in ('happy', 'it''s'))")
        ('mood', ('happy', "it's"))
    """
    try:
        tokens = tokenize(sql)
    except ValueError:
        return None
    texts = [t.text.lower() if t.kind == "word" else t.text for t in tokens]
    if texts[:1] != ["("] or texts[-2:] != [")", ")"] or len(texts) < 6:
        return None
    if tokens[1].kind not in ("id", "word") or texts[2:4] != ["in", "("]:
        return None
    values: list[str | int] = []
    for part in split_top_level(tokens[4:-2]):
        sign, rest = ("-", part[1:]) if part[:1] and part[0].text == "-" else ("", part)
        if len(rest) != 1:
            return None
        tok = rest[0]
        if tok.kind == "str" and not sign:
            values.append(tok.text[1:-1].replace("''", "'"))
        elif tok.kind == "num" and tok.text.isdigit():
            values.append(int(sign + tok.text))
        else:
            return None
    return tokens[1].text.lower(), tuple(values)
