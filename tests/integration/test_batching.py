"""No N+1: every object that arrives through any loader (a query of one model or of
several entities, many-to-one, one-to-many and many-to-many loads, lazy or select-in,
joined loading, ``get``, raw SQL) belongs to a batch for its next lazy load. Exact
statement counts, three levels deep through many-to-many and self-referential
relationships, on every backend (schema and data: tests/integration/blog.py)."""

from __future__ import annotations

import pytest
from blog import ARTICLES, MODELS, ROWS, USERS, Article, Comment, Favorite, Tag, User, selects

from ormolu import (
    Database,
    InvalidRequestError,
    LazyLoadError,
    func,
    joinedload,
    raiseload,
    select,
    selectinload,
)


@pytest.fixture
def bdb(db: Database) -> Database:
    db.create_all(MODELS)
    with db.session() as s:
        for model, rows in ROWS:
            s.insert_many(model, rows)
    return db


def _expected_followers(u: int) -> set[int]:
    return {(u - 1 + k) % USERS + 1 for k in (1, 2)}


# -- the two scenarios of the issue -------------------------------------------------------
@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_objects_from_a_many_to_many_batch_their_own_lazy_loads(bdb: Database) -> None:
    """Touching article.favorited_by, then each favoriting user's followers, then each
    follower's articles: one SELECT per level (it was one per user at the second)."""
    with bdb.session() as s, bdb.capture() as sent:
        articles = s.query(Article).order_by(Article.id).all()
        fans = {u for a in articles for u in a.favorited_by}
        assert len(selects(sent)) == 2
        followers = {f for u in fans for f in u.followers}
        assert len(selects(sent)) == 3  # before: 2 + one per user (12 in all)
        for u in fans:
            assert {f.id for f in u.followers} == _expected_followers(u.id)
        written = [a for f in followers for a in f.articles]
        assert len(selects(sent)) == 4
        assert len(written) == 2 * len(followers)
        tags = {t.name for a in written for t in a.tags}
        assert len(selects(sent)) == 5
        assert len(tags) == 5


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_objects_from_selectinload_of_a_many_to_many_batch_their_lazy_loads(
    bdb: Database,
) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        articles = s.query(Article).options(selectinload(Article.favorited_by)).all()
        assert len(selects(sent)) == 2
        follows = [f for a in articles for u in a.favorited_by for f in u.follows]
        assert len(selects(sent)) == 3
        assert len(follows) == 3 * ARTICLES * 2
        assert all(len(f.favorites) == 6 for f in follows)  # 20 articles x 3 fans / 10
        assert len(selects(sent)) == 4


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_a_query_of_a_model_and_columns_batches_and_takes_options(bdb: Database) -> None:
    """s.query(Article, count of comments): lazy loads batch over the result; loader
    options apply to its model entity (they were refused)."""
    n_comments = (
        select(func.count(Comment.id)).where(Comment.article_id == Article.id).scalar_subquery()
    )
    with bdb.session() as s, bdb.capture() as sent:
        rows = s.query(Article, n_comments).order_by(Article.id).all()
        assert [n for _, n in rows] == [6] * ARTICLES
        names = [a.author.name for a, _ in rows]
        tags = [len(a.tags) for a, _ in rows]
        followers = {f.id for a, _ in rows for f in a.author.followers}
    assert names == [f"user{a % USERS + 1}" for a in range(1, ARTICLES + 1)]
    assert tags == [2] * ARTICLES and followers == set(range(1, USERS + 1))
    assert len(selects(sent)) == 4  # before: 1 + 10 authors + 20 tag lists + 10 followers


