"""Relationships on every backend: each kind in both directions, writes through them,
cascades, flush ordering (self-referential and cyclic), loading strategies with exact
statement counts, strict mode, identity, composite foreign keys and configuration errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ormolu import (
    CircularDependencyError,
    ConfigurationError,
    Database,
    DetachedInstanceError,
    ForeignKeyConstraint,
    ForeignKeyViolation,
    InvalidRequestError,
    LazyLoadError,
    Mapped,
    Model,
    ValidationError,
    field,
    func,
    joinedload,
    lazyload,
    many_to_many,
    raiseload,
    relationship,
    selectinload,
    status_of,
)


class Artist(Model, table="rl_artist"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=60)
    albums: Mapped[list[Album]] = relationship(
        back_populates="artist", cascade="all, delete-orphan"
    )


class Album(Model, table="rl_album"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=60)
    artist_id: Mapped[int] = field(foreign_key="Artist.id", default=None, index=True)
    artist: Mapped[Artist] = relationship(back_populates="albums")
    tracks: Mapped[list[Track]] = relationship(back_populates="album", order_by=None)


class Track(Model, table="rl_track"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=60)
    album_id: Mapped[int | None] = field(foreign_key="Album.id", default=None)
    album: Mapped[Album | None] = relationship(back_populates="tracks")
    playlists: Mapped[list[Playlist]] = many_to_many(back_populates="tracks")


class Playlist(Model, table="rl_playlist"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=60)
    tracks: Mapped[list[Track]] = many_to_many(back_populates="playlists")
    ranked: Mapped[list[Track]] = many_to_many(through="Entry")


class Entry(Model, table="rl_entry"):
    """An explicit association model with an extra column."""

    playlist_id: Mapped[int] = field(primary_key=True, foreign_key="Playlist.id")
    track_id: Mapped[int] = field(primary_key=True, foreign_key="Track.id")
    stars: Mapped[int] = 3


class Employee(Model, table="rl_employee"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=60)
    boss_id: Mapped[int | None] = field(foreign_key="Employee.id", default=None)
    boss: Mapped[Employee | None] = relationship(back_populates="reports")
    reports: Mapped[list[Employee]] = relationship(back_populates="boss")


class User(Model, table="rl_user"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=60)
    profile: Mapped[Profile | None] = relationship(back_populates="user")


class Profile(Model, table="rl_profile"):
    id: Mapped[int] = field(primary_key=True, default=None)
    bio: Mapped[str] = field(max_length=60)
    user_id: Mapped[int | None] = field(foreign_key="User.id", unique=True, default=None)
    user: Mapped[User | None] = relationship(back_populates="profile")


class Address(Model, table="rl_address"):
    id: Mapped[int] = field(primary_key=True, default=None)
    city: Mapped[str] = field(max_length=60)


class Customer(Model, table="rl_customer"):
    id: Mapped[int] = field(primary_key=True, default=None)
    billing_id: Mapped[int | None] = field(foreign_key="Address.id", default=None)
    shipping_id: Mapped[int | None] = field(foreign_key="Address.id", default=None)
    billing: Mapped[Address | None] = relationship(foreign_key="billing_id")
    shipping: Mapped[Address | None] = relationship(foreign_key="shipping_id")


class OrderLine(Model, table="rl_order_line"):
    order_no: Mapped[int] = field(primary_key=True)
    line_no: Mapped[int] = field(primary_key=True)
    item: Mapped[str] = field(max_length=60)
    shipments: Mapped[list[Shipment]] = relationship(back_populates="line")


class Shipment(Model, table="rl_shipment"):
    __table_args__ = (ForeignKeyConstraint(("order_no", "line_no"), "OrderLine"),)
    id: Mapped[int] = field(primary_key=True, default=None)
    order_no: Mapped[int] = field(default=None)
    line_no: Mapped[int] = field(default=None)
    line: Mapped[OrderLine] = relationship(back_populates="shipments")


class Node(Model, table="rl_node"):
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=20)
    partner_id: Mapped[int | None] = field(foreign_key="Node.id", default=None)
    partner: Mapped[Node | None] = relationship()


class Pair(Model, table="rl_pair"):
    """Like Node, but the cycle is broken by post_update."""

    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=20)
    partner_id: Mapped[int | None] = field(foreign_key="Pair.id", default=None)
    partner: Mapped[Pair | None] = relationship(post_update=True)


class Folder(Model, table="rl_folder"):
    """Children deleted by the database's ON DELETE CASCADE, mirrored by the ORM."""

    id: Mapped[int] = field(primary_key=True, default=None)
    parent_id: Mapped[int | None] = field(
        foreign_key="Folder.id", on_delete="cascade", default=None
    )
    children: Mapped[list[Folder]] = relationship(lazy="selectin")


