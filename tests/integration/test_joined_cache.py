"""The joined-load query cache (``ormolu.orm.joined``) and the load plan cache
(``ormolu.core.planning.plan_for``) on every backend and both front ends: a query of a
shape seen before reuses the built and compiled joined SELECT (and its plan) and binds
only its new values — and a query of any other shape never does.

Every test runs two or more queries that share as much as possible (the model, the
options, the SQL text up to one detail) and checks each one's objects against the data,
so a wrong cache hit (another query's SQL, joins, ordering or column list, or values
bound in the wrong places) fails them: different values, different options (deeper,
other strategy, other relationship), different WHERE columns, LIMIT and ORDER BY,
column options, an explicit alias in the base query, self-joins, many-to-many.
"""

from __future__ import annotations

from typing import Any

import pytest

import ormolu.orm.joined as joined_mod
from ormolu import (
    Database,
    InvalidRequestError,
    LazyLoadError,
    Mapped,
    Model,
    aliased,
    defer,
    field,
    joinedload,
    load_only,
    many_to_many,
    raiseload,
    relationship,
    selectinload,
)
from ormolu.orm.state import STATE_KEY


class Artist(Model, table="jc_artist"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=60)
    albums: Mapped[list[Album]] = relationship(back_populates="artist")


class Album(Model, table="jc_album"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=60)
    artist_id: Mapped[int] = field(foreign_key="Artist.id", default=None)
    artist: Mapped[Artist] = relationship(back_populates="albums")
    tracks: Mapped[list[Track]] = relationship(back_populates="album", order_by=None)


class Track(Model, table="jc_track"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=60)
    ms: Mapped[int] = 0
    album_id: Mapped[int | None] = field(foreign_key="Album.id", default=None)
    album: Mapped[Album | None] = relationship(back_populates="tracks")
    tags: Mapped[list[Tag]] = many_to_many(back_populates="tracks")


class Tag(Model, table="jc_tag"):
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=20)
    tracks: Mapped[list[Track]] = many_to_many(back_populates="tags")


class Person(Model, table="jc_person"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=20)
    boss_id: Mapped[int | None] = field(foreign_key="Person.id", default=None)
    boss: Mapped[Person | None] = relationship(back_populates="reports")
    reports: Mapped[list[Person]] = relationship(back_populates="boss")


class Memo(Model, table="jc_memo"):
    """A model without relationships."""

    id: Mapped[int] = field(primary_key=True, default=None)
    text: Mapped[str] = field(max_length=20, default="")


MODELS = [Artist, Album, Track, Tag, Person, Memo]


@pytest.fixture
def jdb(db: Database) -> Database:
    """Two artists with two albums of three tracks each (ids in name order); tags; a
    three-level hierarchy."""
    db.create_all(MODELS)
    with db.session() as s:
        tags = [Tag(id=i + 1, label=f"tag{i}") for i in range(3)]
        n = 0
        for a in range(2):
            artist = Artist(id=a + 1, name=f"artist{a}")
            for b in range(2):
                album = Album(id=a * 2 + b + 1, title=f"album{a}{b}", artist=artist)
                for t in range(3):
                    n += 1
                    track = Track(id=n, name=f"track{a}{b}{t}", ms=n * 10, album=album)
                    track.tags.extend(tags[: (n % 3) + 1])
            s.add(artist)
        s.add_all(tags)
        ceo = Person(id=1, name="ceo")
        vps = [Person(id=2 + i, name=f"vp{i}", boss=ceo) for i in range(2)]
        staff = [
            Person(id=4 + 2 * i + j, name=f"staff{i}{j}", boss=vps[i])
            for i in range(2)
            for j in range(2)
        ]
        s.add_all([ceo, *vps, *staff])
    with db.session() as s:
        assert [t.name for t in s.query(Track).order_by(Track.id).all()][:4] == [
            "track000", "track001", "track002", "track010",
        ]  # fmt: skip
    return db


