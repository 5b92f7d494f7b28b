"""Customers, their projects and API keys; mentions and what enrichment derives from them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

KEY_PREFIX_LEN = 8


class Tier(models.TextChoices):
    STARTER = "starter"
    PRO = "pro"
    ENTERPRISE = "enterprise"


class Customer(models.Model):
    name = models.CharField(max_length=100, unique=True)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.STARTER)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    # DRF treats the authenticated principal as `request.user`; a customer is always authenticated.
    is_authenticated = True


class Project(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="projects")
    slug = models.SlugField(max_length=64, unique=True)
    # Terms the entity ruler tags as BRAND / PRODUCT in this project's mentions.
    brand_terms = models.JSONField(default=list, blank=True)
    product_terms = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.slug


def hash_key(raw: str) -> str:
    # Keys carry 190+ bits of randomness, so a fast hash is enough (no password stretching).
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at=None)


class ApiKey(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=KEY_PREFIX_LEN, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"sie_{self.prefix}… ({self.customer})"

    @classmethod
    def issue(cls, customer: Customer, name: str = "") -> tuple[ApiKey, str]:
        """Create a key; the raw key is returned once and never stored."""
        prefix = secrets.token_hex(KEY_PREFIX_LEN // 2)
        raw = f"sie_{prefix}_{secrets.token_urlsafe(24)}"
        key = cls.objects.create(
            customer=customer, name=name, prefix=prefix, key_hash=hash_key(raw)
        )
        return key, raw

    @classmethod
    def authenticate(cls, raw: str) -> ApiKey | None:
        parts = raw.split("_", 2)
        if len(parts) != 3 or parts[0] != "sie" or len(parts[1]) != KEY_PREFIX_LEN:
            return None
        key = cls.objects.active().select_related("customer").filter(prefix=parts[1]).first()
        if key is None or not hmac.compare_digest(key.key_hash, hash_key(raw)):
            return None
        return key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class MentionStatus(models.TextChoices):
    PENDING = "pending"
    ENRICHED = "enriched"
    FAILED = "failed"  # dead-lettered; replay_dlq puts it back to pending


class Sentiment(models.TextChoices):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class Mention(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="mentions")
    external_id = models.CharField(max_length=128)
    text = models.TextField()
    source = models.CharField(max_length=64, blank=True)
    author = models.CharField(max_length=256, blank=True)
    url = models.URLField(max_length=2048, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    lang = models.CharField(max_length=16, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    # posted_at when given, else received_at: the time insights bucket and filter on.
    occurred_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=MentionStatus.choices, default=MentionStatus.PENDING
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    # A worker's lease on a pending mention (ingestion.leases): until it expires no other
    # worker claims the row, and only the holder of claim_token may write its enrichment.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, default="")
    enriched_at = models.DateTimeField(null=True, blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    compound = models.FloatField(null=True, blank=True)
    positive = models.FloatField(null=True, blank=True)
    neutral = models.FloatField(null=True, blank=True)
    negative = models.FloatField(null=True, blank=True)
    entities = models.JSONField(default=list, blank=True)
    hashtags = models.JSONField(default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    detected_lang = models.CharField(max_length=16, blank=True)
    ai = models.JSONField(default=dict, blank=True)
    # Enriched locally only because the remote AI enricher was unavailable.
    degraded = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"], name="mention_unique_ext_id"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "occurred_at"], name="mention_project_time"),
            models.Index(fields=["project", "-id"], name="mention_project_id_desc"),
            # The sweeper, the queue-depth probe and the queue-lag SLI read only pending rows.
            models.Index(
                fields=["received_at"],
                name="mention_pending",
                condition=Q(status="pending"),
            ),
            # The claim walks each project's pending rows oldest first (ingestion.leases).
            models.Index(
                fields=["project", "id"],
                name="mention_pending_claim",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["project", "occurred_at"],
                name="mention_failed",
                condition=Q(status="failed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.external_id}"


class HourlyRollup(models.Model):
    """Per project and hour: counts and sentiment sums, maintained additively by enrichment."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    bucket = models.DateTimeField()
    count = models.BigIntegerField(default=0)
    compound_sum = models.FloatField(default=0.0)
    positive = models.BigIntegerField(default=0)
    neutral = models.BigIntegerField(default=0)
    negative = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "bucket"], name="rollup_project_bucket"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}@{self.bucket:%Y-%m-%d %H:00}: {self.count}"


class TermRollup(models.Model):
    """Per project and hour: how often an entity or hashtag appeared."""

    class Kind(models.TextChoices):
        ENTITY = "entity"
        HASHTAG = "hashtag"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    bucket = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.CharField(max_length=200)
    label = models.CharField(max_length=32, blank=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "bucket", "kind", "text", "label"], name="termrollup_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.text!r}: {self.count}"


class DeadLetter(models.Model):
    """An enrichment job that failed its last retry; `replay_dlq` sends it again."""

    task_name = models.CharField(max_length=200)
    mention_ids = models.JSONField(default=list)
    error_type = models.CharField(max_length=200)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    failed_at = models.DateTimeField(default=timezone.now)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["failed_at"], name="deadletter_open", condition=Q(replayed_at=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} ({len(self.mention_ids)} mentions): {self.error_type}"

    def mark_replayed(self, at: datetime | None = None) -> None:
        self.replayed_at = at or timezone.now()
        self.save(update_fields=["replayed_at"])