class Secret(Model, table="rl_secret"):
    id: Mapped[int] = field(primary_key=True, default=None)
    artist_id: Mapped[int] = field(foreign_key="Artist.id")
    artist: Mapped[Artist] = relationship(lazy="raise")


MODELS = [
    Artist, Album, Track, Playlist, Entry, Employee, User, Profile, Address, Customer,
    OrderLine, Shipment, Node, Pair, Folder, Secret,
]  # fmt: skip


@pytest.fixture
def rdb(db: Database) -> Database:
    db.create_all(MODELS)
    return db


def selects(statements: list[tuple[str, object]]) -> list[str]:
    return [sql for sql, _ in statements if sql.lstrip().upper().startswith("SELECT")]


def seed(db: Database, artists: int = 3, albums: int = 2, tracks: int = 2) -> None:
    with db.session() as s:
        for a in range(artists):
            artist = Artist(name=f"artist {a}")
            for b in range(albums):
                album = Album(title=f"album {a}.{b}", artist=artist)
                for t in range(tracks):
                    album.tracks.append(Track(name=f"track {a}.{b}.{t}"))
            s.add(artist)


# -- many-to-one and one-to-many ----------------------------------------------------------
@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_assigning_a_many_to_one_sets_the_foreign_key_and_both_sides(rdb: Database) -> None:
    with rdb.session() as s:
        acdc = Artist(name="AC/DC")
        album = Album(title="Back in Black", artist=acdc)
        assert acdc.albums == [album]  # the other side follows in memory
        s.add(album)  # cascades to the new artist
        assert status_of(acdc) == "pending"
        s.flush()
        assert album.artist_id == acdc.id is not None
    with rdb.session() as s:
        album = s.query(Album).one()
        assert album.artist.name == "AC/DC"
        assert album.artist is s.get(Artist, album.artist_id)  # identity map
        assert album.artist.albums == [album]


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_appending_to_a_collection_sets_the_childs_key(rdb: Database) -> None:
    with rdb.session() as s:
        a = Artist(name="a")
        s.add(a)
        s.flush()
        alb = Album(title="x")
        a.albums.append(alb)
        assert alb.artist is a and alb.artist_id == a.id
        assert alb in s
    with rdb.session() as s:
        (row,) = s.execute("SELECT artist_id FROM rl_album").all()
        assert row[0] == s.query(Artist).one().id


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_moving_a_child_to_another_parent(rdb: Database) -> None:
    seed(rdb, artists=2, albums=1, tracks=0)
    with rdb.session() as s:
        a0, a1 = s.query(Artist).order_by(Artist.id).all()
        moved = a0.albums[0]
        a1.albums.append(moved)
        assert a0.albums == [] and len(a1.albums) == 2 and moved.artist is a1
    with rdb.session() as s:
        counts = (
            s.query(Artist.name, func.count(Album.id))
            .join(Artist.albums)
            .group_by(Artist.name)
            .order_by(Artist.name)
            .all()
        )
        assert counts == [("artist 1", 2)]


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_removing_a_child_sets_a_nullable_key_to_null(rdb: Database) -> None:
    seed(rdb, artists=1, albums=1, tracks=2)
    with rdb.session() as s:
        album = s.query(Album).one()
        t = album.tracks[0]
        album.tracks.remove(t)
        assert t.album is None and t.album_id is None
    with rdb.session() as s:
        assert s.query(Track).where(Track.album_id.is_(None)).count() == 1
        assert s.query(Track).count() == 2  # not deleted: no delete-orphan


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_delete_orphan_deletes_a_removed_child(rdb: Database) -> None:
    seed(rdb, artists=1, albums=2, tracks=0)
    with rdb.session() as s:
        artist = s.query(Artist).one()
        artist.albums.pop(0)
    with rdb.session() as s:
        assert [a.title for a in s.query(Album).all()] == ["album 0.1"]


