"""ormolu: a typed, fast, safe-by-default object-relational mapper.

Everything a user needs is importable from here; the rest is internal.
"""

from .async_engine import AsyncDatabase
from .engine import Database
from .exceptions import (
    ArgumentError,
    CheckViolation,
    CircularDependencyError,
    CommitOutcomeUnknown,
    ConfigurationError,
    ConnectionLost,
    DatabaseError,
    DataError,
    DeadlockDetected,
    DetachedInstanceError,
    ForeignKeyViolation,
    IntegrityError,
    InvalidRequestError,
    LazyLoadError,
    LockNotAvailable,
    MultipleResultsFound,
    NoResultFound,
    NotNullViolation,
    ObjectDeletedError,
    OperationalError,
    OrmoluError,
    PendingRollbackError,
    PoolTimeout,
    ProgrammingError,
    ReferencedTableError,
    SerializationFailure,
    StaleDataError,
    StatementTimeout,
    UndefinedColumn,
    UndefinedTable,
    UniqueViolation,
    ValidationError,
)
from .orm.attributes import Mapped
from .orm.columns import ColumnOption, defer, load_only, undefer
from .orm.fields import field
from .orm.model import Model, aliased
from .orm.related import RelationshipAttribute
from .orm.relationships import many_to_many, relationship
from .orm.state import status_of
from .orm.strategies import LoadOption, joinedload, lazyload, raiseload, selectinload
from .orm.values import update_fields, values_of
from .protocol import Execute, Op, Reply
from .schema.table import CheckConstraint, ForeignKeyConstraint, Index, UniqueConstraint
from .schema.types import SQLType
from .session.async_query import AsyncQuery
from .session.async_session import AsyncSession, AsyncTransaction
from .session.query import Query
from .session.result import Result
from .session.retry import AsyncAttempt, AsyncRetryingTransaction, Attempt, RetryingTransaction
from .session.session import Session
from .session.transaction import Transaction
from .sql.cte import CTE
from .sql.dml import insert
from .sql.elements import (
    ColumnRef,
    Expr,
    and_,
    asc,
    desc,
    false,
    literal,
    not_,
    or_,
    text,
    true,
)
from .sql.functions import case, extract, func
from .sql.selectable import Subquery, exists, select
from .sql.temporal import date_trunc, days_between

__all__ = [
    "CheckConstraint", "CheckViolation", "ConfigurationError", "ConnectionLost", "DataError",
    "ColumnRef", "Database", "DatabaseError", "Expr", "DeadlockDetected", "SerializationFailure",
    "DetachedInstanceError", "ForeignKeyViolation", "Index", "IntegrityError",
    "InvalidRequestError", "LockNotAvailable", "Mapped", "Model", "MultipleResultsFound",
    "NoResultFound", "NotNullViolation", "ObjectDeletedError", "OperationalError", "OrmoluError",
    "Query", "Result", "SQLType", "Session", "Transaction", "UniqueConstraint", "UniqueViolation",
    "ValidationError", "aliased", "and_", "asc", "case", "desc", "exists", "field", "func",
    "extract", "literal", "not_", "or_", "select", "status_of", "text",
    "CircularDependencyError", "ForeignKeyConstraint", "LazyLoadError", "LoadOption",
    "RelationshipAttribute", "joinedload", "lazyload", "many_to_many", "raiseload",
    "relationship", "selectinload", "CommitOutcomeUnknown", "PendingRollbackError",
    "PoolTimeout", "StatementTimeout", "Execute", "Op", "Reply", "AsyncDatabase", "AsyncQuery",
    "AsyncSession", "AsyncTransaction",
    "ArgumentError", "ProgrammingError", "UndefinedColumn", "UndefinedTable", "Subquery",
    "date_trunc", "days_between", "false", "true", "CTE", "insert",
    "StaleDataError", "ColumnOption", "defer", "load_only", "undefer",
    "Attempt", "AsyncAttempt", "AsyncRetryingTransaction", "RetryingTransaction",
    "update_fields", "values_of", "ReferencedTableError",
]  # fmt: skip

__version__ = "0.1.0"
