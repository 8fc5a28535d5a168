"""The mapper: from a model class's annotations and ``field()`` calls to a table, columns,
validation rules and the data the loaders and the unit of work need."""

from __future__ import annotations

import enum
import functools
import sys
import types
import typing
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from ..exceptions import ConfigurationError, ValidationError
from ..schema import types as t
from ..schema.table import (
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Table,
    UniqueConstraint,
    check_identifier,
)
from ..sql.elements import ColumnRef, Expr, Key
from .attributes import Mapped
from .fields import MISSING, FieldInfo
from .relationships import Relationship, RelationshipInfo, configure_relationship
from .versioning import configure_version


def _sql_type(py: Any, info: FieldInfo, where: str) -> t.SQLType:
    if info.db_type is not None:
        return info.db_type  # type: ignore[no-any-return]
    origin = typing.get_origin(py) or py
    if py is bool:
        return t.Boolean()
    if py is int:
        return t.Integer()
    if py is float:
        return t.Float()
    if py is str:
        return t.String(info.max_length)
    if py is bytes:
        return t.Bytes()
    if py is Decimal:
        return t.Numeric(info.max_digits, info.decimal_places)
    storage = info.storage
    if storage is not None and py not in (datetime, date):
        raise ConfigurationError(f"{where}: storage= applies to datetime and date fields")
    try:
        if py is datetime:
            return t.DateTime(timezone=bool(info.timezone), storage=storage or "text")
        if py is date:
            return t.Date(storage=storage or "text")
    except ValueError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None
    if py is time:
        return t.Time()
    if py is timedelta:
        return t.Interval()
    if py is uuid.UUID:
        return t.Uuid()
    if isinstance(py, type) and issubclass(py, enum.Enum):
        return t.EnumType(py)
    if origin in (dict, list):
        return t.Json(origin)
    raise ConfigurationError(
        f"{where}: no column type for annotation {py!r}; use int, bool, float, str, bytes, "
        f"Decimal, datetime, date, time, timedelta, UUID, an Enum, dict or list, or db_type="
    )


def _unwrap(annotation: Any) -> tuple[Any, bool] | None:
    """``Mapped[X | None]`` → ``(X, True)``; ``None`` for annotations that are not fields."""
    origin = typing.get_origin(annotation)
    if origin is typing.ClassVar:
        return None
    if origin is Mapped:
        annotation = typing.get_args(annotation)[0]
    elif annotation is Mapped:
        raise ConfigurationError("Mapped needs a type: Mapped[int]")
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        if len(args) != 1:
            raise ConfigurationError(f"a field cannot be a union of types: {annotation!r}")
        return args[0], nullable
    return annotation, False


class FieldSpec:
    """One mapped field: its column, type and validation rules."""

    __slots__ = (
        "auto",
        "coerce",
        "column",
        "default",
        "default_factory",
        "has_rules",
        "info",
        "key",
        "model_name",
        "nullable",
        "type",
    )  # fmt: skip

    def __init__(self, key: str, column: Column, info: FieldInfo, model_name: str) -> None:
        self.key = key
        self.column = column
        self.type = column.type
        self.nullable = column.nullable
        self.info = info
        self.default = info.default
        self.default_factory = info.default_factory
        self.auto = False  # set for database-generated primary keys
        self.model_name = model_name
        self.coerce: Callable[[Any], Any] = column.type.coerce
        self.has_rules = any(
            getattr(info, n) not in (None, ())
            for n in ("ge", "gt", "le", "lt", "min_length", "choices", "validators")
        )

    def fail(self, value: Any, rule: str) -> ValidationError:
        """Build the ValidationError for ``value`` breaking ``rule``."""
        return ValidationError(self.model_name, self.key, value, rule)

    def validate(self, value: Any) -> Any:
        """Check and convert a user-supplied value; raise ValidationError."""
        if value is None:
            if self.nullable or self.auto:
                return None
            raise self.fail(value, "must not be None (field is not nullable)")
        try:
            value = self.coerce(value)
        except t.InvalidValue as exc:
            raise self.fail(value, str(exc)) from None
        if self.has_rules:
            value = self._check_rules(value)
        return value

    def _check_rules(self, value: Any) -> Any:
        info = self.info
        try:
            if info.ge is not None and not value >= info.ge:
                raise self.fail(value, f"must be >= {info.ge!r}")
            if info.gt is not None and not value > info.gt:
                raise self.fail(value, f"must be > {info.gt!r}")
            if info.le is not None and not value <= info.le:
                raise self.fail(value, f"must be <= {info.le!r}")
            if info.lt is not None and not value < info.lt:
                raise self.fail(value, f"must be < {info.lt!r}")
        except TypeError:
            raise self.fail(value, "cannot be compared with its bounds") from None
        if info.min_length is not None and len(value) < info.min_length:
            raise self.fail(value, f"shorter than min_length={info.min_length}")
        if info.choices is not None and value not in info.choices:
            raise self.fail(value, f"must be one of {list(info.choices)!r}")
        for fn in info.validators:
            name = getattr(fn, "__name__", "validator")
            try:
                result = fn(value)
            except (ValueError, TypeError) as exc:
                raise self.fail(value, f"{name}: {exc}") from None
            if result is False:
                raise self.fail(value, f"rejected by {name}")
            if result is not None and result is not True:
                value = result
        return value

    def make_default(self) -> Any:
        """The value for a constructor that did not name this field, or MISSING."""
        if self.default_factory is not None:
            return self.default_factory()
        if self.default is not MISSING:
            return self.default
        if self.nullable or self.auto:
            return None
        return MISSING


