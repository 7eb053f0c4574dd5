"""monday.com client: transport seam, error tree, retries, pacing, batched GraphQL writes.

Build one client per run::

    http = build_http_client(api_url=DEFAULT_API_URL, token=token, transport=None)
    client = MondayClient(http, retry=RetryPolicy(), pacer=Pacer())
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_API_VERSION",
    "BoardInfo",
    "ClientStats",
    "ColumnInfo",
    "ColumnValueRecord",
    "ComplexityInfo",
    "GiveUp",
    "GroupInfo",
    "ItemRecord",
    "ItemUpdate",
    "MondayClient",
    "MondayCursorExpiredError",
    "MondayDailyLimitError",
    "MondayError",
    "MondayFatalError",
    "MondayRecordError",
    "MondayRetriableError",
    "NewItem",
    "NewSubitem",
    "Outcome",
    "Pacer",
    "Retry",
    "RetryPolicy",
    "ValueEncodingError",
    "build_http_client",
    "call_with_retry",
    "classify",
    "encode_value",
]

from sync.monday.client import MondayClient
from sync.monday.errors import (
    MondayCursorExpiredError,
    MondayDailyLimitError,
    MondayError,
    MondayFatalError,
    MondayRecordError,
    MondayRetriableError,
    classify,
)
from sync.monday.models import (
    BoardInfo,
    ClientStats,
    ColumnInfo,
    ColumnValueRecord,
    ComplexityInfo,
    GroupInfo,
    ItemRecord,
    ItemUpdate,
    NewItem,
    NewSubitem,
    Outcome,
)
from sync.monday.pacing import Pacer
from sync.monday.retry import GiveUp, Retry, RetryPolicy, call_with_retry
from sync.monday.transport import DEFAULT_API_URL, DEFAULT_API_VERSION, build_http_client
from sync.monday.values import ValueEncodingError, encode_value