def test_removal_that_would_null_a_required_key_is_refused_before_sql(rdb: Database) -> None:
    class Loose(Model, table="rl_loose"):
        id: Mapped[int] = field(primary_key=True, default=None)
        items: Mapped[list[Tight]] = relationship()

    class Tight(Model, table="rl_tight"):
        id: Mapped[int] = field(primary_key=True, default=None)
        loose_id: Mapped[int] = field(foreign_key="Loose.id", default=None)

    rdb.create_all([Loose, Tight])
    with rdb.session() as s:
        parent = Loose(items=[Tight(), Tight()])
        s.add(parent)
        s.flush()
        with pytest.raises(ValidationError) as exc:
            parent.items.remove(parent.items[0])
        assert exc.value.model == "Loose" and exc.value.field == "items"
        assert "not nullable" in str(exc.value) and "delete-orphan" in str(exc.value)
        assert len(parent.items) == 2  # unchanged


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_collection_assignment_replaces_and_reconciles(rdb: Database) -> None:
    seed(rdb, artists=1, albums=0, tracks=3)
    with rdb.session() as s:
        s.add(Album(title="solo", artist=Artist(name="x")))
        s.flush()
        album = s.query(Album).one()
        album.tracks = [Track(name="t1"), Track(name="t2")]
        album.tracks = [album.tracks[1]]
    with rdb.session() as s:
        album = s.query(Album).one()
        assert [t.name for t in album.tracks] == ["t2"]
        assert s.query(Track).where(Track.album_id.is_(None)).count() == 1


def test_wrong_types_are_refused_with_model_field_and_value(rdb: Database) -> None:
    album = Album(title="x", artist=Artist(name="y"))
    with pytest.raises(ValidationError) as exc:
        album.artist = "not an artist"  # type: ignore[assignment]
    assert (exc.value.model, exc.value.field, exc.value.value) == (
        "Album", "artist", "not an artist",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="must be a Track instance"):
        album.tracks.append(Artist(name="z"))  # type: ignore[arg-type]
    assert album.tracks == []
    with pytest.raises(ValidationError, match="artist_id is not nullable"):
        album.artist = None  # type: ignore[assignment]
    with pytest.raises(ValidationError, match="must be a list"):
        album.tracks = "abc"  # type: ignore[assignment]


def test_a_required_key_that_nothing_sets_fails_before_sql(rdb: Database) -> None:
    with rdb.session() as s:
        s.add(Album(title="orphan"))
        with rdb.capture() as sent, pytest.raises(ValidationError, match="artist_id"):
            s.flush()
        assert not [q for q, _ in sent if "INSERT" in q]
        s.rollback()


# -- one-to-one -------------------------------------------------------------------------
@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_one_to_one_both_sides(rdb: Database) -> None:
    with rdb.session() as s:
        u = User(name="ann")
        u.profile = Profile(bio="hi")
        assert u.profile.user is u
        s.add(u)
    with rdb.session() as s:
        u = s.query(User).one()
        assert u.profile is not None and u.profile.bio == "hi"
        old = u.profile
        u.profile = Profile(bio="new")
        assert old.user is None
    with rdb.session() as s:
        rows = s.query(Profile.bio, Profile.user_id).order_by(Profile.bio).all()
        assert rows == [("hi", None), ("new", s.query(User).one().id)]


# -- many-to-many -----------------------------------------------------------------------
@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_many_to_many_with_an_automatic_association_table(rdb: Database) -> None:
    seed(rdb, artists=1, albums=1, tracks=3)
    with rdb.session() as s:
        tracks = s.query(Track).order_by(Track.id).all()
        p = Playlist(name="mix", tracks=tracks[:2])
        s.add(p)
        s.flush()
        assert p in tracks[0].playlists or "playlists" not in tracks[0].__dict__
        p.tracks.append(tracks[2])
        p.tracks.remove(tracks[0])
    with rdb.session() as s:
        p = s.query(Playlist).options(selectinload(Playlist.tracks)).one()
        assert [t.name for t in p.tracks] == ["track 0.0.1", "track 0.0.2"]
        t2 = p.tracks[1]
        assert [pl.name for pl in t2.playlists] == ["mix"]  # the other side
        n = s.execute("SELECT count(*) FROM rl_playlist_tracks").scalar()
        assert n == 2
        s.delete(p)  # its association rows go too
    with rdb.session() as s:
        assert s.execute("SELECT count(*) FROM rl_playlist_tracks").scalar() == 0
        assert s.query(Track).count() == 3


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_many_to_many_through_an_association_model(rdb: Database) -> None:
    seed(rdb, artists=1, albums=1, tracks=2)
    with rdb.session() as s:
        t1, t2 = s.query(Track).order_by(Track.id).all()
        p = Playlist(name="ranked")
        s.add(p)
        s.flush()
        s.add(Entry(playlist_id=p.id, track_id=t1.id, stars=5))
        s.flush()
        p.ranked.append(t2)  # inserts an Entry with the default stars
    with rdb.session() as s:
        p = s.query(Playlist).one()
        assert sorted(t.name for t in p.ranked) == ["track 0.0.0", "track 0.0.1"]
        assert sorted(e.stars for e in s.query(Entry).all()) == [3, 5]
        names = s.query(Playlist.name, Track.name).join(Playlist.ranked).order_by(Track.name).all()
        assert names == [("ranked", "track 0.0.0"), ("ranked", "track 0.0.1")]


