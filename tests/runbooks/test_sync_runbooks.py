from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from runbooks.models import Runbook, RunbookRevision
from runbooks.sync import LIBRARY_DIR

pytestmark = pytest.mark.django_db


def sync(path: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("sync_runbooks", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def revisions(slug: str) -> list[int]:
    return list(
        RunbookRevision.objects.filter(runbook__slug=slug)
        .order_by("number")
        .values_list("number", flat=True)
    )


def test_first_sync_creates_each_runbook_with_a_first_revision(library, write_runbook):
    write_runbook("disk-full", tags=["disk"], services=["sie-ingestion"], alerts=["disk > 90%"])
    write_runbook("cert-expiry")

    out, _ = sync(library)

    disk = Runbook.objects.get(slug="disk-full")
    assert (disk.title, disk.tags, disk.services, disk.alerts) == (
        "Disk full",
        ["disk"],
        ["sie-ingestion"],
        ["disk > 90%"],
    )
    assert disk.body == "## Symptoms\n\nIt is slow.\n"
    assert revisions("disk-full") == [1] and revisions("cert-expiry") == [1]
    assert "created disk-full" in out and "2 created" in out


def test_a_second_sync_of_the_same_files_changes_nothing(library, write_runbook):
    write_runbook("disk-full")
    sync(library)
    before = list(Runbook.objects.values_list("slug", "updated_at", "content_hash"))

    out, _ = sync(library)

    assert list(Runbook.objects.values_list("slug", "updated_at", "content_hash")) == before
    assert RunbookRevision.objects.filter(runbook__slug="disk-full").count() == 1
    summary = "0 created, 0 updated, 0 restored, 0 archived, 1 unchanged, 0 invalid"
    assert out.strip().endswith(summary)


def test_only_a_changed_file_gets_a_new_revision(library, write_runbook):
    write_runbook("disk-full")
    write_runbook("cert-expiry")
    sync(library)

    write_runbook("disk-full", body="## Symptoms\n\nThe disk is full.\n")
    out, _ = sync(library)

    assert revisions("disk-full") == [1, 2]
    assert revisions("cert-expiry") == [1]
    assert "The disk is full." in Runbook.objects.get(slug="disk-full").body
    newest = RunbookRevision.objects.get(runbook__slug="disk-full", number=2)
    assert "The disk is full." in newest.source and newest.source.startswith("---\n")
    assert "updated disk-full" in out


def test_a_runbook_removed_from_the_library_is_archived_with_its_history(library, write_runbook):
    write_runbook("disk-full")
    gone = write_runbook("cert-expiry")
    sync(library)
    write_runbook("cert-expiry", body="## Symptoms\n\nSecond version.\n")
    sync(library)

    gone.unlink()
    out, _ = sync(library)

    archived = Runbook.objects.get(slug="cert-expiry")
    assert archived.archived_at is not None
    assert revisions("cert-expiry") == [1, 2]
    assert list(Runbook.objects.active().values_list("slug", flat=True)) == ["disk-full"]
    assert "archived cert-expiry" in out


def test_a_file_that_comes_back_is_restored_without_a_new_revision(library, write_runbook):
    path = write_runbook("cert-expiry")
    sync(library)
    source = path.read_text()
    path.unlink()
    sync(library)

    path.write_text(source)
    out, _ = sync(library)

    assert Runbook.objects.get(slug="cert-expiry").archived_at is None
    assert revisions("cert-expiry") == [1]
    assert "restored cert-expiry" in out


def test_invalid_files_are_reported_by_file_and_field_while_the_rest_syncs(library, write_runbook):
    write_runbook("good-one")
    write_runbook("no-title", title="")
    write_runbook("bad-tags", tags="queue")  # a string, not a list
    write_runbook("typo", tag=["queue"])  # unknown field
    write_runbook("good-one", filename="zz-duplicate.md")
    (library / "broken-yaml.md").write_text("---\ntitle: [unclosed\nslug: x\n---\nbody\n")
    (library / "no-body.md").write_text("---\ntitle: Empty\nslug: no-body\n---\n\n")
    (library / "bad-slug.md").write_text("---\ntitle: Bad slug\nslug: Not A Slug\n---\nbody\n")

    err = StringIO()
    with pytest.raises(CommandError, match="7 invalid runbook file"):
        call_command("sync_runbooks", str(library), stdout=StringIO(), stderr=err)

    reported = err.getvalue()
    assert "no-title.md: title: required" in reported
    assert "bad-tags.md: tags: must be a list" in reported
    assert "typo.md: tag: unknown field" in reported
    assert "zz-duplicate.md: slug: 'good-one' is also used by good-one.md" in reported
    assert "broken-yaml.md: front matter: not valid YAML" in reported
    assert "no-body.md: body:" in reported
    assert "bad-slug.md: slug:" in reported
    assert list(Runbook.objects.active().values_list("slug", flat=True)) == ["good-one"]


def test_a_runbook_whose_file_turns_invalid_stays_live_in_its_last_good_version(
    library, write_runbook
):
    path = write_runbook("disk-full")
    sync(library)

    path.write_text("---\ntitle: Disk full\nslug: disk-full\ntags: oops\n---\nnew body\n")
    with pytest.raises(CommandError):
        sync(library)

    runbook = Runbook.objects.get(slug="disk-full")
    assert runbook.archived_at is None
    assert runbook.body == "## Symptoms\n\nIt is slow.\n"
    assert revisions("disk-full") == [1]


def test_a_missing_library_directory_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="is not a directory"):
        sync(tmp_path / "nowhere")


def test_migrate_leaves_the_shipped_library_in_the_database():
    # The test database was built by `migrate`, whose post_migrate handler synced the library.
    shipped = {path.stem for path in LIBRARY_DIR.glob("*.md")}
    assert set(Runbook.objects.active().values_list("slug", flat=True)) == shipped
    assert not RunbookRevision.objects.exclude(number=1).exists()
