"""The skills toolset: HolmesGPT's SKILL.md format, listed in the prompt and read with fetch_skill."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertfleet.settings import Settings
from alertfleet.toolset_config import EffectiveToolsets, SkillsSpec, effective_toolsets
from tests.stubs.model import ModelStub
from tests.toolsets.helpers import alert_event, investigate, results_by_tool, use_model_stub


def write_skills(root: Path) -> Path:
    (root / "crashloop").mkdir(parents=True)
    (root / "crashloop" / "SKILL.md").write_text(
        "---\nname: crash-loop-triage\ndescription: Triage DemoHigh and crash-looping pods step by step\n---\n"
        "# Crash loop triage\n1. Read the previous container's logs.\n2. Check the last deploy.\n"
    )
    (root / "disk").mkdir()
    (root / "disk" / "SKILL.md").write_text("---\ndescription: Free space on a full disk\n---\nDelete old logs first.\n")
    (root / "broken").mkdir()
    (root / "broken" / "SKILL.md").write_text("no front matter here\n")
    return root


def test_prompt_lists_both_skills_and_fetch_skill_returns_the_body(
    tmp_path: Path, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    spec = EffectiveToolsets(skills=SkillsSpec(paths=[str(write_skills(tmp_path / "skills"))]))
    result, script = investigate(model_stub, spec, [[("fetch_skill", {"name": "crash-loop-triage"}), ("fetch_skill", {"name": "nope"})]])
    prompt = model_stub.completions[0]["messages"][1]["content"]
    assert "- crash-loop-triage: Triage DemoHigh and crash-looping pods step by step" in prompt
    assert "- disk: Free space on a full disk" in prompt, "name defaults to the directory"
    assert "broken" not in prompt
    assert "Likely relevant to this alert: crash-loop-triage" in prompt
    assert "fetch_skill" in script.offered[0]
    body = results_by_tool(model_stub, result)["fetch_skill"][0]
    assert "Read the previous container's logs." in body
    assert result.tool_calls[1].error is not None and "no skill named 'nope'" in result.tool_calls[1].error


def test_skills_dir_from_the_environment_takes_several_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERTFLEET_SKILLS_DIR", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert effective_toolsets(Settings()).skills == SkillsSpec(paths=[str(tmp_path / "a"), str(tmp_path / "b")])
    file_spec = SkillsSpec(paths=["/etc/alertfleet/skills"])
    from alertfleet.toolset_config import ToolsetsSpec

    chosen = effective_toolsets(Settings(), ToolsetsSpec(skills=file_spec))
    assert chosen.skills == file_spec and chosen.origin["skills"] == "file", "the file wins"
    assert alert_event().labels["alertname"] == "DemoHigh"
