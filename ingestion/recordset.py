"""A batch of model rows as one JSON document that PostgreSQL unpacks with jsonb_to_recordset.

One statement with one parameter, whatever the batch size: 500 rows as VALUES tuples made
psycopg spend more time splitting and quoting the query than PostgreSQL spent writing it, and
Django's bulk_update (a CASE WHEN per row and field) took 80 % of an enrichment batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def jsonb_recordset(rows: Sequence[Model], fields: Sequence[Field]) -> tuple[str, str]:
    """(`jsonb_to_recordset(%s::jsonb) AS r(id bigint, col type, …)`, its JSON parameter).

    Row `r` carries each row's primary key as `id` and `fields` by column name.
    """
    quote = connection.ops.quote_name
    types = ", ".join(f"{quote(f.column)} {_db_type(f)}" for f in fields)
    records = [
        {"id": row.pk, **{f.column: getattr(row, f.attname) for f in fields}} for row in rows
    ]
    source = f"jsonb_to_recordset(%s::jsonb) AS r(id bigint, {types})"
    return source, json.dumps(records, default=_encode)


def _db_type(field: Field) -> str:
    return field.rel_db_type(connection) if field.is_relation else field.db_type(connection)


def _encode(value: Any) -> str:
    # Full microsecond precision (DjangoJSONEncoder would cut it to milliseconds).
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")