def _joined_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the joined SELECTs built (cache misses) from here on."""
    calls: list[int] = []
    real = joined_mod.joined_select

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(joined_mod, "joined_select", counting)
    return calls


def _albums_of_tracks(s: Any, album_title: str) -> list[tuple[str, str, str]]:
    album = s.query(Album).where(Album.title == album_title).one()
    tracks = (
        s.query(Track)
        .where(Track.album_id == album.id)
        .order_by(Track.id)
        .options(joinedload(Track.album).joinedload(Album.artist))
        .all()
    )
    return [(t.name, t.album.title, t.album.artist.name) for t in tracks]


def test_same_shape_other_values_reuses_the_query_with_its_own_values(
    jdb: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = _joined_builds(monkeypatch)
    expected = {
        f"album{a}{b}": [(f"track{a}{b}{t}", f"album{a}{b}", f"artist{a}") for t in range(3)]
        for a in range(2)
        for b in range(2)
    }
    for _ in range(2):
        for title, want in expected.items():
            with jdb.session() as s:  # a fresh identity map: everything comes from the rows
                assert _albums_of_tracks(s, title) == want
    with jdb.session() as s:  # one session, values changing: the identity map in play
        for title, want in expected.items():
            assert _albums_of_tracks(s, title) == want
    assert len(builds) == 1  # built once, bound eight times


def test_in_lists_of_other_lengths_and_values(jdb: Database) -> None:
    with jdb.session() as s:
        ids = [t.id for t in s.query(Track).order_by(Track.id).all()]
    for chosen in ([ids[0]], [ids[1], ids[7]], [ids[11], ids[2], ids[5]], [ids[3]]):
        with jdb.session() as s:
            got = (
                s.query(Track)
                .where(Track.id.in_(chosen))
                .order_by(Track.id)
                .options(joinedload(Track.album))
                .all()
            )
            assert [t.id for t in got] == sorted(chosen)
            for t in got:
                assert t.album is not None and t.album.id == t.album_id


def _selects(sent: list[tuple[str, Any]]) -> int:
    return sum(1 for sql, _ in sent if sql.lstrip().upper().startswith("SELECT"))


def test_other_options_never_share_an_entry(jdb: Database) -> None:
    """Same base query: a deeper path, another strategy below, another relationship.
    Each variant's objects and its number of SELECTs (a variant served another's entry
    would load lazily or select-in what it joins, or join what it should not)."""
    base = lambda s: s.query(Track).where(Track.name == "track010").order_by(Track.id)  # noqa: E731
    tracks = ["track010", "track011", "track012"]
    for _ in range(2):  # the second round hits the cache for every shape
        with jdb.session() as s, jdb.capture() as sent:
            (t,) = base(s).options(joinedload(Track.album)).all()
            assert t.album.title == "album01" and "artist" not in t.album.__dict__
            assert "tags" not in t.__dict__ and _selects(sent) == 1
        with jdb.session() as s, jdb.capture() as sent:
            (t,) = base(s).options(joinedload(Track.album).joinedload(Album.artist)).all()
            assert "tracks" not in t.album.__dict__ and "artist" in t.album.__dict__
            assert t.album.artist.name == "artist0" and _selects(sent) == 1
        with jdb.session() as s, jdb.capture() as sent:
            (t,) = base(s).options(joinedload(Track.album).selectinload(Album.tracks)).all()
            assert "artist" not in t.album.__dict__ and _selects(sent) == 2
            assert sorted(x.name for x in t.album.tracks) == tracks
        with jdb.session() as s, jdb.capture() as sent:
            (t,) = base(s).options(joinedload(Track.album).joinedload(Album.tracks)).all()
            assert sorted(x.name for x in t.album.tracks) == tracks and _selects(sent) == 1
        with jdb.session() as s, jdb.capture() as sent:
            (t,) = base(s).options(selectinload(Track.album).joinedload(Album.tracks)).all()
            assert sorted(x.name for x in t.album.tracks) == tracks and _selects(sent) == 2
        with jdb.session() as s, jdb.capture() as sent:
            (t,) = base(s).options(joinedload(Track.tags)).all()
            assert "album" not in t.__dict__ and _selects(sent) == 1
            assert [g.label for g in sorted(t.tags, key=lambda g: g.id)] == ["tag0", "tag1"]
        with jdb.session() as s, jdb.capture() as sent:
            (t,) = base(s).options(joinedload(Track.tags), joinedload(Track.album)).all()
            assert t.album.title == "album01" and len(t.tags) == 2 and _selects(sent) == 1


def test_other_where_columns_with_the_same_value(jdb: Database) -> None:
    with jdb.session() as s:
        album = s.query(Album).where(Album.title == "album10").one()
        track = s.query(Track).where(Track.album_id == album.id).order_by(Track.id).first()
        assert track is not None
        aid, tid, ms = album.id, track.id, track.ms
    opt = joinedload(Track.album)
    for _ in range(2):
        with jdb.session() as s:
            by_album = s.query(Track).where(Track.album_id == aid).options(opt).all()
            assert sorted(t.name for t in by_album) == ["track100", "track101", "track102"]
        with jdb.session() as s:
            by_id = s.query(Track).where(Track.id == aid).options(opt).all()
            assert [t.id for t in by_id] == [aid]
        with jdb.session() as s:
            (t,) = s.query(Track).where(Track.id == tid).options(opt).all()
            assert t.name == "track100" and t.album.title == "album10"
        with jdb.session() as s:
            (t,) = s.query(Track).where(Track.ms == ms).options(opt).all()
            assert t.id == tid
        with jdb.session() as s:
            two = s.query(Track).where(Track.ms >= ms, Track.album_id == aid).options(opt).all()
            assert len(two) == 3


def test_limits_offsets_and_orders(jdb: Database) -> None:
    opt = joinedload(Track.album).joinedload(Album.artist)
    for _ in range(2):
        with jdb.session() as s:
            names = lambda q: [t.name for t in q.options(opt).all()]  # noqa: E731
            q = s.query(Track).where(Track.ms > 0)
            assert names(q.order_by(Track.id).limit(2)) == ["track000", "track001"]
            assert names(q.order_by(Track.id).limit(3)) == ["track000", "track001", "track002"]
            assert names(q.order_by(Track.id).limit(2).offset(5)) == ["track012", "track100"]
            assert names(q.order_by(Track.id.desc()).limit(1)) == ["track112"]
            assert len(names(q)) == 12
        with jdb.session() as s, pytest.raises(InvalidRequestError, match="selectinload"):
            s.query(Album).options(joinedload(Album.tracks)).limit(1).all()


def test_column_options_are_part_of_the_shape(jdb: Database) -> None:
    q = lambda s: s.query(Track).where(Track.name == "track111")  # noqa: E731
    for _ in range(2):
        with jdb.session() as s:
            (t,) = q(s).options(joinedload(Track.album)).all()
            assert "title" in t.album.__dict__ and "ms" in t.__dict__
        with jdb.session() as s:
            (t,) = q(s).options(joinedload(Track.album), defer(Album.title)).all()
            assert "title" not in t.album.__dict__ and t.album.id == t.album_id
        with jdb.session() as s:
            (t,) = q(s).options(joinedload(Track.album), load_only(Track.name)).all()
            assert "ms" not in t.__dict__ and t.album.title == "album11"


def test_an_alias_in_the_base_query(jdb: Database) -> None:
    """The base query joins an alias of the table the joined load joins too; two alias
    names, two values: each query filters on its own alias and value."""
    for _ in range(2):
        for alias_name in ("other", "more"):
            other = aliased(Album, alias_name)
            for title, want in (("album00", "track00"), ("album11", "track11")):
                with jdb.session() as s:
                    got = (
                        s.query(Track)
                        .join(other, other.id == Track.album_id)
                        .where(other.title == title)
                        .order_by(Track.id)
                        .options(joinedload(Track.album))
                        .all()
                    )
                    assert [t.name for t in got] == [f"{want}{i}" for i in range(3)]
                    assert {t.album.title for t in got} == {title}


def test_self_joins(jdb: Database) -> None:
    """Person.boss joined one and two levels deep, and the reports collection: each
    level's objects are the right rows (not the level above's)."""
    for _ in range(2):
        with jdb.session() as s:
            (p,) = (
                s.query(Person)
                .where(Person.name == "staff10")
                .options(joinedload(Person.boss))
                .all()
            )
            assert p.boss.name == "vp1" and "boss" not in p.boss.__dict__
        with jdb.session() as s:
            (p,) = (
                s.query(Person)
                .where(Person.name == "staff01")
                .options(joinedload(Person.boss).joinedload(Person.boss))
                .all()
            )
            assert p.boss.name == "vp0" and p.boss.boss.name == "ceo"
        with jdb.session() as s:
            (p,) = (
                s.query(Person)
                .where(Person.name == "vp1")
                .options(joinedload(Person.reports))
                .all()
            )
            assert sorted(r.name for r in p.reports) == ["staff10", "staff11"]
            assert "boss" not in p.__dict__
        with jdb.session() as s:
            (p,) = (
                s.query(Person)
                .where(Person.name == "ceo")
                .options(joinedload(Person.reports).joinedload(Person.reports))
                .all()
            )
            assert sorted(r.name for r in p.reports) == ["vp0", "vp1"]
            for vp in p.reports:
                assert sorted(r.name for r in vp.reports) == [f"staff{vp.name[2]}{j}" for j in "01"]
        with jdb.session() as s:  # the whole table, both sides at once
            people = (
                s.query(Person)
                .order_by(Person.id)
                .options(joinedload(Person.boss), joinedload(Person.reports))
                .all()
            )
            by_name = {p.name: p for p in people}
            assert by_name["ceo"].boss is None and len(by_name["ceo"].reports) == 2
            assert by_name["staff11"].boss is by_name["vp1"]
            assert by_name["staff11"].reports == []


def test_many_to_many_with_other_values(jdb: Database) -> None:
    with jdb.session() as s:
        want = {
            t.name: sorted(g.label for g in t.tags)
            for t in s.query(Track).options(selectinload(Track.tags)).all()
        }
    for _ in range(2):
        for name in ("track000", "track001", "track002", "track112"):
            with jdb.session() as s:
                (t,) = (
                    s.query(Track).where(Track.name == name).options(joinedload(Track.tags)).all()
                )
                assert sorted(g.label for g in t.tags) == want[name]


def test_sql_of_a_cache_hit_is_the_uncached_sql(jdb: Database) -> None:
    """The statement a cache hit sends is the one the first query sent, with the new
    values: same text, parameters in place."""
    with jdb.capture() as sent:
        for title in ("album00", "album11"):
            with jdb.session() as s:
                s.query(Album).where(Album.title == title).options(
                    joinedload(Album.artist), joinedload(Album.tracks)
                ).all()
    (first, p1), (second, p2) = [(sql, p) for sql, p in sent if "JOIN" in sql.upper()]
    assert first == second
    assert "album00" in list(p1) and "album11" in list(p2)


def test_the_rebuild_path_binds_its_own_values(
    jdb: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shape whose added joins held bound values of their own is rebuilt from its cached
    parts and compiled on each use (no reuse of the base's values by position): forced
    here, the queries still get their own rows."""
    real = joined_mod.JoinedShape.__init__

    def no_reuse(self: Any, *args: Any) -> None:
        real(self, *args)
        self.reuse_binds = False

    monkeypatch.setattr(joined_mod.JoinedShape, "__init__", no_reuse)
    for _ in range(2):
        for a, b in (("0", "1"), ("1", "0"), ("1", "1")):
            with jdb.session() as s:
                assert _albums_of_tracks(s, f"album{a}{b}") == [
                    (f"track{a}{b}{t}", f"album{a}{b}", f"artist{a}") for t in range(3)
                ]


