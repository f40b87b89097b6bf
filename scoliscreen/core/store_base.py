"""What the store's mixins (patients, annotations) use of :class:`~scoliscreen.core.store.Store`.

Declarations for the type checker only: the implementations live in ``core/store.py``.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any


class StoreBase:
    if TYPE_CHECKING:
        db: Any  # sqlite_utils.Database
        user: str

        @property
        def conn(self) -> sqlite3.Connection: ...
        def transaction(self) -> AbstractContextManager[None]: ...
        def _insert(self, table: str, record: dict) -> int: ...
        def _audit(self, action: str, entity: str, entity_id: int | None, detail: str = "") -> None: ...
        def _rows(self, sql: str, params: Any = ()) -> list[dict]: ...
        def get_visit(self, visit_id: int) -> dict: ...
