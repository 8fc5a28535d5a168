"""The workload every contender runs: the eleven tests A-K, the two relation tests L and
M, and their deterministic data.

Everything here is computed from ``n`` and a seed, so every contender (each in its own
process) gets exactly the same rows, offsets and keys. Tests run in order A → M in one
process against an empty ``journal`` table; after A, B and C the table holds ``3n`` rows
with ids ``1..3n`` (A's rows are ``1..n``, B's ``n+1..2n``, C's ``2n+1..3n``).

L and M only read the tables ``author``, ``book``, ``tag`` and ``book_tag``, which the
harness fills (untimed, with the plain driver) before each contender process from
:func:`relation_rows`: ``n // 10`` authors with ``10`` books each, 50 tags, and 3 tags per
book. L loads every author with its books; M loads the books with ids ``1..n // 10`` with
their tags.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# The five levels of the original "small table" benchmark (logging levels).
LEVELS = (10, 20, 30, 40, 50)
# The values I ("update whole object") and J ("update one field") write.
I_TIMESTAMP = datetime(2030, 1, 1, 12, 0, 0)
I_LEVEL = 60
I_TEXT = "updated by test I"
J_LEVEL = 70
SMALL_LIMIT = 20

# (letter, contender method, title)
TESTS: tuple[tuple[str, str, str], ...] = (
    ("A", "insert_single", "insert single (one transaction per row)"),
    ("B", "insert_batch", "insert batch (one object at a time, one transaction)"),
    ("C", "bulk_insert", "bulk insert"),
    ("D", "filter_large", "filter large (all rows of each level, as objects)"),
    ("E", "filter_small", "filter small (LIMIT 20 at random offsets)"),
    ("F", "get", "get by primary key"),
    ("G", "dicts", "rows as dicts"),
    ("H", "tuples", "rows as tuples"),
    ("I", "update_whole", "update whole object"),
    ("J", "update_field", "update one field"),
    ("K", "delete", "delete one by one"),
    ("L", "load_parents", "load parents with children (select-in / prefetch)"),
    ("M", "load_many_to_many", "many-to-many load (select-in / prefetch)"),
)
LETTERS = tuple(t[0] for t in TESTS)
# The small-table tests, which the geometric mean summarises, and the relation tests.
CORE_LETTERS = LETTERS[: LETTERS.index("K") + 1]
RELATION_LETTERS = LETTERS[len(CORE_LETTERS) :]
# Read-only tests leave the table as it was, so the worker may run them several times
# (``--inner``) and keep the fastest, which filters out noise on short timings.
REPEATABLE = frozenset("DEFGHLM")


class JournalRow:
    """The plain object the raw-driver and Core contenders build for each row."""

    __slots__ = ("id", "level", "text", "timestamp")

    def __init__(self, id: int, timestamp: datetime, level: int, text: str) -> None:
        self.id = id
        self.timestamp = timestamp
        self.level = level
        self.text = text


class AuthorRow:
    """A parent of L as plain object (raw driver and Core), with its list of books."""

    __slots__ = ("books", "id", "name")

    def __init__(self, id: int, name: str) -> None:
        self.id = id
        self.name = name
        self.books: list[BookRow] = []


class BookRow:
    """A child of L / a book of M as plain object; ``tags`` is set only by M."""

    __slots__ = ("author_id", "id", "tags", "title")
    tags: list[TagRow]

    def __init__(self, id: int, author_id: int, title: str) -> None:
        self.id = id
        self.author_id = author_id
        self.title = title


class TagRow:
    """A tag of M as plain object (one per tag, shared by its books)."""

    __slots__ = ("id", "name")

    def __init__(self, id: int, name: str) -> None:
        self.id = id
        self.name = name


Row = tuple[datetime, int, str]  # (timestamp, level, text) of a row to insert


@dataclass
class Workload:
    """The data of one run; see the module docstring for the id layout."""

    n: int
    seed: int
    rows_a: list[Row]
    rows_b: list[Row]
    rows_c: list[Row]
    small: list[tuple[int, int]]  # E: (level, offset) pairs
    get_ids: list[int]  # F: n distinct ids in random order
    expected: dict[str, int] = field(default_factory=dict)

    @property
    def parents(self) -> int:
        """L: the number of authors (n / 10), each with CHILDREN books."""
        return relation_parents(self.n)

    @property
    def many_to_many_ids(self) -> tuple[int, int]:
        """M: the inclusive id range of the books loaded with their tags (n / 10 books)."""
        return 1, relation_parents(self.n)

    @property
    def update_whole_ids(self) -> tuple[int, int]:
        """I: the inclusive id range whose objects are loaded and fully updated (A's rows)."""
        return 1, self.n

    @property
    def update_field_ids(self) -> tuple[int, int]:
        """J: the inclusive id range whose objects get a new level (B's rows)."""
        return self.n + 1, 2 * self.n

    @property
    def delete_ids(self) -> tuple[int, int]:
        """K: the inclusive id range whose objects are deleted one by one (C's rows)."""
        return 2 * self.n + 1, 3 * self.n


def units_of_work(w: Workload) -> dict[str, tuple[str, int]]:
    """Per test, what one unit of work is and how many the test does: the statement
    counts are reported per unit (one insert of A, one page of E, one get of F, one query
    of D/G/H; the whole test where it is one unit of work: B, C, I-M)."""
    queries = len(LEVELS)
    return {
        "A": ("insert + commit", w.n),
        "B": ("transaction", 1),
        "C": ("transaction", 1),
        "D": ("query", queries),
        "E": ("page", len(w.small)),
        "F": ("get", w.n),
        "G": ("query", queries),
        "H": ("query", queries),
        "I": ("load + flush", 1),
        "J": ("load + flush", 1),
        "K": ("load + flush", 1),
        "L": ("eager load", 1),
        "M": ("eager load", 1),
    }


def small_query_count(n: int) -> int:
    """E's number of LIMIT 20 queries: n / 10 (1,000 at n = 10,000), at least 10."""
    return max(10, n // 10)


def _rows(rng: random.Random, n: int, start: datetime, tag: str) -> list[Row]:
    rows = []
    for i in range(n):
        ts = start + timedelta(seconds=i * 7 + rng.randrange(7))
        level = rng.choice(LEVELS)
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(2, 12)))
        rows.append((ts, level, f"{tag} {i}: {words}"[:255]))
    return rows


