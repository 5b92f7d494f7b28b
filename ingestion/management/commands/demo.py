"""demo: migrate, print an admin login and an API key, run web + worker + beat + simulator."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from ingestion.models import ApiKey, Customer, Project, Tier
from ingestion.simulation import rate_within_tier

DEMO_PROJECT = "demo-brand"


class Command(BaseCommand):
    help = "Run the whole product locally on the embedded default (Ctrl-C stops everything)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--rate", type=float, default=5.0,
            help="simulated requests/s (capped to 90%% of the demo customer's tier quota)",
        )
        parser.add_argument("--duration", type=float, default=0, help="stop after N s (0: never)")

    def handle(self, port: int, rate: float, duration: float, **opts):
        call_command("migrate", interactive=False, verbosity=0)
        password = self._admin_password()
        key = self._demo_key()
        tier = Customer.objects.get(name="demo").tier
        capped = rate_within_tier(rate, settings.SIE_TIER_RATE_LIMITS[tier])
        if capped < rate:
            self.stdout.write(f"demo: simulating {capped:.2f} req/s, inside the {tier} tier quota")
        rate = capped
        # The capacity dashboard's planner sizes instances from CPU costs measured here.
        call_command("measure_capacity", requests=100, stdout=self.stdout)
        url = f"http://127.0.0.1:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nSIE demo on {url}\n"
                f"  admin login: {url}/admin/  user admin  password {password}\n"
                f"  dashboards: {url}/dashboards/slo/  {url}/dashboards/capacity/\n"
                f"  demo API key: {key}\n  try: curl -H 'X-API-Key: {key}' "
                f"'{url}/insights?project={DEMO_PROJECT}'\n"
            )
        )
        commands = self._commands(port, rate, key, url)
        commands.update(self._fake_pagerduty(url))
        self._run(commands, duration)

    def _fake_pagerduty(self, url: str) -> dict[str, list[str]]:
        """Without a real PagerDuty routing key, page a fake PagerDuty (TLS, loopback) that
        logs every event it accepts; children inherit the PAGERDUTY_* variables set here."""
        if settings.PAGERDUTY_DEFAULT_ROUTING_KEY:
            return {}
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            pd_port = sock.getsockname()[1]
        folder = settings.VAR_DIR / "fakepd"
        os.environ.update(
            PAGERDUTY_EVENTS_URL=f"https://127.0.0.1:{pd_port}",
            PAGERDUTY_CA_BUNDLE=str(folder / "fakepd-cert.pem"),
            PAGERDUTY_DEFAULT_ROUTING_KEY="demo" + "0" * 28,
        )
        self.stdout.write(
            f"  fake PagerDuty on https://127.0.0.1:{pd_port}: accepted events are appended to "
            f"{folder / 'events.jsonl'}\n  simulate an outage: {sys.executable} manage.py "
            f"simulate_fault errors   then watch {url}/admin/incidents/incident/\n"
        )
        return {"fakepd": [sys.executable, "-m", "incidents.fakepagerduty", "--port",
                           str(pd_port), "--dir", str(folder)]}

    def _admin_password(self) -> str:
        password = secrets.token_urlsafe(9)
        user, _ = get_user_model().objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        return password

    def _demo_key(self) -> str:
        customer, _ = Customer.objects.get_or_create(
            name="demo", defaults={"tier": Tier.ENTERPRISE}
        )
        Project.objects.get_or_create(
            slug=DEMO_PROJECT,
            defaults={
                "customer": customer,
                "brand_terms": ["Acme", "Acme Cloud", "Globex"],
                "product_terms": ["RoadRunner 3000", "Anvil Pro", "Rocket Skates"],
            },
        )
        return ApiKey.issue(customer, name="demo")[1]

    def _commands(self, port: int, rate: float, key: str, url: str) -> dict[str, list[str]]:
        py = sys.executable
        bin_dir = os.path.dirname(py)
        conf = os.path.join(settings.BASE_DIR, "gunicorn.conf.py")
        return {
            "web": [os.path.join(bin_dir, "gunicorn"), "sie_site.wsgi", "-c", conf, "-w", "2",
                    "-b", f"127.0.0.1:{port}"],
            "worker": [os.path.join(bin_dir, "celery"), "-A", "sie_site", "worker",
                       "-l", "INFO", "-c", str(settings.SIE_WORKER_CONCURRENCY)],
            "beat": [os.path.join(bin_dir, "celery"), "-A", "sie_site", "beat", "-l", "INFO"],
            "simulate": [py, "manage.py", "simulate", "--rate", str(rate), "--key", key,
                         "--url", url],
        }

    def _env(self, name: str) -> dict[str, str]:
        # Each process group keeps its own prometheus multiprocess files; /metrics merges them.
        env = dict(os.environ)
        if name == "worker":
            env["PROMETHEUS_MULTIPROC_DIR"] = str(settings.VAR_DIR / "metrics" / "worker")
        return env

    def _run(self, commands: dict[str, list[str]], duration: float) -> None:
        procs = {
            name: subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=self._env(name))
            for name, cmd in commands.items()
        }
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        started = time.monotonic()
        try:
            while not stop["now"] and (not duration or time.monotonic() - started < duration):
                dead = [n for n, p in procs.items() if p.poll() is not None]
                if dead:
                    self.stderr.write(f"demo: {', '.join(dead)} exited; stopping the rest")
                    break
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.stdout.write("demo: stopped")
