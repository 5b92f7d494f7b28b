"""The embedded default's broker (kombu filesystem transport with atomic writes)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from kombu import Connection


def make_connection(folder: Path) -> Connection:
    (folder / "processed").mkdir(parents=True, exist_ok=True)
    return Connection(
        "filesystem://",
        transport="sie_site.broker:Transport",
        transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        },
    )


def test_a_message_round_trips_through_the_folder(tmp_path):
    with make_connection(tmp_path) as conn:
        queue = conn.SimpleQueue("jobs")
        queue.put({"ids": [1, 2, 3]})
        message = queue.get(timeout=5)
        message.ack()
        assert message.payload == {"ids": [1, 2, 3]}
        queue.close()


def test_a_consumer_never_sees_a_partly_written_message(tmp_path):
    # kombu's own channel creates `….msg` empty and then writes it: a poller that reads in
    # between gets b"" (the demo worker's JSONDecodeError). Here only whole messages appear.
    stop = threading.Event()
    seen: list[bytes] = []

    def poll() -> None:
        while not stop.is_set():
            for name in os.listdir(tmp_path):
                if name.endswith(".msg"):
                    try:
                        seen.append((tmp_path / name).read_bytes())
                    except FileNotFoundError:
                        pass

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        with make_connection(tmp_path) as conn:
            channel = conn.default_channel
            for n in range(300):
                channel._put("jobs", {"n": n, "text": "x" * 200_000})
    finally:
        stop.set()
        reader.join()
    assert seen, "the poller saw no message at all"
    assert all(json.loads(raw)["text"] == "x" * 200_000 for raw in seen)


def test_processes_binding_a_new_fanout_exchange_at_once_never_read_an_empty_table(tmp_path):
    # Web, worker and beat bind the same fan-out exchange at start-up; with kombu's own
    # channel a reader could open the table between its creation and its first write.
    errors: list[Exception] = []
    with make_connection(tmp_path) as conn:
        channels = [conn.channel() for _ in range(6)]
        for round_ in range(40):
            exchange = f"fanout{round_}"
            barrier = threading.Barrier(len(channels))

            def bind(channel, n: int, exchange: str = exchange, barrier=barrier) -> None:
                try:
                    barrier.wait()
                    channel._queue_bind(exchange, "", "", f"q{n}")
                    channel.get_table(exchange)
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    errors.append(exc)

            threads = [threading.Thread(target=bind, args=(c, n)) for n, c in enumerate(channels)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            table = channels[0].get_table(exchange)
            assert sorted(q.queue for q in table) == sorted(f"q{n}" for n in range(6))
    assert errors == []
