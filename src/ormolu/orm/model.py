"""``Model``: the base class of mapped classes — the one place with class-level magic.

Subclassing runs ``__init_subclass__``, which builds a :class:`~ormolu.orm.mapper.Mapper`
from the annotations, replaces each ``field()`` with a :class:`Mapped` descriptor and
installs a constructor generated for the fields (:mod:`ormolu.orm.codegen`).
``dataclass_transform`` (PEP 681) tells type checkers about the keyword-only constructor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, dataclass_transform

from ..exceptions import ConfigurationError
from ..schema.table import Table
from ..schema.types import InvalidValue, Json
from .attributes import Mapped
from .codegen import make_init
from .fields import MISSING, FieldInfo, field
from .hooks import hooks_of
from .mapper import EntityInfo, Mapper
from .mutable import JsonMapped, json_coerce
from .naming import resolve as resolve_naming
from .registry import configure, register
from .related import RelationshipAttribute
from .relationships import MANY_TO_ONE
from .state import DETACHED, STATE_KEY
from .sync import set_relationship


@dataclass_transform(kw_only_default=True, eq_default=False, field_specifiers=(field, FieldInfo))
class Model:
    """Base class of models. Keyword arguments of the class statement:

    * ``table``: the table name (default: the class name by the naming convention,
      snake_case unless a base class says otherwise); a dot is refused (use ``schema``);
    * ``schema``: the schema holding the table (a PostgreSQL schema, a MySQL/MariaDB
      database, an SQLite attached database); inherited from a base class;
    * ``naming``: the naming convention of this class and the models below it
      (``"snake_case"``, ``"PascalCase"``, ``"camelCase"``, ``"preserve"`` or a function;
      see :mod:`ormolu.orm.naming`); inherited;
    * ``abstract=True``: a base holding shared fields (and ``schema``/``naming``), mapped
      by its subclasses only.

    Example::

        class Artist(Model, table="Artist"):
            id: Mapped[int] = field(primary_key=True, column="ArtistId", default=None)
            name: Mapped[str | None] = field(max_length=120, column="Name", default=None)

    Construction validates every value (raising :class:`~ormolu.exceptions.ValidationError`
    naming model, field, value and rule) and fills defaults; unknown keywords raise
    ``TypeError``. Objects compare by identity: within a session one row is one object.
    """

    __mapper__: ClassVar[Mapper]
    __table__: ClassVar[Table]
    __table_args__: ClassVar[tuple[Any, ...]] = ()

    def __init_subclass__(
        cls,
        *,
        table: str | None = None,
        abstract: bool = False,
        schema: str | None = None,
        naming: str | Callable[[str], str] | None = None,
        **kw: Any,
    ) -> None:
        super().__init_subclass__(**kw)
        convention = resolve_naming(naming)
        if convention is not None:
            cls.__ormolu_naming__ = staticmethod(convention)  # type: ignore[attr-defined]
        if schema is not None:
            cls.__ormolu_schema__ = schema  # type: ignore[attr-defined]
        if abstract:
            return
        inherited = getattr(cls, "__ormolu_naming__", None)
        mapper = Mapper(cls, table, getattr(cls, "__ormolu_schema__", None), inherited)
        for key in mapper.column_keys:
            spec = mapper.fields[key]
            # (JSON fields: reads hand out documents that track changes made in place)
            if isinstance(spec.type, Json):
                spec.coerce = json_coerce(spec.coerce)
                setattr(cls, key, JsonMapped(key, spec.column.ref, mapper))
            else:
                setattr(cls, key, Mapped(key, spec.column.ref, mapper))
        for key in mapper.relationship_decls:
            setattr(cls, key, RelationshipAttribute(key, mapper))
        cls.__mapper__ = mapper
        cls.__table__ = mapper.table
        mapper.hooks = hooks_of(cls, Model)
        # A constructor generated for the fields (see orm/codegen.py), unless the class
        # (or a model it extends) defines its own __init__.
        if getattr(cls.__init__, "__ormolu_generated__", False) or cls.__init__ is Model.__init__:
            cls.__init__ = make_init(mapper, _generic_init)  # type: ignore[method-assign]
        register(mapper)
        configure(mapper, partial=True)  # bind foreign keys to models already defined

    def __init__(self, **kwargs: Any) -> None:
        _generic_init(self, kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        spec = self.__mapper__.fields.get(name)
        if spec is None:
            if name in self.__mapper__.relationship_decls:
                set_relationship(self, name, value)
                return
            object.__setattr__(self, name, value)
            return
        if value is None or spec.has_rules:
            value = spec.validate(value)
        else:
            try:  # FieldSpec.validate for the usual case, inlined (it runs on every set)
                value = spec.coerce(value)
            except InvalidValue as exc:
                raise spec.fail(value, str(exc)) from None
        d = self.__dict__
        state = d.get(STATE_KEY)
        if state is not None:
            m = state.modified
            session = state.session
            if m is not None and m is state.original and session is not None:
                # Journaled lazily and not flushed since its first set (see
                # ormolu.core.journal): one dict holds both the values to restore and
                # those the UPDATE replaces, so recording the old value once does both.
                if name not in m:
                    if name in self.__mapper__.pk_keys:
                        session.touch(self)  # a full entry before the key changes
                    m[name] = d.get(name, MISSING)
            elif session is not None:
                session.record_set(self, state, name, d.get(name, MISSING))
            elif state.status == DETACHED:
                # a change to a detached object: written when it is added to a session
                if m is None:
                    state.modified = {name: d.get(name, MISSING)}
                elif name not in m:
                    m[name] = d.get(name, MISSING)
        d[name] = value

    # -- hooks: the flush calls these for each object it writes (see docs/hooks.md) ------
    def before_insert(self) -> None:
        """Called by the flush before this object's INSERT (nothing by default). It may
        change the object (the INSERT writes the new values) and add, change or delete
        other objects (written by the same flush). Raising fails the flush: nothing of it
        is written and every object is as it was before the flush."""

    def after_insert(self) -> None:
        """Called by the flush after its statements, for each object it inserted (the
        object has its generated key). Changes made here are written by a further round
        of the same ``flush()``; raising fails the flush (nothing of it is written)."""

    def before_update(self) -> None:
        """Called by the flush before this object's UPDATE, for each persistent object
        with changed attributes (also when the changes turn out equal to the stored
        values). Changes to the object go into the same UPDATE; see
        :meth:`before_insert` for the rest."""

    def after_update(self) -> None:
        """Called by the flush after its statements, for each object :meth:`before_update`
        was called for; see :meth:`after_insert`."""

    def before_delete(self) -> None:
        """Called by the flush before this object's DELETE; see :meth:`before_insert`."""

    def after_delete(self) -> None:
        """Called by the flush after its statements, for each object it deleted; see
        :meth:`after_insert`."""

    def __repr__(self) -> str:
        d = self.__dict__
        shown = ", ".join(f"{k}={d[k]!r}" for k in self.__mapper__.repr_keys if k in d)
        return f"{type(self).__name__}({shown})"

    @classmethod
    def from_pydantic(cls: type[M], obj: Any, /, **overrides: Any) -> M:
        """A new object from a pydantic model instance: its fields by name, then
        ``overrides`` (``Article.from_pydantic(payload, author_id=user.id)``); a nested
        pydantic object under a relationship becomes an object of the related model.
        Validates as the constructor does (ValidationError naming model, field and
        value; TypeError for a name that is no field of the model or for ``obj`` not
        being a pydantic model). Needs the ``pydantic`` extra."""
        from ..pydantic import from_pydantic

        return from_pydantic(cls, obj, overrides)  # type: ignore[no-any-return]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """pydantic v2's hook: a model is a pydantic type (``TypeAdapter(Track)``, a
        FastAPI ``response_model``); see :func:`ormolu.pydantic.core_schema_for`. pydantic
        is imported here, on first use, never by ``import ormolu``."""
        from ..pydantic import core_schema_for

        return core_schema_for(cls, handler)

    @classmethod
    def __ormolu_entity__(cls) -> EntityInfo:
        mapper = cls.__mapper__
        if not mapper.configured:
            configure(mapper)
        return mapper.entity


M = TypeVar("M", bound="Model")


def _generic_init(obj: Model, kwargs: dict[str, Any]) -> None:
    """The constructor for any call (the generated ones hand it their unusual calls)."""
    mapper = obj.__mapper__
    if mapper.relationship_decls and not mapper.relationship_decls.keys().isdisjoint(kwargs):
        _init_with_relationships(obj, mapper, kwargs)
        return
    obj.__dict__.update(mapper.validated_values(kwargs))


def _init_with_relationships(obj: Model, mapper: Mapper, kwargs: dict[str, Any]) -> None:
    """The constructor given related objects: ``Album(title=..., artist=acdc)``. A
    foreign key a related object will provide need not be given."""
    rels = {k: kwargs.pop(k) for k in list(kwargs) if k in mapper.relationship_decls}
    deferred: set[str] = set()
    for key, value in rels.items():
        rel = mapper.relationship(key)
        if rel.direction == MANY_TO_ONE and value is not None:
            deferred.update(k for k in rel.local_keys if k not in kwargs)
    obj.__dict__.update(mapper.validated_values(kwargs, deferred))
    for key, value in rels.items():
        setattr(obj, key, value)


class AliasedModel:
    """A model under a table alias, for self-joins; see :func:`aliased`."""

    def __init__(self, model: type[Model], name: str) -> None:
        from ..sql.selectable import Alias

        mapper = model.__mapper__
        configure(mapper)
        self._model = model
        self._alias = Alias(mapper.table, name)
        self._columns = {c.key: self._alias.column(c.name) for c in mapper.columns}
        keys = mapper.load_keys  # (deferred fields stay out of its SELECTs too)
        self._entity = EntityInfo(
            mapper,
            self._alias,
            tuple(self._columns[k] for k in keys),
            keys if mapper.deferred_keys else None,
        )

    def __getattr__(self, key: str) -> Any:
        try:
            return self._columns[key]
        except KeyError:
            raise AttributeError(f"{self._model.__name__} has no field {key!r}") from None

    def __ormolu_entity__(self) -> EntityInfo:
        return self._entity

    def __repr__(self) -> str:
        return f"aliased({self._model.__name__}, {self._alias.name!r})"


def aliased(model: type[M], name: str | None = None) -> type[M]:
    """``model`` under another name, to use one table twice in a query (self-joins).

    Example::

        manager = aliased(Employee, "manager")
        session.query(Employee.last_name, manager.last_name).join(
            manager, Employee.reports_to == manager.id)

    The result is typed as the model class so attribute access type-checks.
    """
    if not (isinstance(model, type) and issubclass(model, Model)):
        raise ConfigurationError(f"aliased() takes a model class, got {model!r}")
    return AliasedModel(model, name or f"{model.__mapper__.table.name}_1")  # type: ignore[return-value]
