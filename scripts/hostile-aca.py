#!/usr/bin/env python3
"""A small hostile ACA/1.1 platform for trying cordon's containment by hand.

Each run misbehaves one way issue 14 saw (standard library only):

  run_unknown  running; a stop leaves it in state "RUNNING" (unknown)
  run_otherid  running; after a stop GET /v1/runs/run_otherid answers
               with another run's id, stopped
  run_lost     running; a stop is applied, then answered 500 every time
               (the idempotency lookup finds it unless --no-lookup)
  run_done     already succeeded; a stop "applies" to nothing
  run_edits    succeeded after two reversible file edits and one sent
               message; rollback reverts the edits (ACA/1.1 record)

    python3 scripts/hostile-aca.py --port 7399 [--no-lookup]
    cordon --source h=aca:http://127.0.0.1:7399
    cordon act --source h=aca:http://127.0.0.1:7399 stop_run --run run_lost --reason r --yes
"""

import argparse
import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

NOW = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
LOCK = threading.Lock()


def run(rid, state, workflow="hostile"):
    return {"id": rid, "agent": f"agent-{rid}", "agent_class": "hostile", "workflow": workflow,
            "state": state, "started_at": NOW, "updated_at": NOW,
            "assignment": f"behave like {rid}", "tools": ["email.send"], "credentials": []}


RUNS = {r["id"]: r for r in [
    run("run_unknown", "running"), run("run_otherid", "running"), run("run_lost", "running"),
    run("run_done", "succeeded"), run("run_edits", "succeeded", "docs")]}
EVENTS = [
    {"id": "evt_1", "run_id": "run_edits", "at": NOW, "kind": "file_write", "summary": "Edited a.md",
     "target": "file:a.md", "reversible": True},
    {"id": "evt_2", "run_id": "run_edits", "at": NOW, "kind": "file_write", "summary": "Edited b.md",
     "target": "file:b.md", "reversible": True},
    {"id": "evt_3", "run_id": "run_edits", "at": NOW, "kind": "message_sent", "summary": "Emailed c1",
     "target": "email:c1", "outbound": True, "reversible": False},
]
BY_KEY = {}
STOPPED_BY_US = set()


def plan(rid):
    r = RUNS[rid]
    done = set(r.get("rollback", {}).get("reverted", []))
    writes = [e for e in EVENTS if e["run_id"] == rid and e["id"] not in done]
    reverts = [{"event_id": e["id"], "kind": e["kind"], "target": e["target"]}
               for e in reversed(writes) if e.get("reversible")]
    cannot = [{"event_id": e["id"], "kind": e["kind"], "target": e["target"],
               "why": "a sent message cannot be unsent"} for e in writes if not e.get("reversible")]
    return reverts, cannot


class H(BaseHTTPRequestHandler):
    lookup = True

    def send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        with LOCK:
            if u.path == "/v1/info":
                return self.send(200, {"platform": "hostile", "api_version": "1.1",
                                       "actions": ["stop_run", "rollback_run"]})
            if u.path == "/v1/runs":
                active = q.get("state", ["active"])[0] == "active"
                runs = [r for r in RUNS.values()
                        if not active or r["state"] in ("queued", "running", "waiting_review", "paused")]
                return self.send(200, {"runs": runs, "next_cursor": None})
            if u.path.startswith("/v1/runs/"):
                rid = u.path.rsplit("/", 1)[1]
                if rid not in RUNS:
                    return self.send(404, {"error": {"code": "not_found", "message": rid}})
                if rid == "run_otherid" and rid in STOPPED_BY_US:
                    return self.send(200, run("run_decoy", "stopped"))
                return self.send(200, RUNS[rid])
            if u.path == "/v1/events":
                start = int(q.get("after", ["0"])[0] or 0)
                return self.send(200, {"events": EVENTS[start:], "next_cursor": str(len(EVENTS))})
            if u.path == "/v1/controls":
                return self.send(200, {})
            if u.path == "/v1/actions" and "idempotency_key" in q:
                key = q["idempotency_key"][0]
                if not H.lookup:
                    return self.send(404, None)
                if key in BY_KEY:
                    return self.send(200, BY_KEY[key])
                return self.send(404, {"error": {"code": "not_found", "message": "never received"}})
        self.send(404, {"error": {"code": "not_found", "message": u.path}})

    def do_POST(self):
        u = urlparse(self.path)
        n = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(n) or b"{}")
        dry = "dry_run=true" in (u.query or "")
        kind, rid = body.get("kind"), (body.get("target") or {}).get("run_id", "")
        with LOCK:
            if rid not in RUNS:
                return self.send(404, {"error": {"code": "not_found", "message": rid}})
            r = RUNS[rid]
            active = r["state"] == "running"
            ans = {"action_id": f"act_{rid}", "kind": kind, "state": "preview" if dry else "applied",
                   "affected_runs": [rid] if active else [], "message": "ok"}
            if kind == "rollback_run":
                reverts, cannot = plan(rid)
                ans.update({"reverts": reverts, "cannot_revert": cannot,
                            "affected_runs": [rid] if active or reverts else []})
            if dry:
                return self.send(200, ans)
            key = self.headers.get("idempotency-key", "")
            if key in BY_KEY:
                if rid == "run_lost":
                    return self.send(500, {"error": {"code": "internal", "message": "upstream died"}})
                return self.send(202, BY_KEY[key])
            if not active and kind == "stop_run":
                ans["message"] = f"run already {r['state']}"
            elif kind == "stop_run":
                STOPPED_BY_US.add(rid)
                r["state"] = {"run_unknown": "RUNNING"}.get(rid, "stopped")
            elif kind == "rollback_run":
                reverts, _ = plan(rid)
                if active:
                    r["state"] = "stopped"
                rb = r.setdefault("rollback", {"at": NOW, "reverted": [], "failed": []})
                rb["reverted"] += [p["event_id"] for p in reverts]
                ans["message"] = f"{len(reverts)} write(s) reverted"
            BY_KEY[key] = ans
            if rid == "run_lost":
                return self.send(500, {"error": {"code": "internal", "message": "upstream died"}})
            return self.send(202, ans)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=7399)
    p.add_argument("--no-lookup", action="store_true", help="answer the idempotency lookup with a bare 404")
    a = p.parse_args()
    H.lookup = not a.no_lookup
    ThreadingHTTPServer(("127.0.0.1", a.port), H).serve_forever()


if __name__ == "__main__":
    main()
