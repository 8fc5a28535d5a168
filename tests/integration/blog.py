"""A web backend's schema (users who follow each other, articles with tags, favorites and
threaded comments) and its seed data, shared by the loading tests.

The data is given as rows (``ROWS``), inserted with ``insert_many`` by either front end,
so the sync and the async tests see the same database:

* 10 users; user ``u`` is followed by users ``u+1`` and ``u+2`` (mod 10): 2 followers each;
* 20 articles; article ``a`` is written by user ``a % 10 + 1`` (2 articles a user),
  tagged with 2 of 5 tags and favorited by 3 users;
* 2 comments on each article, each with one reply, which has a reply: 3 levels.
"""

from __future__ import annotations

from typing import Any

from ormolu import Mapped, Model, field, many_to_many, relationship

USERS, ARTICLES, TAGS = 10, 20, 5


class User(Model, table="nb_user"):
    id: Mapped[int] = field(primary_key=True, autoincrement=False)
    name: Mapped[str] = field(max_length=40)
    password_hash: Mapped[str] = field(max_length=100, default="", deferred=True)
    articles: Mapped[list[Article]] = relationship(back_populates="author")
    follows: Mapped[list[User]] = many_to_many(
        through="Follow", foreign_key=("follower_id", "followed_id"), back_populates="followers"
    )
    followers: Mapped[list[User]] = many_to_many(
        through="Follow", foreign_key=("followed_id", "follower_id"), back_populates="follows"
    )
    favorites: Mapped[list[Article]] = many_to_many(
        through="Favorite", back_populates="favorited_by"
    )


class Follow(Model, table="nb_follow"):
    follower_id: Mapped[int] = field(primary_key=True, foreign_key="User.id")
    followed_id: Mapped[int] = field(primary_key=True, foreign_key="User.id")


class Tag(Model, table="nb_tag"):
    id: Mapped[int] = field(primary_key=True, autoincrement=False)
    name: Mapped[str] = field(max_length=20)
    articles: Mapped[list[Article]] = many_to_many(through="ArticleTag", back_populates="tags")


class Article(Model, table="nb_article"):
    id: Mapped[int] = field(primary_key=True, autoincrement=False)
    title: Mapped[str] = field(max_length=80)
    body: Mapped[str] = field(default="", deferred=True)
    views: Mapped[int] = 0
    author_id: Mapped[int] = field(foreign_key="User.id")
    author: Mapped[User] = relationship(back_populates="articles")
    tags: Mapped[list[Tag]] = many_to_many(through="ArticleTag", back_populates="articles")
    favorited_by: Mapped[list[User]] = many_to_many(through="Favorite", back_populates="favorites")
    comments: Mapped[list[Comment]] = relationship(back_populates="article")


class ArticleTag(Model, table="nb_article_tag"):
    article_id: Mapped[int] = field(primary_key=True, foreign_key="Article.id")
    tag_id: Mapped[int] = field(primary_key=True, foreign_key="Tag.id")


class Favorite(Model, table="nb_favorite"):
    user_id: Mapped[int] = field(primary_key=True, foreign_key="User.id")
    article_id: Mapped[int] = field(primary_key=True, foreign_key="Article.id")


class Comment(Model, table="nb_comment"):
    id: Mapped[int] = field(primary_key=True, autoincrement=False)
    text: Mapped[str] = field(max_length=200, deferred=True, default="")
    article_id: Mapped[int] = field(foreign_key="Article.id")
    author_id: Mapped[int] = field(foreign_key="User.id")
    parent_id: Mapped[int | None] = field(foreign_key="Comment.id", default=None)
    article: Mapped[Article] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()
    parent: Mapped[Comment | None] = relationship(back_populates="replies")
    replies: Mapped[list[Comment]] = relationship(back_populates="parent")


MODELS: list[type[Model]] = [User, Follow, Tag, Article, ArticleTag, Favorite, Comment]


def _rows() -> list[tuple[type[Model], list[dict[str, Any]]]]:
    users = [
        {"id": u, "name": f"user{u}", "password_hash": f"hash{u}"} for u in range(1, USERS + 1)
    ]
    follows = [
        {"follower_id": (u - 1 + k) % USERS + 1, "followed_id": u}
        for u in range(1, USERS + 1)
        for k in (1, 2)
    ]
    tags = [{"id": t, "name": f"tag{t}"} for t in range(1, TAGS + 1)]
    articles = [
        {
            "id": a,
            "title": f"article {a}",
            "body": f"body of article {a} " * 20,
            "views": a * 10,
            "author_id": a % USERS + 1,
        }
        for a in range(1, ARTICLES + 1)
    ]
    article_tags = [
        {"article_id": a, "tag_id": (a + k) % TAGS + 1}
        for a in range(1, ARTICLES + 1)
        for k in (0, 1)
    ]
    favorites = [
        {"user_id": (a + k) % USERS + 1, "article_id": a}
        for a in range(1, ARTICLES + 1)
        for k in (3, 5, 7)
    ]
    comments: list[dict[str, Any]] = []
    for a in range(1, ARTICLES + 1):
        for k in (1, 4):
            parent = None
            for level in range(3):  # a comment, its reply, the reply's reply
                cid = len(comments) + 1
                comments.append(
                    {
                        "id": cid,
                        "text": f"comment {cid}",
                        "article_id": a,
                        "author_id": (a + k + level) % USERS + 1,
                        "parent_id": parent,
                    }
                )
                parent = cid
    return [
        (User, users),
        (Follow, follows),
        (Tag, tags),
        (Article, articles),
        (ArticleTag, article_tags),
        (Favorite, favorites),
        (Comment, comments),
    ]


ROWS = _rows()


def selects(statements: list[tuple[str, object]]) -> list[str]:
    """The SELECT statements among captured ones."""
    return [sql for sql, _ in statements if sql.lstrip().upper().startswith("SELECT")]
