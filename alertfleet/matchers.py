"""Alertmanager's label matchers: `name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`.

Same semantics as Alertmanager, so a route copied from alertmanager.yml means the same thing here:
a missing label is the empty string, and regexes are fully anchored (`^(?:re)$`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

MatchOp = Literal["=", "!=", "=~", "!~"]

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_OPERATOR = re.compile(r"=~|!~|!=|=")
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t"}
_UNQUOTED_STOP = set(',{}"')


class MatcherError(ValueError):
    """A matcher that does not parse; the message says what and where, for a config error line."""


@dataclass(frozen=True)
class Matcher:
    name: str
    op: MatchOp
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def make(cls, name: str, op: MatchOp, value: str) -> Matcher:
        regex = None
        if op in ("=~", "!~"):
            try:
                regex = re.compile(f"(?:{value})")
            except re.error as exc:
                raise MatcherError(f"invalid regex {value!r} for {name}: {exc}") from None
        return cls(name, op, value, regex)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self._regex is not None
        # fullmatch is Alertmanager's `^(?:re)$` (Python's `$` would also accept a trailing newline).
        found = self._regex.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


def matches_all(matchers: tuple[Matcher, ...] | list[Matcher], labels: Mapping[str, str]) -> bool:
    return all(matcher.matches(labels) for matcher in matchers)


def parse_matchers(text: str) -> list[Matcher]:
    """One matcher, or several separated by commas, optionally in braces: `{a="1", b=~"x|y"}`."""
    source = text.strip()
    if source.startswith("{"):
        if not source.endswith("}"):
            raise MatcherError(f"{text!r}: missing closing '}}'")
        source = source[1:-1]
    matchers: list[Matcher] = []
    pos = _skip_spaces(source, 0)
    while pos < len(source):
        name, pos = _read_name(source, pos, text)
        pos = _skip_spaces(source, pos)
        found = _OPERATOR.match(source, pos)
        if found is None:
            raise MatcherError(f"{text!r}: expected one of =, !=, =~, !~ after {name!r}")
        op: MatchOp = found.group(0)  # type: ignore[assignment]
        value, pos = _read_value(source, _skip_spaces(source, found.end()), text)
        matchers.append(Matcher.make(name, op, value))
        pos = _skip_spaces(source, pos)
        if pos < len(source):
            if source[pos] != ",":
                raise MatcherError(f"{text!r}: unexpected {source[pos]!r} after {matchers[-1]}")
            pos = _skip_spaces(source, pos + 1)
    if not matchers:
        raise MatcherError(f"{text!r}: no matcher")
    return matchers


def legacy_matchers(match: Mapping[str, str], match_re: Mapping[str, str]) -> list[Matcher]:
    """Alertmanager's deprecated `match:` (equality) and `match_re:` (anchored regex) maps."""
    found = [Matcher.make(name, "=", value) for name, value in sorted(match.items())]
    found += [Matcher.make(name, "=~", value) for name, value in sorted(match_re.items())]
    return found


def parse_labels(text: str) -> dict[str, str]:
    """`alertname=X,severity=critical` (values may be quoted) as a label set, for `config route`."""
    labels: dict[str, str] = {}
    for matcher in parse_matchers(text):
        if matcher.op != "=":
            raise MatcherError(f"{matcher}: labels are name=value, not a {matcher.op} matcher")
        labels[matcher.name] = matcher.value
    return labels


def _skip_spaces(source: str, pos: int) -> int:
    while pos < len(source) and source[pos].isspace():
        pos += 1
    return pos


def _read_name(source: str, pos: int, text: str) -> tuple[str, int]:
    if pos < len(source) and source[pos] == '"':
        return _read_quoted(source, pos, text)
    found = _NAME.match(source, pos)
    if found is None:
        raise MatcherError(f"{text!r}: expected a label name at position {pos}")
    return found.group(0), found.end()


def _read_value(source: str, pos: int, text: str) -> tuple[str, int]:
    if pos < len(source) and source[pos] == '"':
        return _read_quoted(source, pos, text)
    end = pos
    while end < len(source) and source[end] not in _UNQUOTED_STOP:
        end += 1
    if end < len(source) and source[end] == '"':
        raise MatcherError(f"{text!r}: stray '\"' in an unquoted value")
    return source[pos:end].strip(), end


def _read_quoted(source: str, pos: int, text: str) -> tuple[str, int]:
    """A double-quoted string; `\\"`, `\\\\`, `\\n`, `\\t` are escapes, other backslashes stay (regexes)."""
    out: list[str] = []
    index = pos + 1
    while index < len(source):
        char = source[index]
        if char == '"':
            return "".join(out), index + 1
        if char == "\\" and index + 1 < len(source):
            following = source[index + 1]
            out.append(_ESCAPES.get(following, "\\" + following))
            index += 2
            continue
        out.append(char)
        index += 1
    raise MatcherError(f"{text!r}: unterminated quoted string")