_WORDS = [
    "request", "served", "user", "login", "failed", "retry", "cache", "miss", "hit", "disk",
    "queue", "timeout", "commit", "rollback", "index", "scan", "worker", "started", "stopped",
    "payload", "accepted", "rejected",
]  # fmt: skip


def make_workload(n: int, seed: int = 20240501) -> Workload:
    """Build the deterministic workload for ``n`` rows per insert test."""
    if n < 100:
        raise ValueError("n must be at least 100")
    rng = random.Random(seed)
    base = datetime(2024, 1, 1)
    rows_a = _rows(rng, n, base, "Insert from A")
    rows_b = _rows(rng, n, base + timedelta(days=30), "Insert from B")
    rows_c = _rows(rng, n, base + timedelta(days=60), "Insert from C")
    per_level = {lv: 0 for lv in LEVELS}
    for _, lv, _ in (*rows_a, *rows_b, *rows_c):
        per_level[lv] += 1
    small = []
    for _ in range(small_query_count(n)):
        lv = rng.choice(LEVELS)
        small.append((lv, rng.randrange(0, per_level[lv] - SMALL_LIMIT + 1)))
    get_ids = rng.sample(range(1, 3 * n + 1), n)
    w = Workload(n, seed, rows_a, rows_b, rows_c, small, get_ids)
    w.expected = {
        "A": n,
        "B": n,
        "C": n,
        "D": 3 * n,
        "E": SMALL_LIMIT * len(small),
        "F": n,
        "G": 3 * n,
        "H": 3 * n,
        "I": n,
        "J": n,
        "K": n,
        "L": relation_parents(n) * (1 + CHILDREN),
        "M": relation_parents(n) * (1 + TAGS_PER_BOOK),
    }
    return w


# -- relation tests L and M -----------------------------------------------------------------
CHILDREN = 10  # books per author
TAG_COUNT = 50
TAGS_PER_BOOK = 3


def relation_parents(n: int) -> int:
    """L's number of authors and M's number of books: n / 10 (1,000 at n = 10,000)."""
    return max(10, n // 10)


@dataclass
class RelationRows:
    """The rows of the relation tables, as inserted by the harness."""

    authors: list[tuple[int, str]]  # (id, name)
    books: list[tuple[int, int, str]]  # (id, author_id, title)
    tags: list[tuple[int, str]]  # (id, name)
    book_tags: list[tuple[int, int]]  # (book_id, tag_id)


def relation_rows(n: int, seed: int = 20240501) -> RelationRows:
    """The deterministic contents of ``author``, ``book``, ``tag`` and ``book_tag``.

    ``n // 10`` authors; each has exactly ``CHILDREN`` books, spread over the id range
    (book ``i`` belongs to author ``(i - 1) % authors + 1``) so that a parent's children
    are not neighbours; ``TAG_COUNT`` tags; every book has ``TAGS_PER_BOOK`` distinct random
    tags. Its own random generator, so the data of A-K does not change.
    """
    rng = random.Random(f"relations-{seed}")
    parents = relation_parents(n)
    authors = [(i, f"author {i} {rng.choice(_WORDS)}") for i in range(1, parents + 1)]
    books = []
    for i in range(1, parents * CHILDREN + 1):
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(2, 6)))
        books.append((i, (i - 1) % parents + 1, f"book {i}: {words}"))
    tags = [(i, f"tag {i} {_WORDS[i % len(_WORDS)]}") for i in range(1, TAG_COUNT + 1)]
    book_tags = [
        (book_id, tag_id)
        for book_id, _, _ in books
        for tag_id in sorted(rng.sample(range(1, TAG_COUNT + 1), TAGS_PER_BOOK))
    ]
    return RelationRows(authors, books, tags, book_tags)
