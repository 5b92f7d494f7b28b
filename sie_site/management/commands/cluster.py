"""`python manage.py cluster` (`make cluster`): 2 gunicorn behind nginx, 2 workers, 1 Beat."""

from __future__ import annotations

import time
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sie_site.cluster import LocalCluster


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Command(BaseCommand):
    help = "Run the multi-instance layout on loopback until Ctrl-C (needs PostgreSQL + Redis)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8080, help="nginx port")
        parser.add_argument("--web-ports", type=int, nargs=2, default=[8001, 8002])
        parser.add_argument("--duration", type=float, default=0, help="stop after N s (0: never)")

    def handle(self, port: int, web_ports: list[int], duration: float, **opts):
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("make cluster needs DATABASE_URL=postgres://… (and REDIS_URL)")
        if not settings.REDIS_URL:
            raise CommandError("make cluster needs REDIS_URL=redis://…")
        call_command("migrate", verbosity=0)
        cluster = LocalCluster(settings.VAR_DIR / "cluster", port, tuple(web_ports))
        cluster.start(settings.BASE_DIR)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not _answers(f"{base}/ready") and time.monotonic() < deadline:
            time.sleep(0.5)
        self.stdout.write(f"SIE cluster behind nginx at {base} (instances on {web_ports}); "
                          "Ctrl-C stops it gracefully")
        try:
            started = time.monotonic()
            while not duration or time.monotonic() - started < duration:
                if any(p.poll() is not None for p in cluster.processes.values()):
                    dead = [n for n, p in cluster.processes.items() if p.poll() is not None]
                    self.stderr.write(f"exited: {dead}")
                    break
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            cluster.stop()
