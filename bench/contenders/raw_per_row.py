"""The statement-per-row floor: the raw driver (:mod:`.raw_driver`) with one statement per
row where a unit of work may batch — B's INSERTs (each with its key: ``lastrowid`` or
``RETURNING id``) and I, J and K's UPDATEs / DELETEs, one ``execute`` each in the
transaction. Everything else is the raw driver's. The report shows B, I, J and K against
this floor as well as against the batched one (``executemany``, multi-row INSERT).
"""

from __future__ import annotations

from . import raw_driver

LABEL = "raw driver, statement per row"
DISTS = raw_driver.DISTS


class Bench(raw_driver.Bench):
    """The raw driver sending one statement per row in B, I, J and K."""

    per_row = True