# -- the load plan cache -------------------------------------------------------------
def _group(obj: Any) -> Any:
    return obj.__dict__[STATE_KEY].group


def test_plans_follow_the_options_strategies_and_models(jdb: Database) -> None:
    """Alternating queries whose plans differ only in a strategy, a raiseload, the model
    or the depth of a path: each gets its own plan (what it loads, what it forbids)."""
    for _ in range(2):
        with jdb.session() as s, jdb.capture() as sent:
            albums = s.query(Album).order_by(Album.id).options(selectinload(Album.tracks)).all()
            assert [len(a.tracks) for a in albums] == [3, 3, 3, 3] and _selects(sent) == 2
            assert not _group(albums[0]).strict
        with jdb.session() as s:
            albums = s.query(Album).order_by(Album.id).options(raiseload(Album.tracks)).all()
            assert "tracks" not in albums[0].__dict__
            with pytest.raises(LazyLoadError):
                albums[0].tracks  # noqa: B018
            assert (Album, "tracks") in _group(albums[0]).raise_keys
        with jdb.session() as s:
            albums = s.query(Album).order_by(Album.id).options(raiseload("*")).all()
            assert _group(albums[0]).strict
        with jdb.session() as s:
            albums = s.query(Album).order_by(Album.id).all()  # no options: nothing eager
            assert "tracks" not in albums[0].__dict__ and not _group(albums[0]).strict
            assert not _group(albums[0]).raise_keys
        with jdb.session() as s, jdb.capture() as sent:
            opt = selectinload(Album.tracks).selectinload(Track.tags)
            (a,) = s.query(Album).where(Album.title == "album00").options(opt).all()
            assert all("tags" in t.__dict__ for t in a.tracks) and _selects(sent) == 3
        with jdb.session() as s, jdb.capture() as sent:
            rows = (
                s.query(Album, Artist)
                .join(Artist, Artist.id == Album.artist_id)
                .order_by(Album.id)
                .options(selectinload(Album.tracks), selectinload(Artist.albums))
                .all()
            )
            assert len(rows) == 4 and _selects(sent) == 3
            assert all("tracks" in a.__dict__ and len(r.albums) == 2 for a, r in rows)


