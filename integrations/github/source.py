"""GitHub issues -> Events: what routes see (repository, labels, author) and the keys that dedup them."""

from __future__ import annotations

import hashlib
from typing import Any

from alertfleet.models import Event, WriteTarget

SOURCE = "github"


def issue_ref(repository: str, number: int | str) -> str:
    """`owner/repo#123`: the write target, the source ref and the problem's group key."""
    return f"{repository}#{number}"


def parse_ref(ref: str) -> tuple[str, int]:
    repository, _, number = ref.rpartition("#")
    if "/" not in repository or not number.isdigit():
        raise ValueError(f"{ref!r} is not owner/repo#number")
    return repository, int(number)


def repository_of(issue: dict[str, Any], fallback: str | None = None) -> str:
    """owner/repo from the issue's `repository_url` (`…/repos/owner/repo`)."""
    url = str(issue.get("repository_url") or "")
    if "/repos/" in url:
        return url.rsplit("/repos/", 1)[1].strip("/")
    if fallback:
        return fallback
    raise ValueError("the issue names no repository")


def dedup_key(repository: str, issue: dict[str, Any], trigger: str = "") -> str:
    """One investigation per issue however often it is listed or re-announced (`opened`, `labeled`);
    a `reopened` issue (its trigger: the reopening time) deserves another look."""
    identity = f"github:{issue_ref(repository, issue['number'])}:{issue.get('created_at', '')}"
    return hashlib.sha256((identity + (f":{trigger}" if trigger else "")).encode()).hexdigest()


def label_names(issue: dict[str, Any]) -> list[str]:
    return [str(label.get("name") if isinstance(label, dict) else label) for label in issue.get("labels", [])]


def has_labels(issue: dict[str, Any], wanted: list[str]) -> bool:
    """GitHub's own `labels` filter: the issue carries every one of them (names compare case-insensitively)."""
    present = {name.lower() for name in label_names(issue)}
    return all(label.lower() in present for label in wanted)


def event_from_issue(issue: dict[str, Any], repository: str) -> Event:
    """One issue as an event written back to that issue (`github` destination, target owner/repo#n)."""
    ref = issue_ref(repository, issue["number"])
    author = str((issue.get("user") or {}).get("login", ""))
    labels = {"repository": repository, "labels": ",".join(label_names(issue)), "author": author}
    return Event(
        source=SOURCE,
        title=f"{ref}: {issue.get('title') or '(no title)'}",
        description=str(issue.get("body") or ""),
        group_key=f"github:{ref}",
        labels={name: value for name, value in labels.items() if value},
        subject={
            "type": "github_issue",
            "repository": repository,
            "number": issue["number"],
            "url": issue.get("html_url", ""),
        },
        context={"created_at": issue.get("created_at"), "state": issue.get("state")},
        external_url=str(issue.get("html_url") or ""),
        source_ref=ref,
        writeback=[WriteTarget(type=SOURCE, target=ref)],
    )