class EntityInfo:
    """What the SQL layer and the loaders see of a model (or of an alias of one): the
    columns a SELECT of it loads (``keys``, in column order: every field but the
    deferred ones, or the set loader options chose) and those it leaves out."""

    __slots__ = ("cache_key", "columns", "keys", "left_out", "mapper", "source", "variants")

    def __init__(
        self,
        mapper: Mapper,
        source: Any,
        columns: tuple[ColumnRef[Any], ...],
        keys: tuple[str, ...] | None = None,
    ) -> None:
        self.mapper = mapper
        self.source = source
        self.columns = columns
        self.keys: tuple[str, ...] = keys if keys is not None else tuple(c.key for c in columns)
        # the fields a load of this entity leaves out (None when it loads them all), which
        # its objects load on first access (see ormolu.orm.columns)
        left_out = frozenset(mapper.column_keys) - set(self.keys)
        self.left_out: frozenset[str] | None = left_out or None
        name = getattr(source, "name", None)
        self.cache_key: Key = ("E", id(mapper), name, None if keys is None else self.keys)
        self.variants: dict[frozenset[str], EntityInfo] = {}

    def column(self, key: str) -> ColumnRef[Any]:
        """The column expression of field ``key`` from this entity's source."""
        for k, c in zip(self.keys, self.columns):
            if k == key:
                return c
        col = self.mapper.fields[key].column
        if self.source is self.mapper.table:
            return col.ref
        return self.source.column(col.name)  # type: ignore[no-any-return]

    def all_columns(self) -> dict[str, ColumnRef[Any]]:
        """Every field's column expression by key, deferred ones included."""
        return {k: self.column(k) for k in self.mapper.column_keys}

    def with_keys(self, keys: Any) -> EntityInfo:
        """This entity loading the fields ``keys`` (the primary key always): a variant
        built once and kept, so its statements compile (and cache) alike."""
        wanted = frozenset(keys) | set(self.mapper.pk_keys)
        if wanted == set(self.keys):
            return self
        found = self.variants.get(wanted)
        if found is None:
            order = tuple(k for k in self.mapper.column_keys if k in wanted)
            cols = tuple(self.column(k) for k in order)
            found = self.variants[wanted] = EntityInfo(self.mapper, self.source, cols, order)
        return found


