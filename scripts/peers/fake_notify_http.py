#!/usr/bin/env python3
"""A local stand-in for a WeCom or DingTalk group robot, or a platform's JSON webhook, for levee-notify's tests.

It prints one JSON line per request it receives ({"path", "query", "body", "auth", "sign_ok"}) and answers as the
real service does: robots with {"errcode": 0, "errmsg": "ok"} on HTTP 200, or an errcode when the payload is not a
text message or (DingTalk, with --secret) the signature is wrong or older than an hour. Standard library only.
"""
import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--kind", choices=["wecom", "dingtalk", "webhook"], required=True)
    p.add_argument("--secret", help="DingTalk signing secret: every request must be signed with it")
    p.add_argument("--status", type=int, default=200, help="HTTP status to answer (webhook)")
    args = p.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            parsed = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            try:
                body = json.loads(raw.decode("utf-8"))
            except Exception:
                body = None
            record = {"path": parsed.path, "query": query, "body": body,
                      "auth": self.headers.get("Authorization"),
                      "content_type": self.headers.get("Content-Type"), "sign_ok": None}
            errcode, errmsg = 0, "ok"
            if args.kind in ("wecom", "dingtalk"):
                text = body.get("text") if isinstance(body, dict) else None
                if not (isinstance(body, dict) and body.get("msgtype") == "text" and isinstance(text, dict)
                        and isinstance(text.get("content"), str) and text["content"]):
                    errcode, errmsg = (40008 if args.kind == "wecom" else 300001), "invalid message"
                if args.kind == "wecom" and "key" not in query:
                    errcode, errmsg = 93000, "invalid webhook url"
                if args.kind == "dingtalk" and "access_token" not in query:
                    errcode, errmsg = 300001, "token is not exist"
            if args.kind == "dingtalk" and args.secret:
                ts, sign = query.get("timestamp", ""), query.get("sign", "")
                expected = base64.b64encode(hmac.new(args.secret.encode(), f"{ts}\n{args.secret}".encode(),
                                                     hashlib.sha256).digest()).decode()
                fresh = ts.isdigit() and abs(time.time() * 1000 - int(ts)) < 3600 * 1000
                # The raw query must carry the URL-encoded form (+ / = escaped), as DingTalk's documentation asks.
                raw_sign = next((v for k, v in (kv.split("=", 1) for kv in parsed.query.split("&") if "=" in kv)
                                 if k == "sign"), "")
                record["sign_ok"] = fresh and hmac.compare_digest(sign, expected) and \
                    raw_sign == urllib.parse.quote_plus(expected)
                if not record["sign_ok"]:
                    errcode, errmsg = 310000, "sign not match"
            print(json.dumps(record, ensure_ascii=False), flush=True)
            if args.kind == "webhook":
                status, answer = args.status, {"ok": 200 <= args.status < 300}
            else:
                status, answer = 200, {"errcode": errcode, "errmsg": errmsg}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"ready {args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
