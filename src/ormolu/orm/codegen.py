"""Code generated per model: the constructor and the whole-result row loader.

This is the one place where ormolu writes Python source, as ``dataclasses`` does for
``__init__``: a function specialised to one model's fields runs several times faster
than a generic loop over them, and both functions run once per object (per row loaded,
per object built), which is where an ORM's cost shows. Only field names (Python
identifiers, checked) and integers from the model's own declarations are written into
the source; no value ever is. The generic code they replace stays the reference for
every unusual case (defaults, relationships, unknown keywords): the generated functions
handle the usual case inline and call it for the rest.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import keyword
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .fields import MISSING

if TYPE_CHECKING:
    from ..schema.types import SQLType
    from .mapper import Mapper


def _identifiers(mapper: Mapper) -> tuple[str, ...]:
    keys = mapper.column_keys
    for k in keys:
        if not k.isidentifier() or k.startswith("_"):  # the mapper allows neither
            raise AssertionError(f"{mapper.name}: field name {k!r} cannot be generated")
    return keys


def _build(source: str, filename: str, namespace: dict[str, Any]) -> Any:
    exec(compile(source, filename, "exec"), namespace)
    return namespace["make"]


def _defined_in(cls: type, name: str) -> int:
    return next(i for i, c in enumerate(cls.__mro__) if name in c.__dict__)


def _fast_test(sql_type: SQLType, var: str, namespace: dict[str, Any]) -> str | None:
    """The type's inline acceptance test for parameter ``var``, when it describes the
    type's own ``coerce`` (a user subclass that overrides ``coerce`` but not the test gets
    none). Every other name in it (``type``, ``int``, ``datetime``, ...) is renamed
    ``_ormolu_g_<name>`` and bound in ``namespace``: a field may well be called ``type``,
    and as a parameter it would hide the builtin."""
    cls = type(sql_type)
    if _defined_in(cls, "accepts_unchanged") > _defined_in(cls, "coerce"):
        return None
    expr = sql_type.accepts_unchanged("_ormolu_value")
    if expr is None:
        return None
    tree = ast.parse(expr, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id == "_ormolu_value":
                node.id = var
            else:
                alias = f"_ormolu_g_{node.id}"
                if node.id not in _GLOBALS:
                    raise AssertionError(f"{cls.__name__}.accepts_unchanged names {node.id!r}")
                namespace[alias] = _GLOBALS[node.id]
                node.id = alias
    return ast.unparse(tree)


_GLOBALS: dict[str, Any] = {**vars(builtins), "datetime": datetime}


# -- the constructor -------------------------------------------------------------------

_INIT_SOURCE = """\
def make(_ormolu_missing, _ormolu_slow, _ormolu_slow_values, _ormolu_key_set, {closure}):
    def __init__(_ormolu_self, /, *, {params}, **_ormolu_extra):
        if _ormolu_extra{slow_checks}:
            _ormolu_kw = {{}}
{collect}
            _ormolu_kw.update(_ormolu_extra)
            _ormolu_slow(_ormolu_self, _ormolu_kw)
            return
{checks}
        _ormolu_d = _ormolu_self.__dict__
{stores}

    def values(_ormolu_row):
        _ormolu_get = _ormolu_row.get
{gets}
        if not _ormolu_row.keys() <= _ormolu_key_set{slow_checks}:
            return _ormolu_slow_values(dict(_ormolu_row))
{checks}
        return {items}

    return __init__, values