class Mapper:
    """The mapping of one model class to its table."""

    def __init__(
        self,
        cls: type,
        table_name: str | None,
        schema: str | None = None,
        naming: Callable[[str], str] | None = None,
    ) -> None:
        self.cls = cls
        self.name = cls.__name__
        self.fields: dict[str, FieldSpec] = {}
        # Relationships: declared here, resolved once every model they name exists.
        self.relationship_decls: dict[str, RelationshipInfo] = {}
        self.relationship_annotations: dict[str, Any] = {}
        self.resolved_relationships: dict[str, Relationship] = {}
        self.all_relationships: list[Relationship] = []  # with undeclared reverse sides
        self.many_to_one: list[Relationship] = []  # what a flush syncs foreign keys from
        self.relationship_keys: set[str] = set()  # foreign key fields they set
        self.secondary_refs: list[Relationship] = []  # many-to-manys touching this table
        self.eager_relationships: list[Relationship] = []  # lazy="selectin"/"joined"
        self.resolving: set[str] = set()
        # whether its objects may be journaled lazily (see ormolu.orm.state): not once
        # any relationship touches the model
        self.journal_lazily = True
        self.columns_configured = False
        self.configuring = False
        columns: list[Column] = []
        infos: dict[str, FieldInfo] = {}
        for key, raw_ann, module in _own_and_inherited_annotations(cls):
            if key.startswith("_"):
                continue
            raw = _class_value(cls, key)
            if isinstance(raw, RelationshipInfo):
                self.relationship_decls[key] = raw
                self.relationship_annotations[key] = raw_ann
                continue
            unwrapped = _unwrap(_evaluate(raw_ann, module, cls))
            if unwrapped is None:
                continue
            py, nullable = unwrapped
            info = raw if isinstance(raw, FieldInfo) else FieldInfo(default=raw)
            if info.validators is None:
                info.validators = ()
            where = f"{self.name}.{key}"
            type_ = _sql_type(py, info, where)
            fk = None
            if info.foreign_key:
                fk = ForeignKey(info.foreign_key, info.on_delete, info.on_update)
            col = Column(
                check_identifier(info.column or (naming(key) if naming else key), "column"),
                type_,
                key=key,
                nullable=nullable,
                primary_key=bool(info.primary_key),
                autoincrement=info.autoincrement,
                unique=bool(info.unique),
                index=bool(info.index),
                server_default=info.server_default,
                foreign_key=fk,
                check=info.check,
            )
            col.owner = self.name
            if info.primary_key and nullable:
                raise ConfigurationError(f"{where}: a primary key cannot be nullable")
            columns.append(col)
            infos[key] = info
        if not columns:
            raise ConfigurationError(f"{self.name} declares no fields")
        self.table = Table(table_name or (naming or _snake)(self.name), columns, schema)
        if not self.table.primary_key:
            raise ConfigurationError(
                f"{self.name} has no primary key; mark a field with field(primary_key=True)"
            )
        auto = self.table.autoincrement_column
        for col in columns:
            spec = FieldSpec(col.key, col, infos[col.key], self.name)
            spec.auto = col is auto
            self.fields[col.key] = spec
        self.columns = columns
        self.column_keys = tuple(c.key for c in columns)
        self.key_set = frozenset(self.column_keys)  # (to check a loaded object has them all)
        self.pk_keys = tuple(c.key for c in self.table.primary_key)
        self.pk_names = tuple(c.name for c in self.table.primary_key)
        self.auto_key = auto.key if auto is not None else None
        self.deferred_keys = frozenset(k for k in self.column_keys if infos[k].deferred)
        for k in self.deferred_keys:
            if infos[k].primary_key:
                raise ConfigurationError(
                    f"{self.name}.{k}: a primary key field cannot be deferred (every load "
                    f"needs it to know the object)"
                )
        # what a SELECT of the model loads: every field but the deferred ones
        self.load_keys = tuple(k for k in self.column_keys if k not in self.deferred_keys)
        self.entity = EntityInfo(
            self,
            self.table,
            tuple(self.fields[k].column.ref for k in self.load_keys),
            self.load_keys if self.deferred_keys else None,
        )
        # the same with every column (a RETURNING of all of them)
        self.full_entity = self.entity.with_keys(self.column_keys)
        # optimistic locking (orm/versioning.py) and the hook methods the class defines
        self.version_key = configure_version(self)
        self.hooks: frozenset[str] = frozenset()
        self.journal_lazily = not self.relationship_decls
        # validated_values of a mapping (replaced by a generated function, see
        # ormolu.orm.codegen.make_init)
        self.row_values: Callable[[Any], dict[str, Any]] = self.validated_values
        self.field_order = tuple(k for k in self.column_keys if infos[k].init is not False)
        self.repr_keys = tuple(k for k in self.column_keys if infos[k].repr is not False)
        self._table_args(getattr(cls, "__table_args__", ()))
        self.configured = False

    # -- relationships -------------------------------------------------------------------
    def relationship(self, key: str) -> Relationship:
        """The resolved relationship ``key`` (resolving the model's relationships first).

        Raises ConfigurationError when it cannot be resolved, AttributeError when the
        model has no such relationship."""
        rel = self.resolved_relationships.get(key)
        if rel is not None:
            return rel
        if key not in self.relationship_decls:
            raise AttributeError(f"{self.name} has no relationship {key!r}")
        return self.resolve_relationship(key)

    def resolve_relationship(self, key: str) -> Relationship:
        """Resolve one declared relationship (once)."""
        rel = self.resolved_relationships.get(key)
        if rel is not None:
            return rel
        if key in self.resolving:
            raise ConfigurationError(f"{self.name}.{key}: refers to itself while resolving")
        self.resolving.add(key)
        try:
            rel = Relationship(self, key, self.relationship_decls[key])
            configure_relationship(rel, self.relationship_annotations[key])
        finally:
            self.resolving.discard(key)
        return rel

    def _set_by_relationship(self, key: str) -> bool:
        """Whether foreign key field ``key`` may be left for a relationship to set at
        flush time (the flush raises ValidationError if none does)."""
        if key in self.relationship_keys:
            return True
        if self.fields[key].column.foreign_key is None and not any(
            key in [c.key for c in fkc.columns] for fkc in self.table.foreign_key_constraints
        ):
            return False
        from .registry import configure_pending

        configure_pending()
        return key in self.relationship_keys

    def register_relationship(self, rel: Relationship) -> None:
        """Record a resolved relationship (declared or an undeclared reverse side)."""
        if not rel.hidden:
            self.resolved_relationships[rel.key] = rel
        self.all_relationships.append(rel)
        self.journal_lazily = False
        if rel.direction == "many-to-one":
            self.many_to_one.append(rel)
            self.relationship_keys.update(rel.local_keys)
        if rel.direction == "many-to-many":
            for m in (rel.parent, rel.target):
                m.journal_lazily = False
                if not any(r.secondary is rel.secondary for r in m.secondary_refs):
                    m.secondary_refs.append(rel)
        if rel.lazy in ("selectin", "joined"):
            self.eager_relationships.append(rel)

    def _table_args(self, args: Any) -> None:
        for arg in args:
            if isinstance(arg, ForeignKeyConstraint):
                cols = []
                for f in arg.fields:
                    if f not in self.fields:
                        raise ConfigurationError(
                            f"{self.name}.__table_args__: ForeignKeyConstraint names no field {f!r}"
                        )
                    cols.append(self.fields[f].column)
                arg.columns = cols
                self.table.foreign_key_constraints.append(arg)
            elif isinstance(arg, Index | UniqueConstraint):
                cols = []
                for f in arg.fields:
                    if f not in self.fields:
                        raise ConfigurationError(f"{self.name}.__table_args__: no field {f!r}")
                    cols.append(self.fields[f].column)
                arg.columns = cols
                (self.table.indexes if isinstance(arg, Index) else self.table.uniques).append(arg)  # type: ignore[arg-type]
            elif isinstance(arg, CheckConstraint):
                cond = arg.condition
                rendered: Expr[Any] | str
                if isinstance(cond, str):
                    rendered = cond
                else:
                    # The class's descriptors are not installed yet: hand the condition an
                    # object whose attributes are the column expressions.
                    refs = {k: s.column.ref for k, s in self.fields.items()}
                    rendered = cond(types.SimpleNamespace(**refs))
                self.table.checks.append((arg.name, rendered))
            else:
                raise ConfigurationError(
                    f"{self.name}.__table_args__: expected Index, UniqueConstraint or "
                    f"CheckConstraint, got {arg!r}"
                )

    def validated_values(self, values: Any, deferred: Any = ()) -> dict[str, Any]:
        """Validate a mapping of field values as the constructor does: unknown names raise
        TypeError, bad values ValidationError; missing fields get their defaults (fields
        left to a server default, or ``deferred`` to a related object, are omitted)."""
        fields = self.fields
        out: dict[str, Any] = {}
        for name, value in values.items():
            spec = fields.get(name)
            if spec is None:
                raise TypeError(
                    f"{self.name}() got an unexpected keyword argument {name!r} "
                    f"(fields: {', '.join(fields)})"
                )
            if value is None or spec.has_rules:
                out[name] = spec.validate(value)
                continue
            try:  # FieldSpec.validate for the usual case, inlined (it runs for every value)
                out[name] = spec.coerce(value)
            except t.InvalidValue as exc:
                raise spec.fail(value, str(exc)) from None
        if len(out) == len(fields):
            return out
        for name, spec in fields.items():
            if name not in out:
                if (
                    spec.default is None
                    and spec.default_factory is None
                    and (spec.nullable or spec.auto)
                ):
                    out[name] = None  # the common case, as validate(None) would give it
                    continue
                value = spec.make_default()
                if value is MISSING:
                    if spec.column.server_default is not None or name in deferred:
                        continue  # the database (or a related object's key) fills it in
                    if self._set_by_relationship(name):
                        continue  # e.g. Album(title=...) about to go into artist.albums
                    raise spec.fail(None, "is required (no value and no default)")
                if value is None and not spec.nullable and self._set_by_relationship(name):
                    continue  # field(foreign_key=..., default=None) beside a relationship
                out[name] = spec.validate(value) if value is not None else spec.validate(None)
        return out

    @functools.cached_property
    def unique_sets(self) -> tuple[tuple[str, ...], ...]:
        """The field sets whose values no two rows of the table may share: the primary
        key, unique columns, unique constraints and unique indexes (computed once, after
        the table's constraints are known)."""
        table = self.table
        sets = [tuple(self.pk_keys)]
        sets += [(c.key,) for c in table.columns if c.unique and not c.primary_key]
        sets += [tuple(u.fields) for u in table.uniques]
        sets += [tuple(i.fields) for i in table.indexes if i.unique]
        return tuple(dict.fromkeys(s for s in sets if s))

    def identity_key(self, obj: Any) -> tuple[Any, ...] | None:
        """The identity-map key of ``obj`` from its primary key values (None if unknown)."""
        d = obj.__dict__
        if len(self.pk_keys) == 1:
            v = d.get(self.pk_keys[0])
            return None if v is None else (self, v)
        vals = tuple(d.get(k) for k in self.pk_keys)
        return None if any(v is None for v in vals) else (self, vals)


