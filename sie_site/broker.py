"""The embedded default's Celery broker: kombu's filesystem transport with atomic writes.

kombu's filesystem channel creates the message file under its final name and then writes
it; a consumer polling the folder can move and read it in between, get an empty file and
crash the worker with a JSONDecodeError (seen in `make demo`); fan-out exchange tables have
the same race when they are created. Here a message is written under a name no consumer
matches (`….msg.part`) and renamed into place, and a table is created whole, so readers only
ever see complete files. Selected by CELERY_BROKER_TRANSPORT in settings.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        # Same name scheme as kombu (time-ordered, then the queue), so consumers stay in order.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)  # atomic within one file system
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        # kombu creates a new exchange table with open("wb") before locking it: a process
        # reading or binding in between reads b"" (JSONDecodeError at start-up when web, worker
        # and beat bind the same fan-out exchange). Create it whole, atomically, first.
        table = self._exchange_file(exchange)
        self.control_folder.mkdir(exist_ok=True)
        if not table.exists():
            partial = table.with_name(f"{table.name}.{uuid.uuid4()}.part")
            partial.write_bytes(str_to_bytes(dumps([])))
            try:
                os.link(partial, table)  # create-if-absent in one step
            except FileExistsError:
                pass
            finally:
                partial.unlink()
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel
