"""Alertmanager's matcher syntax and semantics: what a matcher copied from alertmanager.yml means here."""

from __future__ import annotations

import pytest

from alertfleet.matchers import MatcherError, legacy_matchers, parse_labels, parse_matchers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('severity="critical"', [("severity", "=", "critical")]),
        ("severity=critical", [("severity", "=", "critical")]),
        ('alertname!="Watchdog"', [("alertname", "!=", "Watchdog")]),
        ('namespace=~"pay.*"', [("namespace", "=~", "pay.*")]),
        ('namespace!~"kube-.*"', [("namespace", "!~", "kube-.*")]),
        ('{team="a", severity=~"critical|page"}', [("team", "=", "a"), ("severity", "=~", "critical|page")]),
        ('{owner="team-A"}', [("owner", "=", "team-A")]),
        ('  env = "prod" , ', [("env", "=", "prod")]),
        ('foo=""', [("foo", "=", "")]),
        ('summary="say \\"hi\\", then \\\\ leave"', [("summary", "=", 'say "hi", then \\ leave')]),
        ('path=~"a\\.b"', [("path", "=~", "a\\.b")]),  # regex escapes survive the quoting
        ('"odd label"="x"', [("odd label", "=", "x")]),
        ('msg="a, b"', [("msg", "=", "a, b")]),
    ],
)
def test_matcher_syntax(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(m.name, m.op, m.value) for m in parse_matchers(text)] == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("severity", "expected one of"),
        ('="x"', "expected a label name"),
        ('foo=~"("', "invalid regex"),
        ('foo="unterminated', "unterminated"),
        ('{foo="x"', "missing closing"),
        ('foo="a" bar="b"', "unexpected"),
        ('severity=="critical"', "stray"),
        ("", "no matcher"),
    ],
)
def test_bad_matchers_say_why(text: str, reason: str) -> None:
    with pytest.raises(MatcherError, match=reason):
        parse_matchers(text)


@pytest.mark.parametrize(
    ("matcher", "labels", "matches"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ('severity="critical"', {"severity": "warning"}, False),
        # A missing label is the empty string (Alertmanager docs: `foo=""` matches alerts without foo).
        ('foo=""', {}, True),
        ('foo=""', {"foo": "x"}, False),
        ('foo!="bar"', {}, True),
        ('foo!="bar"', {"foo": "bar"}, False),
        ('foo!=""', {}, False),
        # Regexes are fully anchored: ^(?:re)$.
        ('owner=~"team-(B|C)"', {"owner": "team-C"}, True),
        ('owner=~"team-(B|C)"', {"owner": "team-Cx"}, False),
        ('owner=~"team-(B|C)"', {"owner": "xteam-B"}, False),
        ('namespace=~"pay"', {"namespace": "payments"}, False),
        ('namespace=~"pay.*"', {"namespace": "payments"}, True),
        ('alertname=~"Watchdog|InfoInhibitor"', {"alertname": "InfoInhibitor"}, True),
        ('alertname=~"Watchdog|InfoInhibitor"', {"alertname": "WatchdogX"}, False),
        ('foo=~"bar"', {"foo": "bar\n"}, False),  # Python's `$` alone would accept the newline
        ('foo=~".*"', {}, True),
        ('foo=~".+"', {}, False),
        # Negative regex: matches what the regex does not (anchored), missing label included.
        ('baz!~".*quux"', {"baz": "a-quux"}, False),
        ('baz!~".*quux"', {"baz": "quux-a"}, True),
        ('baz!~".*quux"', {}, True),
        ('level!="critical"', {"level": "critical"}, False),
    ],
)
def test_matcher_semantics(matcher: str, labels: dict[str, str], matches: bool) -> None:
    (parsed,) = parse_matchers(matcher)
    assert parsed.matches(labels) is matches


def test_legacy_match_and_match_re_maps() -> None:
    matchers = legacy_matchers({"env": "production"}, {"job": ".*", "env": "produ.*"})
    assert [str(m) for m in matchers] == ['env="production"', 'env=~"produ.*"', 'job=~".*"']
    assert all(m.matches({"env": "production", "job": "api"}) for m in matchers)
    assert not legacy_matchers({}, {"env": "produ"})[0].matches({"env": "production"})


def test_matcher_prints_back_in_alertmanager_syntax() -> None:
    (matcher,) = parse_matchers('msg="say \\"hi\\""')
    assert str(matcher) == 'msg="say \\"hi\\""'
    assert parse_matchers(str(matcher))[0] == matcher


def test_labels_for_config_route() -> None:
    assert parse_labels('alertname=X,severity=critical,summary="a, b"') == {
        "alertname": "X",
        "severity": "critical",
        "summary": "a, b",
    }
    with pytest.raises(MatcherError, match="not a =~ matcher"):
        parse_labels('alertname=~"X"')