# -- self-referential, cycles, flush order ------------------------------------------------
@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_self_referential_tree_inserted_in_one_flush(rdb: Database) -> None:
    with rdb.session() as s:
        ceo = Employee(name="ceo")
        cto = Employee(name="cto", boss=ceo)
        dev = Employee(name="dev", boss=cto)
        s.add(dev)  # added last-first: the flush must order them
    with rdb.session() as s:
        ceo = s.query(Employee).filter_by(name="ceo").one()
        assert ceo.boss is None
        assert [e.name for e in ceo.reports] == ["cto"]
        assert [e.name for e in ceo.reports[0].reports] == ["dev"]
        assert ceo.reports[0].reports[0].boss is ceo.reports[0]


def test_self_referential_rows_deleted_children_first(rdb: Database) -> None:
    with rdb.session() as s:
        s.add(Employee(name="c", boss=Employee(name="b", boss=Employee(name="a"))))
    with rdb.session() as s:
        for e in s.query(Employee).order_by(Employee.id).all():  # parents first
            s.delete(e)
    with rdb.session() as s:
        assert s.query(Employee).count() == 0


def test_rows_pointing_at_each_other(rdb: Database) -> None:
    with rdb.session() as s:
        a, b = Node(label="a"), Node(label="b")
        a.partner, b.partner = b, a
        s.add_all([a, b])
        with rdb.capture() as sent, pytest.raises(CircularDependencyError, match="post_update"):
            s.flush()
        assert not [q for q, _ in sent if "INSERT" in q]
        s.rollback()
    with rdb.session() as s:
        a2, b2 = Pair(label="a"), Pair(label="b")
        a2.partner, b2.partner = b2, a2
        s.add_all([a2, b2])
    with rdb.session() as s:
        a3, b3 = s.query(Pair).order_by(Pair.label).all()
        assert a3.partner is b3 and b3.partner is a3


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_several_foreign_keys_to_one_table(rdb: Database) -> None:
    with rdb.session() as s:
        c = Customer(billing=Address(city="Oslo"), shipping=Address(city="Rome"))
        s.add(c)
    with rdb.session() as s:
        c = s.query(Customer).one()
        assert c.billing is not None and c.billing.city == "Oslo"
        assert c.shipping is not None and c.shipping.city == "Rome"


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_composite_foreign_key(rdb: Database) -> None:
    with rdb.session() as s:
        line = OrderLine(order_no=7, line_no=2, item="lamp")
        s.add(Shipment(line=line))
        s.add(Shipment(line=line))
    with rdb.session() as s:
        ship = s.query(Shipment).first()
        assert ship is not None and ship.line.item == "lamp"
        assert (ship.order_no, ship.line_no) == (7, 2)
        line = s.query(OrderLine).options(selectinload(OrderLine.shipments)).one()
        assert len(line.shipments) == 2
        assert s.query(OrderLine).join(OrderLine.shipments).count() == 2
    with rdb.session() as s:
        s.add(Shipment(order_no=7, line_no=99))
        with pytest.raises(ForeignKeyViolation):
            s.flush()
        s.rollback()


# -- cascades ---------------------------------------------------------------------------
@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_delete_cascades_through_the_orm(rdb: Database) -> None:
    seed(rdb, artists=2, albums=2, tracks=1)
    with rdb.session() as s:
        artist = s.query(Artist).filter_by(name="artist 0").one()
        albums = list(artist.albums)
        s.delete(artist)
        assert all(status_of(a) == "persistent" and a in s.deleted for a in albums)
    with rdb.session() as s:
        assert [a.title for a in s.query(Album).order_by(Album.title).all()] == [
            "album 1.0",
            "album 1.1",
        ]
        # the tracks of deleted albums are kept with a NULL key (no delete cascade there)
        assert s.query(Track).where(Track.album_id.is_(None)).count() == 2