"""


def make_init(mapper: Mapper, slow_init: Callable[[Any, dict[str, Any]], None]) -> Any:
    """The ``__init__`` of ``mapper``'s model: keyword-only parameters, one per field.
    Also sets ``mapper.row_values``: the same validation of a mapping of field values,
    returning the values (what ``insert_many`` calls for each row).

    It validates as :meth:`Mapper.validated_values` does and produces the same values. A
    value of the usual type is accepted by an inline test (``type(v) is int`` and its
    range, ``len`` for a ``max_length``, ...); any other value, and every field with
    rules (``ge``, ``choices``, validators, ...), goes through ``FieldSpec.validate``. A
    call that leaves out a field needing a default, a server default or a related object,
    passes a relationship or an unknown keyword is handed whole to ``slow_init`` (the
    generic constructor), which raises TypeError or ValidationError as documented on
    :class:`~ormolu.orm.model.Model`.
    """
    keys = _identifiers(mapper)
    if any(keyword.iskeyword(k) for k in keys):
        # A field named like a Python keyword (``class``, from a reflected column or
        # ``type()``) cannot be a parameter: such a model keeps the generic constructor.
        return _generic(mapper, slow_init)
    closure: dict[str, Any] = {}
    slow: list[str] = []
    checks: list[str] = []
    for k in keys:
        spec = mapper.fields[k]
        if spec.default is None and spec.default_factory is None and (spec.nullable or spec.auto):
            checks.append(f"        if {k} is _ormolu_missing:\n            {k} = None")
            branch = "elif"
        else:
            slow.append(k)  # a default, or required: the generic constructor decides
            branch = "if"
        closure[f"_ormolu_v_{k}"] = spec.validate
        test = None if spec.has_rules else _fast_test(spec.type, k, closure)
        cond = "True" if test is None else f"not ({test})"
        checks.append(f"        {branch} {cond}:\n            {k} = _ormolu_v_{k}({k})")
    source = _INIT_SOURCE.format(
        closure=", ".join(closure),
        params=", ".join(f"{k}=_ormolu_missing" for k in keys),
        slow_checks="".join(f" or {k} is _ormolu_missing" for k in slow),
        collect="\n".join(
            f"            if {k} is not _ormolu_missing:\n                _ormolu_kw[{k!r}] = {k}"
            for k in keys
        ),
        checks="\n".join(checks),
        gets="\n".join(f"        {k} = _ormolu_get({k!r}, _ormolu_missing)" for k in keys),
        items="{" + ", ".join(f"{k!r}: {k}" for k in keys) + "}",
        # item stores into the instance dictionary: cheaper than building a dict and
        # setting or merging it
        stores="\n".join(f"        _ormolu_d[{k!r}] = {k}" for k in keys),
    )
    make = _build(source, f"<ormolu __init__ of {mapper.name}>", {})
    init, values = make(
        MISSING, slow_init, mapper.validated_values, frozenset(keys), *closure.values()
    )
    mapper.row_values = values
    init.__qualname__ = f"{mapper.cls.__qualname__}.__init__"
    init.__module__ = mapper.cls.__module__
    init.__doc__ = f"Build a {mapper.name}: keyword arguments, one per field (validated)."
    init.__ormolu_generated__ = True
    # what inspect.signature() shows: the fields, without the catch-all that only hands
    # unusual calls (relationships, unknown names) to the generic constructor
    sig = inspect.signature(init)
    init.__signature__ = sig.replace(
        parameters=[p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
    )
    return init


def _generic(mapper: Mapper, slow_init: Callable[[Any, dict[str, Any]], None]) -> Any:
    """The constructor of a model whose fields cannot all be parameters: every call goes
    through ``slow_init``; ``inspect.signature`` still lists the fields."""

    def __init__(self: Any, /, **kwargs: Any) -> None:
        slow_init(self, kwargs)

    __init__.__qualname__ = f"{mapper.cls.__qualname__}.__init__"
    __init__.__module__ = mapper.cls.__module__
    __init__.__doc__ = f"Build a {mapper.name}: keyword arguments, one per field (validated)."
    __init__.__ormolu_generated__ = True  # type: ignore[attr-defined]
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
    params += [
        inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=MISSING)
        for k in mapper.column_keys
        if not keyword.iskeyword(k)
    ]
    params.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    __init__.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return __init__


# -- the whole-result row loader --------------------------------------------------------

_MANY_SOURCE = """\
def make(session, mapper, cls, states, State, forget, PERSISTENT, STATE_KEY, fill_missing,
         keys, key_set, grouped, left_out):
    new = object.__new__
    get = states.get
    nkeys = len(keys)

    def load_all(rows):
        out = []
        append = out.append
        group = session.load_group if grouped else None
        for row in rows:
            {unpack} = row
            if {null_pk}:
                append(None)
                continue
            ident = (mapper, {pk})
            st = get(ident)
            if st is not None:
                obj = st()
                if obj is not None:
                    d = obj.__dict__
                    if len(d) <= nkeys or (grouped and not d.keys() >= key_set):
                        fill_missing(d, keys, row, 0, [])
                    if left_out is not None and st.left_out is not left_out:
                        # what it lacks of what this load left out loads as a batch
                        lo = st.left_out
                        if lo is None:
                            st.left_out = left_out
                        elif not left_out <= lo:
                            st.left_out = lo | left_out
                    if group is not None and st.group is not group:
                        st.group = group  # (its next lazy load batches with this result)
                        group.objs.append(obj)
                    append(obj)
                    continue
            obj = new(cls)
            st = State(obj, forget)
            st.session = session
            st.key = ident
            st.status = PERSISTENT
            st.modified = None
            st.to_delete = False
            st.group = None
            st.original = None
            st.left_out = left_out
            d = obj.__dict__
{stores}
            d[STATE_KEY] = st
            states[ident] = st
            if group is not None:
                st.group = group
                group.objs.append(obj)
            append(obj)
        return out

    return load_all
"""


def make_many_loader(
    mapper: Mapper, keys: tuple[str, ...]
) -> Callable[..., Callable[[list[Any]], list[Any]]]:
    """The source of the whole-result loader of ``mapper`` (see
    :func:`ormolu.orm.loading.build_loader_factory`, mode ``"many"``), compiled: a
    function ``make(session, mapper, cls, states, State, forget, PERSISTENT, STATE_KEY,
    fill_missing, keys, key_set, grouped, left_out)`` returning ``load_all(rows) ->
    objects``, for rows of the fields ``keys`` (the columns its entity loads).

    Each row (converted values, exactly the model's columns) is unpacked into locals
    stored into the instance dictionary one by one: about half the cost of
    ``dict(zip(keys, row))`` and setting ``__dict__``.
    """
    _identifiers(mapper)  # (keys is a subset of them)
    names = [f"v{i}" for i in range(len(keys))]
    pk_names = [names[keys.index(k)] for k in mapper.pk_keys]
    source = _MANY_SOURCE.format(
        unpack=", ".join(names) + ("," if len(names) == 1 else ""),
        null_pk=" or ".join(f"{n} is None" for n in pk_names),
        pk=pk_names[0] if len(pk_names) == 1 else "(" + ", ".join(pk_names) + ",)",
        stores="\n".join(f"            d[{k!r}] = {n}" for k, n in zip(keys, names)),
    )
    return _build(source, f"<ormolu loader of {mapper.name}>", {})  # type: ignore[no-any-return]
