"""The one package that owns DuckDB: connection, schema, writes and every query.

* ``schema``: the tables, their columns, and ``ident`` (how a name is quoted);
* ``connection``: opening the file for one unit of work, transactions, ``init``;
* ``writes``: uploads, responses, activity returns, the demo, rollback;
* ``rounds``: survey rounds, their links (hashed tokens) and the answers they bring;
* ``reads``: the register, uploads and activity as they are;
* ``queries``: the SQL behind every indicator (``kpi.indicators`` and
  ``kpi.drivers`` call it and never write SQL themselves);
* ``access``: users, roles and the change log;
* ``rights``: one person's answers (find, erase), the retention rule, a whole copy;
* ``notes``: the board's notes and actions (who may see them: ``kpi.board.notes``).

SQL values always go in as parameters; table and column names come from this
package, the item bank or the catalogue, never from input, and are quoted.
"""

from __future__ import annotations

from kpi.store.access import AccessTables
from kpi.store.connection import (
    StoreLockedError,
    StoreMissingError,
    StoreWriteError,
    one_read_batch,
    owner_only,
)
from kpi.store.notes import NoteTables
from kpi.store.reads import Reads
from kpi.store.rights import Rights
from kpi.store.rounds import RoundTables
from kpi.store.schema import (
    ACTIVITY_COUNTS,
    ATTRIBUTE_COLUMNS,
    CHANNELS,
    PROVENANCE_COLUMNS,
    RESPONSE_KEY,
    SCHEMA_VERSION,
    WORDINGS,
    item_columns,
    response_columns,
)

__all__ = [
    "ACTIVITY_COUNTS",
    "ATTRIBUTE_COLUMNS",
    "CHANNELS",
    "PROVENANCE_COLUMNS",
    "RESPONSE_KEY",
    "SCHEMA_VERSION",
    "AccessTables",
    "Store",
    "StoreLockedError",
    "StoreMissingError",
    "StoreWriteError",
    "WORDINGS",
    "item_columns",
    "one_read_batch",
    "owner_only",
    "response_columns",
]


class Store(RoundTables, Reads, Rights, NoteTables):
    """A DuckDB file holding every response with its provenance.

    Nothing keeps the file open: :meth:`connect` opens it for one unit of work.
    """