def test_on_delete_cascade_is_mirrored_in_the_session(rdb: Database) -> None:
    with rdb.session() as s:
        root = Folder()
        root.children.append(Folder())
        root.children[0].children.append(Folder())
        s.add(root)
    with rdb.session() as s:
        root = s.query(Folder).where(Folder.parent_id.is_(None)).one()
        s.delete(root)
    with rdb.session() as s:
        assert s.query(Folder).count() == 0


def test_cascades_work_without_sqlite_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/nofk.db?foreign_keys=off")
    db.create_all(MODELS)
    seed(db, artists=1, albums=2, tracks=1)
    with db.session() as s:
        assert s.execute("PRAGMA foreign_keys").scalar() == 0
        s.delete(s.query(Artist).one())
    with db.session() as s:
        assert s.query(Album).count() == 0  # deleted by the ORM, not the database
        assert s.query(Track).where(Track.album_id.is_not(None)).count() == 0


# -- loading strategies and statement counts ---------------------------------------------
@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_lazy_loads_are_batched_over_the_result(rdb: Database) -> None:
    with rdb.session() as s:
        for i in range(100):
            s.add(Album(title=f"al {i}", artist=Artist(name=f"ar {i}")))
    with rdb.session() as s:
        with rdb.capture() as sent:
            albums = s.query(Album).all()
            names = {a.artist.name for a in albums}
        assert len(names) == 100
        assert len(selects(sent)) == 2  # not 101
        with rdb.capture() as sent:
            assert all(a.artist.albums == [a] for a in albums)
        assert len(selects(sent)) == 1  # one batch for all 100 collections


def test_many_to_one_from_the_identity_map_needs_no_sql(rdb: Database) -> None:
    seed(rdb, artists=1, albums=3, tracks=0)
    with rdb.session() as s:
        artist = s.query(Artist).one()
        with rdb.capture() as sent:
            albums = s.query(Album).all()
            assert all(a.artist is artist for a in albums)
        assert len(selects(sent)) == 1


def test_selectinload_nested_paths(rdb: Database) -> None:
    seed(rdb)
    with rdb.session() as s, rdb.capture() as sent:
        artists = (
            s.query(Artist)
            .options(selectinload(Artist.albums, Album.tracks))
            .order_by(Artist.id)
            .all()
        )
        shape = [[len(al.tracks) for al in a.albums] for a in artists]
        assert shape == [[2, 2]] * 3
        assert artists[0].albums[0].tracks[0].album is artists[0].albums[0]
    assert len(selects(sent)) == 3


def test_selectinload_is_chunked_to_the_parameter_limit(rdb: Database) -> None:
    seed(rdb, artists=25, albums=1, tracks=0)
    rdb.dialect.max_bind_parameters = 20  # 10 keys per IN list
    try:
        with rdb.session() as s, rdb.capture() as sent:
            artists = s.query(Artist).options(selectinload(Artist.albums)).all()
            assert sum(len(a.albums) for a in artists) == 25
        assert len(selects(sent)) == 1 + 3
    finally:
        del rdb.dialect.max_bind_parameters


def test_joinedload_is_one_statement_with_distinct_parents(rdb: Database) -> None:
    seed(rdb)
    with rdb.session() as s, rdb.capture() as sent:
        albums = (
            s.query(Album)
            .options(joinedload(Album.artist), joinedload(Album.tracks))
            .order_by(Album.id)
            .all()
        )
        assert len(albums) == 6 and len({id(a) for a in albums}) == 6
        assert [len(a.tracks) for a in albums] == [2] * 6
        assert albums[0].artist.name == "artist 0"
    assert len(selects(sent)) == 1
    with rdb.session() as s, rdb.capture() as sent:
        artists = s.query(Artist).options(joinedload(Artist.albums, Album.tracks)).all()
        assert sum(len(al.tracks) for a in artists for al in a.albums) == 12
    assert len(selects(sent)) == 1


def test_joinedload_then_selectinload(rdb: Database) -> None:
    seed(rdb)
    with rdb.session() as s, rdb.capture() as sent:
        albums = s.query(Album).options(joinedload(Album.artist).selectinload(Artist.albums)).all()
        assert all(len(a.artist.albums) == 2 for a in albums)
    assert len(selects(sent)) == 2


