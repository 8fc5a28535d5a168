"""Django's ORM, configured standalone (``settings.configure``, ``USE_TZ = False``,
``DEBUG = False``) and used the Django way: ``objects.create``, ``transaction.atomic()``,
``bulk_create``, ``filter()``, slicing, ``objects.get``, ``values()``,
``values_list()``, ``save()`` / ``save(update_fields=...)`` and ``delete()``.

On SQLite, ``synchronous = NORMAL`` comes from the backend's ``init_command`` option;
on MySQL/MariaDB PyMySQL stands in for mysqlclient (``pymysql.install_as_MySQLdb()``),
since mysqlclient needs a C toolchain and client headers.
"""

from __future__ import annotations

from typing import Any

import django
from django.conf import settings as django_settings

from ..dbsetup import DbConfig
from ..workload import I_LEVEL, I_TEXT, I_TIMESTAMP, J_LEVEL, LEVELS, SMALL_LIMIT
from ..workload import Workload as W

LABEL = "Django"
DISTS = {
    "sqlite": ["Django"],
    "postgresql": ["Django", "psycopg"],
    "mysql": ["Django", "PyMySQL"],
}


def configure(cfg: DbConfig) -> None:
    """Configure Django for ``cfg`` and run ``django.setup()``."""
    if cfg.kind == "sqlite":
        database = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": cfg.path,
            "OPTIONS": {"init_command": "PRAGMA synchronous = NORMAL"},
        }
    else:
        if cfg.kind == "mysql":
            import pymysql

            pymysql.install_as_MySQLdb()
        database = {
            "ENGINE": f"django.db.backends.{cfg.kind}",
            "NAME": cfg.database,
            "USER": cfg.user,
            "PASSWORD": cfg.password,
            "HOST": cfg.host,
            "PORT": str(cfg.port),
        }
    django_settings.configure(
        DATABASES={"default": database},
        # An installed app for the models' app_label: Django resolves the reverse side of
        # a relationship (M's prefetch_related("tags") filters on Tag.books) only among
        # the models of installed apps.
        INSTALLED_APPS=["bench"],
        USE_TZ=False,
        DEBUG=False,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()


class Bench:
    """Django models and managers."""

    def __init__(self, cfg: DbConfig) -> None:
        self.kind = cfg.kind
        configure(cfg)
        from django.db import connection, models, transaction

        class Journal(models.Model):
            timestamp = models.DateTimeField()
            level = models.SmallIntegerField(db_index=True)
            text = models.CharField(max_length=255, db_index=True)

            class Meta:
                app_label = "bench"
                db_table = "journal"
                managed = False

        self.Journal = Journal
        self.atomic = transaction.atomic
        self.connection = connection
        self._relation_models()

    def _relation_models(self) -> None:
        """The relation tests' models: L's ``Author.books`` (the reverse of a ForeignKey)
        and M's ``Book.tags`` (a ManyToManyField onto the existing ``book_tag`` table)."""
        from django.db import models

        class Author(models.Model):
            name = models.CharField(max_length=100)

            class Meta:
                app_label = "bench"
                db_table = "author"
                managed = False

        class Tag(models.Model):
            name = models.CharField(max_length=100)

            class Meta:
                app_label = "bench"
                db_table = "tag"
                managed = False

        class Book(models.Model):
            author = models.ForeignKey(Author, models.CASCADE, related_name="books")
            title = models.CharField(max_length=200)
            tags = models.ManyToManyField(Tag, db_table="book_tag", related_name="books")

            class Meta:
                app_label = "bench"
                db_table = "book"
                managed = False

        self.Author, self.Book = Author, Book

    def insert_single(self, w: W) -> int:
        Journal = self.Journal
        for ts, level, text in w.rows_a:
            Journal.objects.create(timestamp=ts, level=level, text=text)  # autocommit
        return len(w.rows_a)

    def insert_batch(self, w: W) -> int:
        Journal = self.Journal
        with self.atomic():
            for ts, level, text in w.rows_b:
                Journal.objects.create(timestamp=ts, level=level, text=text)
        return len(w.rows_b)

    def bulk_insert(self, w: W) -> int:
        Journal = self.Journal
        with self.atomic():
            Journal.objects.bulk_create(
                [Journal(timestamp=ts, level=lv, text=tx) for ts, lv, tx in w.rows_c]
            )
        return len(w.rows_c)

    def filter_large(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(list(self.Journal.objects.filter(level=level)))
        return count

    def filter_small(self, w: W) -> int:
        count = 0
        objects = self.Journal.objects
        for level, offset in w.small:
            count += len(list(objects.filter(level=level)[offset : offset + SMALL_LIMIT]))
        return count

    def get(self, w: W) -> int:
        count = 0
        objects = self.Journal.objects
        for pk in w.get_ids:
            if objects.get(pk=pk) is not None:
                count += 1
        return count

    def dicts(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(list(self.Journal.objects.filter(level=level).values()))
        return count

    def tuples(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(list(self.Journal.objects.filter(level=level).values_list()))
        return count

    def _range(self, ids: tuple[int, int]) -> list[Any]:
        return list(self.Journal.objects.filter(id__range=ids))

    def update_whole(self, w: W) -> int:
        with self.atomic():
            objs = self._range(w.update_whole_ids)
            for o in objs:
                o.timestamp = I_TIMESTAMP
                o.level = I_LEVEL
                o.text = I_TEXT
                o.save()
        return len(objs)

    def update_field(self, w: W) -> int:
        with self.atomic():
            objs = self._range(w.update_field_ids)
            for o in objs:
                o.level = J_LEVEL
                o.save(update_fields=["level"])
        return len(objs)

    def delete(self, w: W) -> int:
        with self.atomic():
            objs = self._range(w.delete_ids)
            for o in objs:
                o.delete()
        return len(objs)

    def settings(self) -> dict[str, Any]:
        if self.kind != "sqlite":
            return {}
        with self.connection.cursor() as cur:
            out = {}
            for p in ("journal_mode", "synchronous"):
                cur.execute(f"PRAGMA {p}")
                out[p] = cur.fetchone()[0]
            return out

    def close(self) -> None:
        self.connection.close()

    # -- relation tests: prefetch_related ----------------------------------------------
    def load_parents(self, w: W) -> int:
        count = 0
        for a in self.Author.objects.prefetch_related("books"):
            count += 1
            for b in a.books.all():
                if b.title:
                    count += 1
        return count

    def load_many_to_many(self, w: W) -> int:
        count = 0
        books = self.Book.objects.filter(id__range=w.many_to_many_ids)
        for b in books.prefetch_related("tags"):
            count += 1
            for t in b.tags.all():
                if t.name:
                    count += 1
        return count
