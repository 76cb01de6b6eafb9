"""Untrusted text made inert for Slack mrkdwn: nothing the model or an alert's sender wrote pings or links.

In mrkdwn, control sequences live inside `<…>`: `<!channel>`, `<!here>`, `<!everyone>`,
`<!subteam^S123>`, user `<@U123>` and channel `<#C123>` mentions, and links `<url|text>`. Slack's own
escaping rule is to write `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`
(https://api.slack.com/reference/surfaces/formatting#escaping); after that no untrusted `<…>` is left.
Bare `@channel`, `@here`, `@everyone` and other @-words only ping with `link_names`, which alertfleet
never sets; they are defused anyway (a word joiner after the `@`), so a client or a later flag cannot
turn them into mentions. The only live links are the ones `link` builds, from URLs alertfleet chose to
show (the alert's source, runbook, Alertmanager).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

WORD_JOINER = "\u2060"  # zero-width, not a word character: `@\u2060channel` reads as @channel and pings no one
_AT_WORD = re.compile(r"(?<![\w@])@(?=[\w.-])")
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_LINK_SCHEMES = frozenset({"http", "https"})


def escape(text: str) -> str:
    """Slack's escaping: `&`, `<`, `>` as entities (so no `<…>` control sequence survives)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def defuse_mentions(text: str) -> str:
    """`@channel`, `@here`, `@someone` -> the same text with a word joiner after `@` (no mention)."""
    return _AT_WORD.sub("@" + WORD_JOINER, text)


def safe_text(text: str) -> str:
    """Untrusted text as inert mrkdwn: shown as written, never a mention, a broadcast or a link."""
    return defuse_mentions(escape(text))


def safe_markdown(text: str) -> str:
    """Untrusted markdown as inert mrkdwn; a `[label](url)` link is shown as `label (url)`, so the reader
    sees where it goes (a model cannot hide a URL behind a friendly label)."""
    return _MARKDOWN_LINK.sub(r"\1 (\2)", safe_text(text))


def _link_url(url: str) -> str | None:
    """The URL as it may stand inside `<…|…>`: http(s) only, and none of `|`, `<`, `>`, spaces."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in _LINK_SCHEMES or not parts.netloc:
        return None
    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%-._~").replace("&", "&amp;")


def link(url: str, label: str) -> str:
    """A live link alertfleet builds; a URL that is not plain http(s) is shown as inert text instead."""
    target = _link_url(url)
    shown = safe_text(label).replace("|", "¦")
    if target is None:
        return f"{shown}: {safe_text(url)}"
    return f"<{target}|{shown}>"
