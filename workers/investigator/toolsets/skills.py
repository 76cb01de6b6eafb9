"""The skills toolset: HolmesGPT's Skills format, listed in the prompt and read with `fetch_skill`.

A skill is a directory holding SKILL.md: YAML front matter (`description` required, `name` optional,
default the directory's name) and a markdown body. `fetch_runbook_url` reads the alert's `runbook_url`
annotation, only when its host is on the http allow-list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
import yaml

from alertfleet.models import Event
from alertfleet.toolset_config import SkillsSpec
from workers.investigator.toolsets import Tool, ToolError, Toolset, params, string_arg
from workers.investigator.toolsets.safe_fetch import FetchPolicy, fetch

log = structlog.get_logger("toolsets")
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)(.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    body: str
    path: Path


def parse_skill(path: Path) -> Skill:
    text = path.read_text(encoding="utf-8")
    found = _FRONT.match(text)
    if found is None:
        raise ValueError("no YAML front matter (--- ... ---)")
    meta = yaml.safe_load(found.group(1)) or {}
    if not isinstance(meta, dict) or not str(meta.get("description") or "").strip():
        raise ValueError("front matter needs a description")
    name = str(meta.get("name") or path.parent.name).strip()
    return Skill(name, " ".join(str(meta["description"]).split()), found.group(2).strip(), path)


def load_skills(paths: list[str]) -> tuple[list[Skill], list[str]]:
    """Every readable skill under the paths, and one line per skill that could not be used."""
    skills: dict[str, Skill] = {}
    problems = []
    for root in paths:
        base = Path(root).expanduser()
        if not base.is_dir():
            problems.append(f"{base}: not a directory")
            continue
        for file in sorted(base.glob("*/SKILL.md")):
            try:
                skill = parse_skill(file)
            except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
                problems.append(f"{file}: {exc}")
                continue
            skills.setdefault(skill.name, skill)  # the first path wins, as PATH does
    return list(skills.values()), problems


def _words(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def relevant(skills: list[Skill], event: Event) -> list[Skill]:
    """Skills whose name or description names the alert (`KubePodCrashLooping`, `kube-pod-crash-looping`)."""
    alertname = event.labels.get("alertname") or event.title
    wanted = _words(alertname)
    if not wanted:
        return []
    return [
        s for s in skills if wanted in _words(s.description) or wanted in _words(s.name) or _words(s.name) in wanted
    ]


def runbook_url(event: Event) -> str:
    first = event.alerts[0].annotations if event.alerts else {}
    return event.annotations.get("runbook_url") or first.get("runbook_url", "")


def skills_toolset(spec: SkillsSpec, allowed_hosts: tuple[str, ...], timeout: float) -> Toolset:
    skills, problems = load_skills(spec.paths)
    for problem in problems:
        log.warning("skill_skipped", problem=problem)
    by_name = {skill.name: skill for skill in skills}
    policy = FetchPolicy(allowed_hosts, timeout)

    def fetch_skill(_event: Event, arguments: dict[str, Any]) -> str:
        name = string_arg(arguments, "name")
        skill = by_name.get(name)
        if skill is None:
            raise ToolError(f"no skill named {name!r}; skills: {', '.join(sorted(by_name)) or '(none)'}")
        return f"# Skill: {skill.name}\n{skill.description}\n\n{skill.body}"

    def fetch_runbook(event: Event, arguments: dict[str, Any]) -> str:
        url = runbook_url(event)
        if not url:
            raise ToolError("the alert has no runbook_url annotation")
        page = fetch(url, policy)
        return f"Runbook {page.url}\n{page.text}"

    def prompt(event: Event) -> list[str]:
        if not skills:
            return []
        lines = ["Skills (read one with fetch_skill):"]
        lines += [f"- {skill.name}: {skill.description}" for skill in skills]
        likely = relevant(skills, event)
        if likely:
            lines.append("Likely relevant to this alert: " + ", ".join(skill.name for skill in likely))
        return lines

    tools = (
        Tool(
            "fetch_skill",
            "Read one skill (an investigation guide) by its name, as listed in the prompt.",
            params({"name": {"type": "string"}}, ["name"]),
            fetch_skill,
        ),
        Tool(
            "fetch_runbook_url",
            "Fetch the alert's runbook (its runbook_url annotation), when its host is allowed.",
            params({}),
            fetch_runbook,
        ),
    )
    detail = f"{len(skills)} skill(s) in {':'.join(spec.paths)}"
    return Toolset("skills", True, tools, detail=detail, prompt=prompt)