def test_joined_collection_with_limit_is_refused(rdb: Database) -> None:
    seed(rdb, artists=1)
    with rdb.session() as s:
        q = s.query(Artist).options(joinedload(Artist.albums))
        with pytest.raises(InvalidRequestError, match="selectinload"):
            q.first()
        scalar = s.query(Album).options(joinedload(Album.artist)).order_by(Album.id).first()
        assert scalar is not None and "artist" in scalar.__dict__


def test_declared_eager_default_and_lazyload_override(rdb: Database) -> None:
    with rdb.session() as s:
        s.add(Folder(children=[Folder(), Folder()]))
    with rdb.session() as s, rdb.capture() as sent:
        roots = s.query(Folder).where(Folder.parent_id.is_(None)).all()
        assert len(roots[0].children) == 2
    assert len(selects(sent)) == 3  # roots, their children, the children's (empty) children
    with rdb.session() as s, rdb.capture() as sent:
        roots = (
            s.query(Folder)
            .where(Folder.parent_id.is_(None))
            .options(lazyload(Folder.children))
            .all()
        )
    assert len(selects(sent)) == 1


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_streaming_iteration_loads_relationships_per_chunk(rdb: Database) -> None:
    seed(rdb, artists=5, albums=1, tracks=0)
    with rdb.session() as s:
        titles = [a.artist.name for a in s.query(Album).yield_per(2)]
        assert sorted(titles) == [f"artist {i}" for i in range(5)]


# -- strict mode ------------------------------------------------------------------------
@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_strict_session_forbids_lazy_loads(rdb: Database) -> None:
    seed(rdb, artists=1, albums=1, tracks=1)
    with rdb.session(strict=True) as s:
        album = s.query(Album).one()
        with pytest.raises(LazyLoadError, match=r"Album\.tracks.*selectinload\(Album\.tracks\)"):
            _ = album.tracks
        album = s.query(Album).options(selectinload(Album.tracks)).one()
        assert len(album.tracks) == 1
        # the artist is in the identity map? no: a strict session still refuses
        with pytest.raises(LazyLoadError):
            _ = album.artist


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_raiseload_per_query_and_lazy_raise(rdb: Database) -> None:
    seed(rdb, artists=1, albums=1, tracks=1)
    with rdb.session() as s:
        album = s.query(Album).options(raiseload()).one()
        with pytest.raises(LazyLoadError, match="raiseload"):
            _ = album.tracks
        s.expunge_all()
        album = s.query(Album).options(raiseload(Album.tracks)).one()
        assert album.artist.name == "artist 0"  # only tracks is forbidden
        with pytest.raises(LazyLoadError):
            _ = album.tracks
        s.add(Secret(artist_id=album.artist_id))
        s.flush()
        s.expunge_all()
        secret = s.query(Secret).one()
        with pytest.raises(LazyLoadError, match='lazy="raise"'):
            _ = secret.artist
        assert s.query(Secret).options(selectinload(Secret.artist)).one().artist.name


def test_detached_objects_do_not_lazy_load(rdb: Database) -> None:
    seed(rdb, artists=1, albums=1, tracks=0)
    with rdb.session() as s:
        album = s.query(Album).one()
    with pytest.raises(DetachedInstanceError, match="selectinload"):
        _ = album.artist


# -- queries through relationships --------------------------------------------------------
def test_has_and_any_filters(rdb: Database) -> None:
    seed(rdb)
    with rdb.session() as s:
        titles = [a.title for a in s.query(Album).where(Album.artist.has(name="artist 1")).all()]
        assert sorted(titles) == ["album 1.0", "album 1.1"]
        names = [
            a.name
            for a in s.query(Artist).where(Artist.albums.any(Album.title.endswith("2.1"))).all()
        ]
        assert names == ["artist 2"]
        assert s.query(Artist).where(~Artist.albums.any()).count() == 0
        bosses = s.query(Employee).where(Employee.reports.any(name="nobody")).all()
        assert bosses == []
        with pytest.raises(InvalidRequestError, match="keyword filters"):
            Employee.reports.any(Employee.name == "x")
        with pytest.raises(InvalidRequestError, match="any"):
            Artist.albums.has(name="x")