def test_the_result_group_is_new_for_every_query(jdb: Database) -> None:
    """The cached plan is shared; the group its objects join (what a lazy load batches
    over) is each query's own."""
    with jdb.session() as s:
        first = s.query(Track).where(Track.album_id == 1).options(selectinload(Track.tags)).all()
        second = s.query(Track).where(Track.album_id == 2).options(selectinload(Track.tags)).all()
        g1, g2 = _group(first[0]), _group(second[0])
        assert g1 is not g2
        assert {t.id for t in g1.objs} == {1, 2, 3} and {t.id for t in g2.objs} == {4, 5, 6}


def test_deferred_fields_group_objects_without_relationships(jdb: Database) -> None:
    """Objects of a model without relationships join a result group only when the query
    leaves fields out (their later load batches): the same query, two plans."""
    with jdb.session() as s:
        s.add_all([Memo(id=1, text="a"), Memo(id=2, text="b")])
    for _ in range(2):
        with jdb.session() as s:
            assert all(_group(m) is None for m in s.query(Memo).all())
        with jdb.session() as s:
            memos = s.query(Memo).options(defer(Memo.text)).all()
            assert all(_group(m) is not None and "text" not in m.__dict__ for m in memos)


@pytest.mark.parametrize("load", [joinedload, selectinload])
def test_objects_joined_in_after_a_write_expire_with_its_savepoint(
    jdb: Database, load: Any
) -> None:
    """A savepoint rolled back expires what was loaded after its first write (its values
    may be gone with it): the objects a joined load brings as well as the parents, as a
    select-in load's are."""
    with jdb.session() as s:
        tx = s.begin_nested()
        s.add(Memo(id=9, text="x"))
        s.flush()
        t = s.query(Track).where(Track.id == 1).options(load(Track.album)).one()
        album = t.album
        assert "title" in album.__dict__ and "name" in t.__dict__
        tx.rollback()
        assert "name" not in t.__dict__ and "title" not in album.__dict__
