"""Atlassian Document Format, as Jira Cloud REST v3 accepts it in a comment body (the node types
alertfleet and common clients send; anything else is refused like Jira's INVALID_INPUT)."""

from __future__ import annotations

from typing import Any

_MARKS = {"strong", "em", "code", "strike", "underline", "link", "subsup", "textColor"}
_INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard"}
_BLOCK = {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "rule", "blockquote", "panel", "table"}
_LIST_ITEM_CHILDREN = {"paragraph", "bulletList", "orderedList", "codeBlock"}


def adf_problems(doc: Any) -> list[str]:
    """What is wrong with a comment body (empty: valid ADF)."""
    if not isinstance(doc, dict):
        return [f"body must be an ADF document (an object), got {type(doc).__name__}: REST v3 takes no plain text"]
    problems = []
    if doc.get("type") != "doc" or doc.get("version") != 1:
        problems.append("body: type must be 'doc' with version 1")
    content = doc.get("content")
    if not isinstance(content, list):
        return [*problems, "body.content must be a list"]
    for index, node in enumerate(content):
        problems += _block(node, f"body.content[{index}]")
    return problems


def _children(node: dict[str, Any], where: str, allowed: set[str], check: Any, required: bool) -> list[str]:
    content = node.get("content", [])
    if not isinstance(content, list) or (required and not content):
        return [f"{where}.content must be a non-empty list"]
    problems = []
    for index, child in enumerate(content):
        kind = child.get("type") if isinstance(child, dict) else None
        if kind not in allowed:
            problems.append(f"{where}.content[{index}]: {kind!r} is not allowed in {node.get('type')}")
        else:
            problems += check(child, f"{where}.content[{index}]")
    return problems


def _block(node: Any, where: str) -> list[str]:
    kind = node.get("type") if isinstance(node, dict) else None
    if kind not in _BLOCK:
        return [f"{where}: {kind!r} is not a block node"]
    if kind == "heading":
        level = (node.get("attrs") or {}).get("level")
        if level not in range(1, 7):
            return [f"{where}: heading needs attrs.level 1..6"]
        return _children(node, where, _INLINE, _inline, required=False)
    if kind == "paragraph":
        return _children(node, where, _INLINE, _inline, required=False)
    if kind in ("bulletList", "orderedList"):
        return _children(node, where, {"listItem"}, _list_item, required=True)
    return []


def _list_item(node: dict[str, Any], where: str) -> list[str]:
    return _children(node, where, _LIST_ITEM_CHILDREN, _block, required=True)


def _inline(node: dict[str, Any], where: str) -> list[str]:
    if node.get("type") != "text":
        return []
    text = node.get("text")
    if not isinstance(text, str) or not text:
        return [f"{where}: a text node needs non-empty text"]
    problems = []
    for mark in node.get("marks", []):
        kind = mark.get("type") if isinstance(mark, dict) else None
        if kind not in _MARKS:
            problems.append(f"{where}: unknown mark {kind!r}")
        elif kind == "link" and not str((mark.get("attrs") or {}).get("href", "")).startswith(("http://", "https://")):
            problems.append(f"{where}: a link mark needs attrs.href")
    return problems


def adf_text(node: Any) -> str:
    """All the text of a document (tests look for what a comment says)."""
    if isinstance(node, dict):
        return str(node.get("text", "")) + " ".join(adf_text(child) for child in node.get("content", []))
    return ""
