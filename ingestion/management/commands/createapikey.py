"""createapikey CUSTOMER [--tier T] [--project SLUG]...: the new key alone on the last line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ingestion.models import ApiKey, Customer, Project, Tier


class Command(BaseCommand):
    help = "Create (if missing) a customer and its projects, and issue a new API key."

    def add_arguments(self, parser):
        parser.add_argument("customer")
        parser.add_argument("--tier", choices=Tier.values, default=None)
        parser.add_argument("--project", action="append", default=[], dest="projects")
        parser.add_argument("--name", default="", help="a label for the key")

    @transaction.atomic
    def handle(self, customer: str, tier: str | None, projects: list[str], name: str, **opts):
        obj, created = Customer.objects.get_or_create(
            name=customer, defaults={"tier": tier or Tier.STARTER}
        )
        if tier and obj.tier != tier:
            obj.tier = tier
            obj.save(update_fields=["tier"])
        for slug in projects:
            project, _ = Project.objects.get_or_create(slug=slug, defaults={"customer": obj})
            if project.customer_id != obj.pk:
                raise CommandError(f"project {slug!r} belongs to another customer")
        _, raw = ApiKey.issue(obj, name=name)
        verb = "created" if created else "existing"
        self.stdout.write(
            f"{verb} customer {obj.name} (tier {obj.tier}); projects: "
            f"{', '.join(obj.projects.values_list('slug', flat=True)) or '-'}"
        )
        self.stdout.write("API key (shown once):")
        self.stdout.write(raw)
