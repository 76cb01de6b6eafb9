"""GET a page only from allowed hosts: checked before every hop, redirects included, nothing read past a cap.

A host is allowed when it is listed (or matches a listed `*.domain`); an address in a private, loopback,
link-local or otherwise non-public range is allowed only when its host name is listed exactly, so a
wildcard never reaches into the cluster network. No request is made before both checks pass.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from bs4 import BeautifulSoup

from workers.investigator.toolsets import ToolError

MAX_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 5
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml", "application/yaml")


@dataclass(frozen=True)
class FetchPolicy:
    allowed_hosts: tuple[str, ...]
    timeout: float
    max_bytes: int = MAX_BYTES


@dataclass(frozen=True)
class Page:
    url: str
    status: int
    content_type: str
    text: str


def host_allowed(host: str, allowed: tuple[str, ...]) -> tuple[bool, bool]:
    """(allowed at all, listed exactly): only an exact listing may reach a non-public address."""
    host = host.lower().rstrip(".")
    exact = host in allowed
    wildcard = any(entry.startswith("*.") and host.endswith(entry[1:]) for entry in allowed)
    return exact or wildcard, exact


def _non_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


def check_url(url: str, policy: FetchPolicy) -> None:
    """Raise ToolError unless a GET of `url` is allowed; resolves the name, sends nothing."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ToolError(f"refused {url!r}: only http(s) URLs with a host")
    if parts.username or parts.password:
        raise ToolError("refused: URLs with credentials are not fetched")
    host = parts.hostname
    allowed, exact = host_allowed(host, policy.allowed_hosts)
    if not allowed:
        raise ToolError(f"refused: host {host!r} is not on the allow-list (ALERTFLEET_FETCH_ALLOWED_HOSTS)")
    if exact:
        return
    try:
        infos = socket.getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise ToolError(f"cannot resolve {host!r}: {exc}") from None
    for info in infos:
        if _non_public(str(info[4][0])):
            raise ToolError(
                f"refused: {host!r} resolves to a non-public address; list the host name exactly to allow it"
            )


def page_text(body: bytes, content_type: str, encoding: str | None) -> str:
    text = body.decode(encoding or "utf-8", errors="replace")
    if "html" not in content_type:
        return text
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "svg"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    lines = [line.strip() for line in soup.get_text("\n").splitlines()]
    body_text = "\n".join(line for line in lines if line)
    return f"# {title}\n{body_text}" if title else body_text


def fetch(url: str, policy: FetchPolicy) -> Page:
    """Follow redirects by hand, each hop checked like the first; read at most `max_bytes`."""
    with httpx.Client(timeout=policy.timeout, follow_redirects=False, headers={"User-Agent": "alertfleet"}) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(url, policy)
            try:
                with client.stream("GET", url) as response:
                    if response.is_redirect and response.headers.get("location"):
                        url = urljoin(url, response.headers["location"])
                        continue
                    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    if content_type and not content_type.startswith(_TEXT_TYPES):
                        raise ToolError(f"{url}: {content_type} is not text")
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) >= policy.max_bytes:
                            break
                    cut = len(body) >= policy.max_bytes
                    text = page_text(bytes(body[: policy.max_bytes]), content_type, response.encoding)
                    if response.status_code >= 400:
                        raise ToolError(f"{url}: HTTP {response.status_code}: {text[:300]}")
                    if cut:
                        text += f"\n[page cut at {policy.max_bytes} bytes]"
                    return Page(url, response.status_code, content_type, text)
            except httpx.TimeoutException:
                raise ToolError(f"{url}: no answer within {policy.timeout:g}s") from None
            except httpx.HTTPError as exc:
                raise ToolError(f"{url}: {type(exc).__name__}: {exc}") from None
    raise ToolError(f"more than {MAX_REDIRECTS} redirects")
