"""A Kubernetes API server stub: pods, events, deployments and pod logs in the API's own shapes.

Read-only like the toolset must be: any verb but GET is recorded as a violation and refused (405).
Bearer token required; unknown objects answer 404 with a `Status` body as the real API server does.
"""

from __future__ import annotations

import re
from typing import Any

from tests.stubs.http import RecordedRequest, StubResponse, StubServer

TOKEN = "k8s-test-token-7"
_NAMESPACED = re.compile(r"^/(?:api/v1|apis/apps/v1)(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[a-z]+)(?:/(?P<name>[^/]+))?(?P<log>/log)?$")


def _status(code: int, reason: str, message: str) -> StubResponse:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code}
    return StubResponse(code, body)


def pod(name: str, namespace: str, *, restarts: int = 0, waiting: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {"waiting": {"reason": waiting, "message": "back-off 5m0s restarting failed container"}} if waiting else {"running": {"startedAt": "2026-11-29T10:00:00Z"}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", "resourceVersion": "101",
                     "creationTimestamp": "2026-11-29T09:00:00Z", "labels": {"app": name.rsplit("-", 2)[0]},
                     "managedFields": [{"manager": "kubectl", "operation": "Update"}]},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.2.3"}], "nodeName": "node-1"},
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.12",
            "containerStatuses": [{
                "name": "app", "ready": waiting is None, "restartCount": restarts, "image": "registry.example/app:1.2.3",
                "imageID": "registry.example/app@sha256:abc", "started": waiting is None, "state": state,
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "2026-11-29T10:00:00Z", "finishedAt": "2026-11-29T10:01:00Z"}} if restarts else {},
            }],
        },
    }


def event(name: str, namespace: str, obj: str, reason: str, message: str, count: int = 1, kind: str = "Pod") -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": "2026-11-29T10:01:00Z", "resourceVersion": "7"},
        "involvedObject": {"kind": kind, "name": obj, "namespace": namespace, "apiVersion": "v1"},
        "reason": reason, "message": message, "type": "Warning", "count": count,
        "firstTimestamp": "2026-11-29T10:00:00Z", "lastTimestamp": "2026-11-29T10:01:00Z",
        "source": {"component": "kubelet", "host": "node-1"},
    }


class KubernetesStub(StubServer):
    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[str, list[dict[str, Any]]] = {"pods": [], "events": [], "deployments": []}
        self.logs: dict[tuple[str, str, bool], str] = {}  # (namespace, pod, previous) -> text

    def handle(self, req: RecordedRequest) -> StubResponse:
        if req.method != "GET":
            self.record_violation(f"{req.method} {req.path}: the toolset must only read")
            return _status(405, "MethodNotAllowed", f"{req.method} is not allowed here")
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            return _status(401, "Unauthorized", "Unauthorized")
        found = _NAMESPACED.match(req.path)
        if found is None or found.group("plural") not in self.objects:
            return _status(404, "NotFound", f"the server could not find the requested resource ({req.path})")
        namespace, plural, name = found.group("ns"), found.group("plural"), found.group("name")
        items = [o for o in self.objects[plural] if namespace is None or o["metadata"]["namespace"] == namespace]
        if found.group("log"):
            return self._log(req, namespace or "", name or "")
        if name is not None:
            for item in items:
                if item["metadata"]["name"] == name:
                    return StubResponse(200, item)
            return _status(404, "NotFound", f'{plural} "{name}" not found')
        selector = req.query.get("fieldSelector", "")
        if selector.startswith("involvedObject.name="):
            wanted = selector.split("=", 1)[1]
            items = [o for o in items if o.get("involvedObject", {}).get("name") == wanted]
        kind = items[0]["kind"] if items else {"pods": "Pod", "events": "Event", "deployments": "Deployment"}[plural]
        api_version = "apps/v1" if plural == "deployments" else "v1"
        return StubResponse(200, {"kind": f"{kind}List", "apiVersion": api_version, "metadata": {"resourceVersion": "200"}, "items": items})

    def _log(self, req: RecordedRequest, namespace: str, name: str) -> StubResponse:
        previous = req.query.get("previous") == "true"
        text = self.logs.get((namespace, name, previous))
        if text is None:
            if previous:
                return _status(400, "BadRequest", f'previous terminated container "app" in pod "{name}" not found')
            return _status(404, "NotFound", f'pods "{name}" not found')
        lines = text.splitlines(keepends=True)
        if "tailLines" in req.query:
            lines = lines[-int(req.query["tailLines"]):]
        body = "".join(lines).encode()
        if "limitBytes" in req.query:
            body = body[: int(req.query["limitBytes"])]
        return StubResponse(200, body, {"Content-Type": "text/plain"})