def _own_and_inherited_annotations(cls: type) -> list[tuple[str, Any, str]]:
    """(key, annotation as written, defining module) for every annotated attribute, base
    classes first; a subclass's annotation of the same key wins."""
    found: dict[str, tuple[str, Any, str]] = {}
    for base in reversed(cls.__mro__):
        own = base.__dict__.get("__annotations__", {})  # noqa: RUF063 (own, unevaluated)
        for k, ann in own.items():
            found.pop(k, None)
            found[k] = (k, ann, base.__module__)
    order: list[str] = []
    for base in reversed(cls.__mro__):
        for k in base.__dict__.get("__annotations__", {}):  # noqa: RUF063
            if k not in order:
                order.append(k)
    return [found[k] for k in order]


def _evaluate(annotation: Any, module: str, cls: type) -> Any:
    """Evaluate a string annotation (``from __future__ import annotations``) in the
    namespace of the module that wrote it, as ``typing.get_type_hints`` does."""
    if not isinstance(annotation, str):
        return annotation
    mod = sys.modules.get(module)
    ns = dict(vars(mod)) if mod is not None else {}
    ns.setdefault(cls.__name__, cls)
    try:
        return eval(annotation, ns)
    except NameError as exc:
        raise ConfigurationError(f"{cls.__name__}: cannot resolve an annotation: {exc}") from None


def _class_value(cls: type, key: str) -> Any:
    from .related import RelationshipAttribute

    for base in cls.__mro__:
        if key in base.__dict__:
            value = base.__dict__[key]
            if isinstance(value, Mapped):
                return value.mapper.fields[key].info
            if isinstance(value, RelationshipAttribute):
                return value.mapper.relationship_decls[key]
            return value
    return MISSING


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


Validator = Callable[[Any], Any]