def test_join_through_relationships_and_aggregates(rdb: Database) -> None:
    seed(rdb, artists=2, albums=2, tracks=3)
    with rdb.session() as s:
        rows = (
            s.query(Artist.name, func.count(Track.id))
            .join(Artist.albums)
            .join(Album.tracks)
            .group_by(Artist.name)
            .order_by(Artist.name)
            .all()
        )
        assert rows == [("artist 0", 6), ("artist 1", 6)]
        boss_names = (
            s.query(Album.title).join(Album.artist).where(Artist.name == "artist 1").count()
        )
        assert boss_names == 2


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_rollback_makes_relationships_match_the_database(rdb: Database) -> None:
    seed(rdb, artists=2, albums=1, tracks=0)
    with rdb.session() as s:
        a0, a1 = s.query(Artist).order_by(Artist.id).all()
        album = a0.albums[0]
        album.artist = a1
        s.flush()
        s.rollback()
        assert album.artist is a0 and album.artist_id == a0.id
        assert a0.albums == [album]


# -- configuration errors -----------------------------------------------------------------
def test_misconfigured_relationships_say_what_to_write(rdb: Database) -> None:
    class Ghost(Model, table="rl_ghost"):
        id: Mapped[int] = field(primary_key=True, default=None)
        haunts: Mapped[list[NoSuchModel]] = relationship()  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(ConfigurationError, match=r"unknown model.*NoSuchModel"):
        rdb.create_all([Ghost])

    class Lonely(Model, table="rl_lonely"):
        id: Mapped[int] = field(primary_key=True, default=None)
        friends: Mapped[list[Address]] = relationship()

    with pytest.raises(
        ConfigurationError, match=r"no foreign key links Address to Lonely.*field\("
    ):
        Lonely.friends.property  # noqa: B018

    class Both(Model, table="rl_both"):
        id: Mapped[int] = field(primary_key=True, default=None)
        a_id: Mapped[int | None] = field(foreign_key="Address.id", default=None)
        b_id: Mapped[int | None] = field(foreign_key="Address.id", default=None)
        address: Mapped[Address | None] = relationship()

    with pytest.raises(ConfigurationError, match="foreign_key='a_id'"):
        Both.address.property  # noqa: B018

    class Mismatch(Model, table="rl_mismatch"):
        id: Mapped[int] = field(primary_key=True, default=None)
        artist_id: Mapped[int | None] = field(foreign_key="Artist.id", default=None)
        artist: Mapped[Artist | None] = relationship(back_populates="nothing_here")

    with pytest.raises(ConfigurationError, match="has no relationship 'nothing_here'"):
        Mismatch.artist.property  # noqa: B018

    class WrongShape(Model, table="rl_wrong_shape"):
        id: Mapped[int] = field(primary_key=True, default=None)
        artist_id: Mapped[int | None] = field(foreign_key="Artist.id", default=None)
        artist: Mapped[list[Artist]] = relationship()

    with pytest.raises(ConfigurationError, match=r"annotate it Mapped\[Artist\]"):
        WrongShape.artist.property  # noqa: B018
    # the broken models do not break the working ones
    with rdb.session() as s:
        s.add(Artist(name="still fine"))


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_refresh_and_expire_forget_loaded_relationships(rdb: Database) -> None:
    seed(rdb, artists=1, albums=1, tracks=2)
    with rdb.session() as s:
        album = s.query(Album).one()
        assert len(album.tracks) == 2
        s.execute("DELETE FROM rl_track WHERE name = :n", {"n": "track 0.0.0"})
        assert len(album.tracks) == 2  # loaded: no query
        s.refresh(album)
        assert [t.name for t in album.tracks] == ["track 0.0.1"]
        s.execute("DELETE FROM rl_track")
        s.expire(album, "tracks")
        assert album.tracks == []
        with pytest.raises(InvalidRequestError, match="no field"):
            s.expire(album, "nonsense")


def test_one_to_one_taken_from_another_owner(rdb: Database) -> None:
    with rdb.session() as s:
        ann, bob = User(name="ann"), User(name="bob")
        p = Profile(bio="shared")
        ann.profile = p
        s.add_all([ann, bob])
        s.flush()
        bob.profile = p
        assert ann.profile is None and p.user is bob and p.user_id == bob.id
    with rdb.session() as s:
        rows = s.query(User.name, Profile.bio).join(User.profile).all()
        assert rows == [("bob", "shared")]


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_paths_continue_past_a_many_to_many(rdb: Database) -> None:
    seed(rdb, artists=2, albums=1, tracks=2)
    with rdb.session() as s:
        s.add(Playlist(name="all", tracks=s.query(Track).all()))
    for option in (
        selectinload(Playlist.tracks, Track.album, Album.artist),
        selectinload(Playlist.tracks).joinedload(Track.album),
        joinedload(Playlist.tracks, Track.album),
    ):
        with rdb.session(strict=True) as s, rdb.capture() as sent:
            p = s.query(Playlist).options(option).one()
            assert sorted(t.album.title for t in p.tracks if t.album) == [
                "album 0.0", "album 0.0", "album 1.0", "album 1.0",
            ]  # fmt: skip
        assert len(selects(sent)) <= 4, option


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_strict_mode_answers_what_needs_no_sql(rdb: Database) -> None:
    seed(rdb, artists=1, albums=1, tracks=1)
    with rdb.session(strict=True) as s, rdb.capture() as sent:
        s.add(Employee(name="solo"))
        s.flush()
        s.expunge_all()
        solo = s.query(Employee).one()
        assert solo.boss is None  # NULL key: nothing to load
        artist = s.query(Artist).one()
        album = s.query(Album).one()
        assert album.artist is artist  # in the identity map
    assert len(selects(sent)) == 3


