#!/usr/bin/env python3
"""Checks the running daemon's HTTP answers against its own OpenAPI document.

Each GET endpoint's JSON answer (and the answer to a refused action) is validated with jsonschema against the
schema the document gives for that status, so the document and the server cannot drift apart. Run against the demo
by scripts/demo.sh --browser-test; LEVEE_URL and LEVEE_TOKEN (an operator) as for dashboard_test.py,
LEVEE_VIEWER_TOKEN for the 403 case.
"""
import json
import os
import sys
import urllib.error
import urllib.request

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

BASE = os.environ.get("LEVEE_URL", "http://127.0.0.1:8080/").rstrip("/")
TOKEN = os.environ.get("LEVEE_TOKEN", "")
VIEWER = os.environ.get("LEVEE_VIEWER_TOKEN", "")


def fetch(method, path, token, body=None):
    request = urllib.request.Request(BASE + path, method=method, data=None if body is None else json.dumps(body).encode())
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main():
    status, raw = fetch("GET", "/openapi.json", None)
    if status != 200:
        sys.exit(f"api_schema_check: /openapi.json answered {status}")
    document = json.loads(raw)
    registry = Registry().with_resource("urn:levee-openapi", DRAFT202012.create_resource(document))

    def schema_for(path, method, code):
        """A reference to the document's schema for this answer, so its own $refs resolve inside it."""
        response = document["paths"][path][method]["responses"][str(code)]
        pointer = ["paths", path, method, "responses", str(code)]
        if "$ref" in response:
            pointer = response["$ref"].lstrip("#/").split("/")
        parts = pointer + ["content", "application/json", "schema"]
        return {"$ref": "urn:levee-openapi#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}

    checks = [
        ("get", "/api/v1/status", "/api/v1/status", TOKEN, None, 200),
        ("get", "/api/v1/alarms", "/api/v1/alarms", TOKEN, None, 200),
        ("get", "/api/v1/events", "/api/v1/events?from=-1h&limit=50", TOKEN, None, 200),
        ("get", "/api/v1/history", "/api/v1/history?point=gas-a1.concentration&from=-1h&step=60", TOKEN, None, 200),
        ("get", "/api/v1/drills", "/api/v1/drills", TOKEN, None, 200),
        ("get", "/api/v1/drills/check", "/api/v1/drills/check?plan=plant-wide", TOKEN, None, 200),
        ("get", "/api/v1/whoami", "/api/v1/whoami", TOKEN, None, 200),
        ("get", "/api/v1/history", "/api/v1/history?point=no-such-point&from=-1h", TOKEN, None, 400),
        ("get", "/api/v1/status", "/api/v1/status", "wrong-token", None, 401),
        ("post", "/api/v1/shutoff", "/api/v1/shutoff", VIEWER, {"reason": "schema check"}, 403),
        ("post", "/api/v1/shutoff", "/api/v1/shutoff", TOKEN, {}, 400),
    ]
    failures = 0
    for method, template, url, token, body, expected in checks:
        if expected == 403 and not token:
            continue
        code, raw = fetch(method.upper(), url, token, body)
        label = f"{method.upper()} {url} → {code}"
        if code != expected:
            print(f"FAIL: {label}, expected {expected}: {raw[:200]!r}")
            failures += 1
            continue
        try:
            instance = json.loads(raw)
            schema = schema_for(template, method, code)
            errors = sorted(Draft202012Validator(schema, registry=registry).iter_errors(instance), key=str)
        except Exception as e:  # an unreadable answer or a document without that response is a failure too
            print(f"FAIL: {label}: {e}")
            failures += 1
            continue
        if errors:
            print(f"FAIL: {label} does not match the document: {errors[0].message} at {list(errors[0].path)}")
            failures += 1
        else:
            print(f"ok: {label} matches the OpenAPI document")
    print(f"api_schema_check: {len(checks) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
