"""`alertfleet toolsets list`: each toolset, whether it is on (and why not), and the tools it offers.

MCP servers are contacted (their tools listed) exactly as a worker does at start-up, so this is also
the check that a server is reachable with the configured headers.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from alertfleet.cli_config import config_or_exit

toolsets_app = typer.Typer(help="Investigation toolsets: what is on, and which tools the model gets.", no_args_is_help=True)


@toolsets_app.command("list")
def list_toolsets(
    config_file: Path | None = typer.Option(None, "--config", help="The YAML file (default ALERTFLEET_CONFIG)."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Print every toolset: on or off (with the reason), where it points, and its tools."""
    from alertfleet.cli import settings_or_exit
    from alertfleet.toolset_config import effective_toolsets
    from workers.investigator.toolsets import default_tools
    from workers.investigator.toolsets.registry import build_toolbox

    settings = settings_or_exit()
    config = config_or_exit(settings, config_file)
    toolbox = build_toolbox(effective_toolsets(settings, config.toolsets, config.mcp_servers))
    mcp_names = set(config.mcp_servers)
    toolsets = toolbox.toolsets()
    if as_json:
        rows = [
            {
                "name": t.name,
                "kind": "mcp" if t.name in mcp_names else "builtin",
                "enabled": t.enabled,
                "reason": t.reason,
                "detail": t.detail,
                "origin": toolbox.effective.origin.get(t.name, "file" if t.name in mcp_names else ""),
                "tools": [tool.name for tool in t.tools],
            }
            for t in toolsets
        ]
        typer.echo(json.dumps(rows, indent=1))
        return
    typer.echo(f"always: {', '.join(tool.name for tool in default_tools())}")
    for toolset in toolsets:
        kind = " (MCP server)" if toolset.name in mcp_names else ""
        if not toolset.enabled:
            typer.echo(f"{toolset.name}{kind}: off — {toolset.reason}")
            continue
        origin = toolbox.effective.origin.get(toolset.name)
        typer.echo(f"{toolset.name}{kind}: on — {toolset.detail}{f', from the {origin}' if origin else ''}")
        typer.echo(f"  tools: {', '.join(tool.name for tool in toolset.tools) or '(none)'}")
