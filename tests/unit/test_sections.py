from __future__ import annotations

from workers.investigator.sections import parse_sections


def test_holmes_headings_are_split_into_sections() -> None:
    text = (
        "# Alert Explanation\nPods crash.\n\n## Key Findings\n- OOMKilled\n- 5 restarts\n"
        "### Conclusions and Possible Root Causes\nMemory leak.\n# Next Steps\n1. Raise limits\n2. Profile"
    )
    sections = parse_sections(text)
    assert sections.alert_explanation == "Pods crash."
    assert sections.key_findings == "- OOMKilled\n- 5 restarts"
    assert sections.root_causes == "Memory leak."
    assert sections.next_steps == "1. Raise limits\n2. Profile"


def test_renamed_and_bold_headings_are_recognised() -> None:
    text = "**Summary**\nDisk full.\n**Findings:**\n- 99% used\nRoot Cause:\nLogs\n## Recommended Actions\n1. Rotate"
    sections = parse_sections(text)
    assert (sections.alert_explanation, sections.key_findings) == ("Disk full.", "- 99% used")
    assert (sections.root_causes, sections.next_steps) == ("Logs", "1. Rotate")


def test_missing_headings_and_unknown_ones_are_kept() -> None:
    sections = parse_sections("Just prose, no headings at all.\n# App or Infra?\nInfra")
    assert sections.alert_explanation == "Just prose, no headings at all."
    assert sections.key_findings == ""
    assert sections.extra == {"App or Infra?": "Infra"}
    assert sections.as_holmes()["App or Infra?"] == "Infra"
