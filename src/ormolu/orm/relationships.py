"""Relationships: their declaration (``relationship()``, ``many_to_many()``), their
resolution into foreign-key pairs once every model is defined, and the class attribute
that stands for them in queries (``Album.artist.has(...)``, ``join(Artist.albums)``).

Terms (SQLAlchemy's): a *many-to-one* relationship reads the foreign key columns of its
own table (``Album.artist`` through ``Album.artist_id``); a *one-to-many* reads the
foreign key of the target table (``Artist.albums`` through ``Album.artist_id``; a scalar
one-to-many is the reverse side of a one-to-one); a *many-to-many* goes through an
association table (declared as a model, or created automatically).
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError, InvalidRequestError
from ..schema.table import Column, ForeignKey, Table
from ..schema.types import Integer
from ..sql.elements import Expr, and_

if TYPE_CHECKING:
    from .mapper import Mapper

MANY_TO_ONE = "many-to-one"
ONE_TO_MANY = "one-to-many"
MANY_TO_MANY = "many-to-many"
LAZY_MODES = ("select", "selectin", "joined", "raise")


class RelationshipInfo:
    """Everything said in a ``relationship(...)`` / ``many_to_many(...)`` call."""

    __slots__ = (
        "back_populates", "cascade", "foreign_key", "lazy", "many", "order_by",
        "post_update", "through",
    )  # fmt: skip

    back_populates: str | None
    cascade: str | None
    foreign_key: str | Sequence[str] | None
    lazy: str | None
    many: bool | None
    order_by: Any
    post_update: bool | None
    through: Any

    def __init__(self, **kw: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, kw.get(name))


def relationship(
    *,
    back_populates: str | None = None,
    foreign_key: str | Sequence[str] | None = None,
    lazy: str = "select",
    cascade: str | None = None,
    order_by: Any = None,
    post_update: bool = False,
) -> Any:
    """Declare a relationship to another model; its kind follows from the annotation and
    the foreign keys between the two tables.

    * ``artist: Mapped[Artist] = relationship()`` beside ``artist_id = field(foreign_key=
      "Artist.id")``: many-to-one (``Mapped[Artist | None]`` when the key is nullable);
    * ``albums: Mapped[list[Album]] = relationship(back_populates="artist")``: one-to-many;
    * ``profile: Mapped[Profile | None] = relationship(back_populates="user")`` where
      ``Profile`` holds a unique ``user_id``: the reverse side of a one-to-one.

    Parameters:
        back_populates: the relationship of the other model that mirrors this one; both
            sides are kept in sync in memory.
        foreign_key: which foreign key field(s) to use (on either model) when several
            link the two tables, e.g. ``foreign_key="billing_address_id"``.
        lazy: how an unloaded relationship loads when read: ``"select"`` (default:
            on first access, for every object of the same query result in one
            statement), ``"selectin"`` / ``"joined"`` (eagerly, with every query of the
            model), ``"raise"`` (never implicitly: reading it raises LazyLoadError).
        cascade: ``"save-update"`` (default: related objects are added with their
            parent), ``"all"`` (also delete them with the parent), ``"all,
            delete-orphan"`` (also delete a child removed from the collection).
        order_by: ordering of a collection (an expression or a tuple of them).
        post_update: set this many-to-one foreign key with a second UPDATE after both
            rows exist, which lets two new rows point at each other.

    Mistakes (unknown model, no or several foreign keys, mismatched ``back_populates``)
    raise :class:`~ormolu.exceptions.ConfigurationError` when the model is first used,
    saying what to write.
    """
    if lazy not in LAZY_MODES:
        raise ConfigurationError(f"relationship(lazy={lazy!r}): use one of {LAZY_MODES}")
    return RelationshipInfo(
        back_populates=back_populates, foreign_key=foreign_key, lazy=lazy,
        cascade=cascade, order_by=order_by, post_update=post_update, many=False,
    )  # fmt: skip


def many_to_many(
    *,
    through: Any = None,
    back_populates: str | None = None,
    foreign_key: Sequence[str] | None = None,
    lazy: str = "select",
    order_by: Any = None,
) -> Any:
    """Declare a many-to-many relationship: ``tracks: Mapped[list[Track]] =
    many_to_many(through=PlaylistTrack)``.

    ``through`` is the association model (or its name) holding a foreign key to each
    side, possibly with more columns; without it ormolu creates an association table
    named ``<table>_<attribute>`` whose primary key is both foreign keys (with ON DELETE
    CASCADE), columns named after the models (``playlist_id``, ``track_id``), and
    ``create_all`` creates it. ``foreign_key=("playlist_id", "track_id")`` names the
    association's two key fields (this side's first) when that is ambiguous, as in a
    self-referential many-to-many; without ``through`` it names the automatic table's
    columns (e.g. to keep an older database's ``playlists_id``). Appending to or removing
    from the collection inserts or deletes association rows at the next flush.
    """
    if lazy not in LAZY_MODES:
        raise ConfigurationError(f"many_to_many(lazy={lazy!r}): use one of {LAZY_MODES}")
    return RelationshipInfo(
        through=through, back_populates=back_populates, foreign_key=foreign_key, lazy=lazy,
        order_by=order_by, many=True, cascade=None, post_update=False,
    )  # fmt: skip


class Relationship:
    """A resolved relationship: which columns pair with which.

    ``local_keys`` are attribute keys of the parent model, ``remote_keys`` of the target:
    for many-to-one the foreign key fields and the referenced fields; for one-to-many the
    referenced fields and the target's foreign key fields; for many-to-many the two
    primary keys, linked through ``secondary`` columns ``sec_local``/``sec_remote``.
    """

    def __init__(self, parent: Mapper, key: str, info: RelationshipInfo) -> None:
        self.parent = parent
        self.key = key
        self.info = info
        self.target: Mapper = None  # type: ignore[assignment]
        self.direction = ""
        self.uselist = False
        self.local_keys: tuple[str, ...] = ()
        self.remote_keys: tuple[str, ...] = ()
        self.secondary: Table | None = None
        self.secondary_model: Mapper | None = None  # an explicit association model
        self.sec_local: tuple[Column, ...] = ()
        self.sec_remote: tuple[Column, ...] = ()
        self.back: Relationship | None = None
        self.hidden = False  # an undeclared reverse side kept for bookkeeping
        self.lazy = info.lazy or "select"
        cascade = {c.strip() for c in (info.cascade or "save-update").split(",")}
        unknown = cascade - {"save-update", "all", "delete", "delete-orphan", ""}
        if unknown:
            raise ConfigurationError(
                f"{parent.name}.{key}: unknown cascade {', '.join(sorted(unknown))!r}; use "
                f"'save-update', 'all', 'delete' or 'all, delete-orphan'"
            )
        self.cascade_delete = bool(cascade & {"all", "delete"})
        self.delete_orphan = "delete-orphan" in cascade
        self.post_update = bool(info.post_update)
        self.nullable = True  # many-to-one: whether the foreign key columns allow NULL
        self.configured = False
        # the SELECT of the target a select-in load adds its IN condition to (built on
        # first use, see ormolu.orm.strategies.selectin_load; statements never change)
        self.selectin_base: Any = None

    @property
    def name(self) -> str:
        """``Model.attribute``, for messages."""
        return f"{self.parent.name}.{self.key}"

    def __repr__(self) -> str:
        return f"<Relationship {self.name} {self.direction} {self.target.name}>"

    def target_pk_lookup(self) -> bool:
        """Whether the remote keys of a many-to-one are the target's primary key (so the
        identity map can answer without SQL)."""
        return self.direction == MANY_TO_ONE and self.remote_keys == self.target.pk_keys

    def order_by_exprs(self) -> tuple[Any, ...]:
        """The collection's ORDER BY terms (default: the target's primary key)."""
        ob = self.info.order_by
        if ob is None:
            return tuple(self.target.fields[k].column.ref for k in self.target.pk_keys)
        return tuple(ob) if isinstance(ob, tuple | list) else (ob,)

    # -- SQL conditions -------------------------------------------------------------------
    def condition(self, parent_cols: dict[str, Any], target_cols: dict[str, Any]) -> Expr[bool]:
        """The join condition between parent and target columns (dicts key -> column
        expression, so aliases work). Not for many-to-many (see :meth:`secondary_joins`)."""
        if self.direction == MANY_TO_MANY:
            raise InvalidRequestError(f"{self.name} is many-to-many: join through secondary")
        terms = [
            parent_cols[lk] == target_cols[rk] for lk, rk in zip(self.local_keys, self.remote_keys)
        ]
        return terms[0] if len(terms) == 1 else and_(*terms)

    def secondary_conditions(
        self, parent_cols: dict[str, Any], target_cols: dict[str, Any]
    ) -> tuple[Expr[bool], Expr[bool]]:
        """(parent = secondary, secondary = target) conditions of a many-to-many."""
        assert self.secondary is not None
        left = [parent_cols[k] == c.ref for k, c in zip(self.local_keys, self.sec_local)]
        right = [c.ref == target_cols[k] for k, c in zip(self.remote_keys, self.sec_remote)]
        return (
            left[0] if len(left) == 1 else and_(*left),
            right[0] if len(right) == 1 else and_(*right),
        )


def columns_of(entity: Any) -> dict[str, Any]:
    """Column expressions by attribute key of a model or an aliased model."""
    return entity.__ormolu_entity__().all_columns()  # type: ignore[no-any-return]


# -- resolution ------------------------------------------------------------------------
def _fk_groups(table: Table) -> list[tuple[tuple[Column, ...], tuple[Column, ...]]]:
    """Foreign keys of ``table`` as (referencing columns, referenced columns)."""
    out: list[tuple[tuple[Column, ...], tuple[Column, ...]]] = []
    for c in table.columns:
        fk = c.foreign_key
        if fk is not None and fk.column is not None:
            out.append(((c,), (fk.column,)))
    for fkc in table.foreign_key_constraints:
        if fkc.referenced is not None:
            out.append((tuple(fkc.columns), tuple(fkc.referenced)))
    return out


def _links(src: Table, dst: Table) -> list[tuple[tuple[Column, ...], tuple[Column, ...]]]:
    return [g for g in _fk_groups(src) if g[1][0].table is dst]


def _describe(links: list[tuple[tuple[Column, ...], tuple[Column, ...]]]) -> str:
    return ", ".join(
        "(" + ", ".join(c.key for c in cols) + ")" if len(cols) > 1 else cols[0].key
        for cols, _ in links
    )


def _wanted_keys(fk: Any) -> tuple[str, ...] | None:
    if fk is None:
        return None
    return (fk,) if isinstance(fk, str) else tuple(fk)


def _eval_annotation(rel: Relationship, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    from .registry import all_mappers

    ns: dict[str, Any] = {m.name: m.cls for m in all_mappers()}
    module = sys.modules.get(rel.parent.cls.__module__)
    if module is not None:
        ns.update(vars(module))
    ns.setdefault(rel.parent.name, rel.parent.cls)
    try:
        return eval(raw, ns)  # the class's own annotation text, as typing.get_type_hints does
    except NameError as exc:
        raise ConfigurationError(
            f"{rel.name}: unknown model in annotation {raw!r} ({exc}); define that model "
            f"(in any module) before the first query"
        ) from None


def _target_of(rel: Relationship, raw: Any) -> tuple[type, bool, bool]:
    """(target class, uselist, optional) from ``Mapped[X]`` / ``Mapped[X | None]`` /
    ``Mapped[list[X]]``."""
    from .attributes import Mapped

    ann = _eval_annotation(rel, raw)
    if typing.get_origin(ann) is Mapped:
        ann = typing.get_args(ann)[0]
    if isinstance(ann, typing.ForwardRef):  # Mapped["Artist"] without __future__ annotations
        ann = _eval_annotation(rel, ann.__forward_arg__)
    optional = False
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        optional = len(args) < len(typing.get_args(ann))
        ann = args[0] if len(args) == 1 else None
    uselist = False
    if typing.get_origin(ann) is list:
        uselist = True
        ann = typing.get_args(ann)[0] if typing.get_args(ann) else None
        if isinstance(ann, typing.ForwardRef):
            ann = ann.__forward_arg__
        if isinstance(ann, str):
            ann = _eval_annotation(rel, ann)
    if not (isinstance(ann, type) and hasattr(ann, "__mapper__")):
        raise ConfigurationError(
            f"{rel.name}: a relationship is annotated Mapped[Model], Mapped[Model | None] or "
            f"Mapped[list[Model]]; got {raw!r}"
        )
    return ann, uselist, optional


def configure_relationship(rel: Relationship, raw_annotation: Any) -> None:
    """Resolve ``rel``: target model, direction and column pairs; link back_populates.

    Raises ConfigurationError saying what to write when it cannot be resolved.
    """
    if rel.configured:
        return
    from .registry import configure, find_model

    target_cls, uselist, _optional = _target_of(rel, raw_annotation)
    parent = rel.parent
    target: Mapper = target_cls.__mapper__  # type: ignore[attr-defined]
    configure(parent, relationships=False)
    configure(target, relationships=False)
    rel.target, rel.uselist = target, uselist
    info = rel.info
    wanted = _wanted_keys(info.foreign_key)
    if wanted is None and info.back_populates and not info.many:
        # one side naming the foreign key is enough for both
        partner_decl = target.relationship_decls.get(info.back_populates)
        if partner_decl is not None:
            wanted = _wanted_keys(partner_decl.foreign_key)
    if info.many or info.through is not None:
        if not uselist:
            raise ConfigurationError(f"{rel.name}: a many-to-many is annotated Mapped[list[...]]")
        _configure_m2m(rel, find_model)
    else:
        out_links = _links(parent.table, target.table)  # parent -> target: many-to-one
        in_links = _links(target.table, parent.table)  # target -> parent: one-to-many
        if wanted is not None:
            out = [g for g in out_links if tuple(c.key for c in g[0]) == wanted]
            inn = [g for g in in_links if tuple(c.key for c in g[0]) == wanted]
            if parent is target:
                inn = [] if not uselist else inn
                out = [] if uselist else out
            if not out and not inn:
                raise ConfigurationError(
                    f"{rel.name}: foreign_key={info.foreign_key!r} is not a foreign key between "
                    f"{parent.name} and {target.name} (foreign keys: "
                    f"{_describe(out_links + in_links) or 'none'})"
                )
            link, direction = (out[0], MANY_TO_ONE) if out else (inn[0], ONE_TO_MANY)
        else:
            if parent is target:
                candidates = out_links
                direction = ONE_TO_MANY if uselist else MANY_TO_ONE
            elif uselist:
                candidates, direction = in_links, ONE_TO_MANY
                if not in_links and out_links:
                    raise ConfigurationError(
                        f"{rel.name}: {parent.name} holds the foreign key "
                        f"{_describe(out_links)} to {target.name}, so this side is "
                        f"many-to-one: annotate it Mapped[{target.name}] (or "
                        f"Mapped[{target.name} | None])"
                    )
            elif out_links and in_links:
                raise ConfigurationError(
                    f"{rel.name}: foreign keys run both ways between {parent.name} and "
                    f"{target.name}; say which one with relationship(foreign_key=...) (one of "
                    f"{_describe(out_links + in_links)})"
                )
            else:
                candidates = out_links or in_links
                direction = MANY_TO_ONE if out_links else ONE_TO_MANY
            if not candidates:
                holder = target.name if direction == ONE_TO_MANY else parent.name
                other = parent if direction == ONE_TO_MANY else target
                pk = other.pk_keys[0]
                raise ConfigurationError(
                    f"{rel.name}: no foreign key links {holder} to {other.name}; declare one, "
                    f"e.g. {holder}.{_snake(other.name)}_{pk}: Mapped[...] = "
                    f'field(foreign_key="{other.name}.{pk}")'
                )
            if len(candidates) > 1:
                raise ConfigurationError(
                    f"{rel.name}: several foreign keys link {parent.name} and {target.name} "
                    f"({_describe(candidates)}); say which with relationship(foreign_key="
                    f"{candidates[0][0][0].key!r})"
                )
            link = candidates[0]
        fk_cols, ref_cols = link
        rel.direction = direction
        if direction == MANY_TO_ONE:
            if uselist:
                raise ConfigurationError(
                    f"{rel.name}: {parent.name} holds the foreign key "
                    f"{_describe([link])}, so this side is many-to-one: annotate it "
                    f"Mapped[{target.name}] (or Mapped[{target.name} | None])"
                )
            rel.local_keys = tuple(c.key for c in fk_cols)
            rel.remote_keys = tuple(c.key for c in ref_cols)
            rel.nullable = all(c.nullable for c in fk_cols)
        else:
            rel.local_keys = tuple(c.key for c in ref_cols)
            rel.remote_keys = tuple(c.key for c in fk_cols)
            rel.nullable = all(c.nullable for c in fk_cols)
            fk = fk_cols[0].foreign_key
            if fk is not None and fk.on_delete == "CASCADE":
                rel.cascade_delete = True  # mirror the database's ON DELETE CASCADE
    rel.configured = True
    _link_back(rel)
    parent.register_relationship(rel)


def _configure_m2m(rel: Relationship, find_model: Any) -> None:
    from .registry import auto_secondary

    parent, target, info = rel.parent, rel.target, rel.info
    rel.direction = MANY_TO_MANY
    rel.local_keys, rel.remote_keys = parent.pk_keys, target.pk_keys
    wanted = _wanted_keys(info.foreign_key)
    through = info.through
    if through is None:
        if info.back_populates is not None:
            partner = target.relationship_decls.get(info.back_populates)
            if partner is not None and partner.through is not None:
                raise ConfigurationError(
                    f"{rel.name}: its back_populates {target.name}.{info.back_populates} goes "
                    f"through a model; give both sides the same through="
                )
        table, swapped = auto_secondary(rel)
        n = len(target.pk_keys if swapped else parent.pk_keys)
        cols = tuple(table.columns)
        left, right = (cols[n:], cols[:n]) if swapped else (cols[:n], cols[n:])
        if wanted is not None and tuple(c.name for c in (*left, *right)) != wanted:
            raise ConfigurationError(
                f"{rel.name}: foreign_key={wanted!r}, but its automatic association table "
                f"{table.name!r} has the columns {tuple(c.name for c in (*left, *right))!r} "
                f"(this side's first): give both sides the same names, or none"
            )
        rel.secondary, rel.sec_local, rel.sec_remote = table, left, right
        return
    if isinstance(through, str):
        sec_mapper = find_model(through, parent)
    elif isinstance(through, type) and hasattr(through, "__mapper__"):
        sec_mapper = through.__mapper__
    else:
        raise ConfigurationError(f"{rel.name}: through= takes an association model or its name")
    from .registry import configure

    configure(sec_mapper, relationships=False)
    table = sec_mapper.table
    to_parent = _links(table, parent.table)
    to_target = _links(table, target.table)
    if wanted is not None:
        if len(wanted) != 2:
            raise ConfigurationError(
                f"{rel.name}: foreign_key= names the association's two key fields, this "
                f"side's first: foreign_key=('{_snake(parent.name)}_id', "
                f"'{_snake(target.name)}_id')"
            )
        lp = [g for g in to_parent if tuple(c.key for c in g[0]) == (wanted[0],)]
        rp = [g for g in to_target if tuple(c.key for c in g[0]) == (wanted[1],)]
        if not lp or not rp:
            raise ConfigurationError(
                f"{rel.name}: {sec_mapper.name} has no foreign keys {wanted!r} to "
                f"{parent.name} and {target.name}"
            )
        to_parent, to_target = lp, rp
    elif parent is target:
        raise ConfigurationError(
            f"{rel.name}: a self-referential many-to-many must say which key is which: "
            f"many_to_many(through={sec_mapper.name}, foreign_key=(<this side>, <other side>)) "
            f"from {_describe(to_parent)}"
        )
    for links, other in ((to_parent, parent), (to_target, target)):
        if len(links) != 1:
            raise ConfigurationError(
                f"{rel.name}: {sec_mapper.name} needs exactly one foreign key to "
                f"{other.name}, found {_describe(links) or 'none'}; name them with "
                f"foreign_key=(<to {parent.name}>, <to {target.name}>)"
            )
    rel.secondary = table
    rel.secondary_model = sec_mapper
    rel.sec_local = to_parent[0][0]
    rel.sec_remote = to_target[0][0]
    rel.local_keys = tuple(c.key for c in to_parent[0][1])
    rel.remote_keys = tuple(c.key for c in to_target[0][1])


def make_secondary_table(rel: Relationship, name: str) -> Table:
    """The automatic association table of a many-to-many: both primary keys, each a
    foreign key with ON DELETE CASCADE, together the primary key.

    Columns are named after the model in snake case and the key column: ``article_id``
    and ``tag_id`` for ``Article.tags`` even when the tables are named ``articles`` and
    ``tags`` (a column holds one article). A self-referential one prefixes the second
    with the attribute: ``user_id``, ``followers_user_id``. (Before, the table's name was
    the prefix, ``articles_id``; a database created so keeps working with the columns
    renamed by a migration, or ``foreign_key=("articles_id", "tags_id")`` naming them.)
    ``foreign_key=`` names the two columns (this side's first) where both keys are single
    columns; ConfigurationError otherwise."""
    parent, target = rel.parent, rel.target
    cols: list[Column] = []
    used: set[str] = set()
    names = _wanted_keys(rel.info.foreign_key)
    if names is not None and (
        len(names) != 2 or len(parent.pk_keys) != 1 or len(target.pk_keys) != 1
    ):
        raise ConfigurationError(
            f"{rel.name}: foreign_key= names the automatic association table's two columns, "
            f"this side's first, e.g. foreign_key=('{_snake(parent.name)}_id', "
            f"'{_snake(target.name)}_id') (for single-column primary keys; declare a "
            f"through= model for composite ones)"
        )
    for n, side in enumerate((parent, target)):
        prefix = _snake(side.name)
        if n == 1 and parent is target:
            prefix = f"{rel.key}_{prefix}"
        for k in side.pk_keys:
            col = side.fields[k].column
            cname = f"{prefix}_{col.name}" if names is None else names[n]
            if cname in used:
                cname = f"{rel.key}_{cname}"
            used.add(cname)
            fk = ForeignKey(f"{side.table.name}.{col.name}", "CASCADE")
            fk.column = col
            type_ = col.type if not isinstance(col.type, Integer) else Integer()
            cols.append(Column(cname, type_, nullable=False, primary_key=True, foreign_key=fk))
            cols[-1].autoincrement = False
    return Table(name, cols)


def _link_back(rel: Relationship) -> None:
    bp = rel.info.back_populates
    target = rel.target
    if bp is None:
        if rel.direction == ONE_TO_MANY and rel.back is None:
            # An undeclared reverse many-to-one: the place where a child remembers which
            # parent's collection it was put in, so the flush can set its foreign key.
            hidden = Relationship(
                target, f"_ormolu_{rel.parent.name}_{rel.key}", RelationshipInfo()
            )
            hidden.target, hidden.direction, hidden.hidden = rel.parent, MANY_TO_ONE, True
            hidden.local_keys, hidden.remote_keys = rel.remote_keys, rel.local_keys
            hidden.nullable, hidden.configured = rel.nullable, True
            hidden.back, rel.back = rel, hidden
            target.register_relationship(hidden)
        return
    decl = target.relationship_decls.get(bp)
    if decl is None:
        rels = ", ".join(target.relationship_decls) or "none"
        wanted = f"list[{rel.parent.name}]" if rel.direction == MANY_TO_ONE else rel.parent.name
        raise ConfigurationError(
            f"{rel.name}: back_populates={bp!r}, but {target.name} has no relationship {bp!r} "
            f"(its relationships: {rels}); declare {target.name}.{bp}: "
            f"Mapped[{wanted}]"
            f' = relationship(back_populates="{rel.key}")'
        )
    other_bp = decl.back_populates
    if other_bp is not None and other_bp != rel.key:
        raise ConfigurationError(
            f"{rel.name}: back_populates={bp!r}, but {target.name}.{bp} says "
            f"back_populates={other_bp!r}; both sides must name each other"
        )
    partner = target.resolved_relationships.get(bp)
    if partner is None:
        if bp in target.resolving:
            return  # the partner is being resolved; it links both sides when it finishes
        partner = target.relationship(bp)
    if partner.target is not rel.parent:
        raise ConfigurationError(
            f"{rel.name}: back_populates={bp!r}, but {target.name}.{bp} refers to "
            f"{partner.target.name}, not {rel.parent.name}"
        )
    expected = {
        MANY_TO_ONE: ONE_TO_MANY, ONE_TO_MANY: MANY_TO_ONE, MANY_TO_MANY: MANY_TO_MANY,
    }[rel.direction]  # fmt: skip
    same_keys = (
        partner.local_keys == rel.remote_keys and partner.remote_keys == rel.local_keys
    ) and (rel.direction != MANY_TO_MANY or partner.secondary is rel.secondary)
    if partner.direction != expected or not same_keys:
        raise ConfigurationError(
            f"{rel.name} and {target.name}.{bp} name each other in back_populates but use "
            f"different foreign keys ({rel.name}: {rel.direction} on "
            f"{', '.join(rel.local_keys)}; {partner.name}: {partner.direction} on "
            f"{', '.join(partner.local_keys)}); pass the same relationship(foreign_key=...) "
            f"to both"
        )
    rel.back, partner.back = partner, rel


def _snake(name: str) -> str:
    from .mapper import _snake as snake

    return snake(name)


# The class attribute (``Album.artist``) lives in ormolu.orm.related; re-exported here.
from .related import RelationshipAttribute as RelationshipAttribute  # noqa: E402