def test_loader_options_on_a_query_of_a_model_and_columns(bdb: Database) -> None:
    """Both front ends: the options load everything the loop reads (it was refused)."""
    n_comments = (
        select(func.count(Comment.id)).where(Comment.article_id == Article.id).scalar_subquery()
    )
    with bdb.session() as s, bdb.capture() as sent:
        rows = (
            s.query(Article, n_comments)
            .options(selectinload(Article.author, User.followers), selectinload(Article.tags))
            .order_by(Article.id)
            .all()
        )
        assert len(selects(sent)) == 4
        assert all(len(a.author.followers) == 2 and len(a.tags) == 2 for a, _ in rows)
        assert [n for _, n in rows] == [6] * ARTICLES
        assert len(selects(sent)) == 4
        s.expunge_all()
        pairs = (
            s.query(Comment, Article)
            .join(Comment.article)
            .where(Comment.parent_id.is_(None))
            .options(selectinload(Comment.replies, Comment.replies), joinedload(Article.tags))
            .all()
        )
        assert len(selects(sent)) == 8  # the pairs, 2 levels of replies, the tags (select-in)
        assert {len(r.replies) for c, _ in pairs for r in c.replies} == {1}
        assert all(len(a.tags) == 2 for _, a in pairs)
        assert len(selects(sent)) == 8


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_options_apply_to_every_model_entity(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        rows = (
            s.query(Comment, Article)
            .join(Comment.article)
            .where(Comment.parent_id.is_(None))
            .options(
                selectinload(Comment.author),
                joinedload(Article.tags),  # select-in here: the query has two entities
                raiseload(Article.comments),
            )
            .all()
        )
        assert len(rows) == 2 * ARTICLES
        assert len(selects(sent)) == 3
        assert all(c.author.name and len(a.tags) == 2 for c, a in rows)
        assert len(selects(sent)) == 3
        with pytest.raises(LazyLoadError, match="raiseload"):
            _ = rows[0][1].comments
        assert {len(c.replies) for c, _ in rows} == {1}  # not forbidden: one batch
        assert len(selects(sent)) == 4
    with bdb.session() as s:
        q = s.query(Article.id, Article.title).options(selectinload(Article.tags))
        with pytest.raises(InvalidRequestError, match="need a model"):
            q.all()
        q2 = s.query(Tag, Article.id).options(selectinload(Article.tags))
        with pytest.raises(InvalidRequestError, match=r"Article\.tags.*not a relationship of Tag"):
            q2.all()


# -- every way in ---------------------------------------------------------------------------
@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_through_many_to_one_three_levels(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        articles = s.query(Article).all()
        authors = {a.author for a in articles}
        followers = {f for u in authors for f in u.followers}
        their_articles = [a for f in followers for a in f.articles]
        assert len(authors) == USERS and len(their_articles) == ARTICLES
    assert len(selects(sent)) == 4


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_self_referential_one_to_many_three_levels(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        top = s.query(Comment).where(Comment.parent_id.is_(None)).all()
        replies = [r for c in top for r in c.replies]
        deepest = [r2 for r in replies for r2 in r.replies]
        leaves = [r3 for r in deepest for r3 in r.replies]
        assert len(top) == len(replies) == len(deepest) == 2 * ARTICLES and leaves == []
        assert all(r.parent in top for r in replies)  # set by the load: no statement
        authors = {r.author.name for r in deepest}
        assert len(authors) == USERS
    assert len(selects(sent)) == 5


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_joined_objects_batch_their_lazy_loads(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        comments = s.query(Comment).options(joinedload(Comment.author)).all()
        assert len(selects(sent)) == 1
        favorites = [a for c in comments for a in c.author.favorites]
        assert len(selects(sent)) == 2
        assert len(favorites) == len(comments) * 6
        tags = {t for a in favorites for t in a.tags}
        assert len(tags) == 5
    assert len(selects(sent)) == 3


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_get_and_raw_objects_batch_what_they_bring(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        user = s.get(User, 1)
        assert user is not None
        articles = [a for f in user.followers for a in f.articles]
        assert len(articles) == 4
        assert len({t for a in articles for t in a.tags}) >= 2
    assert len(selects(sent)) == 4  # get, followers, their articles, the articles' tags
    with bdb.session() as s, bdb.capture() as sent:
        raw = s.raw(Article, "SELECT * FROM nb_article WHERE views > :v", {"v": 0})
        assert {a.author.name for a in raw} == {f"user{u}" for u in range(1, USERS + 1)}
        assert all(len(a.comments) == 6 for a in raw)
    assert len(selects(sent)) == 3


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_an_object_seen_again_joins_the_newer_result(bdb: Database) -> None:
    """Users first loaded one by one, then again by a query: the query's batch is theirs."""
    with bdb.session() as s:
        singles = [s.get(User, u) for u in range(1, USERS + 1)]
        with bdb.capture() as sent:
            again = s.query(User).all()
            assert {id(u) for u in again} == {id(u) for u in singles}
            assert sum(len(u.favorites) for u in again) == 3 * ARTICLES
        assert len(selects(sent)) == 2


def test_favorites_rows_count_matches(bdb: Database) -> None:
    with bdb.session() as s:
        assert s.query(Favorite).count() == 3 * ARTICLES


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_a_relationship_whose_key_field_is_not_loaded_loads_it_first(bdb: Database) -> None:
    """An expired (or left out) foreign key is loaded, never read as NULL."""
    with bdb.session() as s:
        articles = s.query(Article).order_by(Article.id).all()
        s.expire(articles[0])
        assert articles[0].author.name == "user2"
        s.expunge_all()
        articles = s.query(Article).order_by(Article.id).all()
        for a in articles[:3]:
            s.expire(a, "author_id")
        with bdb.capture() as sent:
            s.load(articles, Article.author)
        assert len(selects(sent)) == 2  # the 3 keys (one statement), then the authors
        assert [a.author.id for a in articles[:3]] == [2, 3, 4]


@pytest.mark.sync_only("the async session loads a cascade's children at flush")
def test_deleting_in_a_loop_loads_the_cascades_children_in_one_batch(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        top = s.query(Comment).where(Comment.parent_id.is_(None)).all()
        for c in top:
            s.delete(c)  # its reply's parent_id is set to NULL: the replies are loaded
        assert len(selects(sent)) == 2  # before: 1 + one per comment
        s.flush()
    with bdb.session() as s:
        assert s.query(Comment).count() == 4 * ARTICLES
        assert s.query(Comment).where(Comment.parent_id.is_(None)).count() == 2 * ARTICLES


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_expired_fields_reload_in_one_batch(bdb: Database) -> None:
    """After a bulk UPDATE (which expires the model's objects) or expire(), reading a
    field in a loop reloads it for the whole result at once (it was one per object)."""
    with bdb.session() as s:
        articles = s.query(Article).order_by(Article.id).all()
        assert s.query(Article).where(Article.id > 10).update(views=Article.views + 1) == 10
        articles[3].title = "unflushed"  # kept over the reload
        with bdb.capture() as sent:
            views = [a.views for a in articles]
        assert len(selects(sent)) == 1
        assert views == [a * 10 + (a > 10) for a in range(1, ARTICLES + 1)]
        assert articles[3].title == "unflushed" and "body" not in articles[3].__dict__
        assert s.dirty == [articles[3]]  # (reading does not flush)
        for a in articles[:5]:
            s.expire(a, "title")
        with bdb.capture() as sent:
            assert [a.title for a in articles[:5]] == [f"article {i}" for i in range(1, 6)]
        assert len(selects(sent)) == 1