class Member(Model, table="rl_member"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=20)
    friends: Mapped[list[Member]] = many_to_many()  # self-referential, automatic table
    follows: Mapped[list[Member]] = many_to_many(
        through="Follow", foreign_key=("follower_id", "followed_id"), back_populates="followers"
    )
    followers: Mapped[list[Member]] = many_to_many(
        through="Follow", foreign_key=("followed_id", "follower_id"), back_populates="follows"
    )


class Follow(Model, table="rl_follow"):
    follower_id: Mapped[int] = field(primary_key=True, foreign_key="Member.id")
    followed_id: Mapped[int] = field(primary_key=True, foreign_key="Member.id")


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_self_referential_many_to_many(db: Database) -> None:
    db.create_all([Member, Follow])
    with db.session() as s:
        ann, bob, cy = Member(name="ann"), Member(name="bob"), Member(name="cy")
        ann.friends = [bob, cy]
        ann.follows.append(bob)
        cy.follows.append(bob)
        assert bob.followers == [ann, cy]  # the other side, in memory
        s.add_all([ann, bob, cy])
    with db.session() as s:
        bob = s.query(Member).filter_by(name="bob").one()
        assert sorted(m.name for m in bob.followers) == ["ann", "cy"]
        assert bob.follows == [] and bob.friends == []
        ann = s.query(Member).filter_by(name="ann").one()
        assert sorted(m.name for m in ann.friends) == ["bob", "cy"]
        s.delete(bob)  # its rows go from both association tables, on either side
    with db.session() as s:
        assert s.query(Follow).count() == 0
        ann = s.query(Member).filter_by(name="ann").one()
        assert [m.name for m in ann.friends] == ["cy"]


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_savepoint_rollback_restores_relationships(rdb: Database) -> None:
    seed(rdb, artists=2, albums=1, tracks=0)
    with rdb.session() as s:
        a0, a1 = s.query(Artist).order_by(Artist.id).all()
        album = a0.albums[0]
        with pytest.raises(RuntimeError), s.begin_nested():
            album.artist = a1
            s.flush()
            raise RuntimeError("undo")
        assert album.artist is a0 and album.artist_id == a0.id
        assert [x.title for x in a1.albums] == ["album 1.0"]
        assert a0.albums == [album]
    with rdb.session() as s:
        assert (
            s.query(Album)
            .filter_by(artist_id=s.query(Artist).filter_by(name="artist 0").one().id)
            .count()
            == 1
        )


def test_related_object_of_another_session_is_refused(rdb: Database) -> None:
    seed(rdb, artists=1, albums=0, tracks=0)
    other = rdb.session()
    foreign = other.query(Artist).one()
    other.commit()  # (an in-memory SQLite database has one connection to share)
    with rdb.session() as s:
        album = Album(title="x")
        s.add(album)
        with pytest.raises(InvalidRequestError, match="another session"):
            album.artist = foreign
        assert "artist" not in album.__dict__ and album.artist_id is None  # unchanged
        with pytest.raises(InvalidRequestError, match="another session"):
            s.add(Album(title="y", artist=foreign))
        s.expunge_all()
    other.close()


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_expired_children_load_into_collections(rdb: Database) -> None:
    seed(rdb, artists=1, albums=1, tracks=3)
    with rdb.session() as s:
        tracks = s.query(Track).all()  # in the identity map, with album_id
        assert all(t.album is not None for t in tracks)  # relationships loaded too
        s.query(Track).where(Track.id > 0).update(name="renamed")  # expires the tracks
        album = s.query(Album).options(selectinload(Album.tracks)).one()
        assert len(album.tracks) == 3 and {t.name for t in album.tracks} == {"renamed"}
