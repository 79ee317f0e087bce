#!/usr/bin/env python3
"""A hostile ACA/1 platform for looking at cordon by hand (issue 16).

Serves runs and events holding terminal escapes, bidi overrides, ZWJ emoji,
flags, combining marks, zero-width and line-separator characters, ids that
collide once cleaned, the caller's own token echoed back (whole, cut, spaced
out), NaN and Infinity (Python's json writes them by default) and numbers no
counter holds. Every GET of /v1/events after the first page adds one more
event, so the timeline keeps moving.

    python3 scripts/hostile_aca.py 7316 &
    CORDON_T=tok-3f9a1c7e5b2d4086 cordon --source h=aca:'http://127.0.0.1:7316?token_env=CORDON_T'
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "tok-3f9a1c7e5b2d4086"
ESC = "\x1b"
NASTY = [
    ESC + "[2J" + ESC + "[H cleared?",
    ESC + "]52;c;ZWNobyBwd25lZA==\x07 clipboard",
    "\u202egnp.exe (RLO)",
    "family 👩\u200d👩\u200d👧\u200d👦 coder 👩\u200d💻 ok",
    "flags 🇺🇸🇯🇵🇫🇷 end",
    "thumbs 👍🏽 heart ❤️ keycap 1️⃣ end",
    "combining e\u0301\u0301\u0301 a\u0308 z\u0336\u0336",
    "zero\u200bwidth\u200cjoin\u2060er\ufeff",
    "line\u2028sep\u2029para",
    "数据中文宽字符 wide",
    "\u0301 leading combining",
    "tab\there and\rcr",
    "hangul 한국어 ᄀᄀᄀ",
    "soft\u00adhyphen",
    "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F england",
]

RUNS = [
    {"id": "run_ok", "state": "running", "agent": "mailer 👩\u200d💻", "agent_class": "mail",
     "workflow": "wf-🇺🇸", "assignment": f"use token {TOKEN} to send", "requested_by": TOKEN[:18],
     "stats": {"tool_calls": float("nan"), "errors": 2**64 - 1, "retries": -5,
               "external_actions": 10**40}},
    {"id": "run_ok" + ESC + "[0m", "state": "paused", "agent": ESC + "[31mred", "agent_class": "mail",
     "workflow": "wf-🇺🇸", "assignment": NASTY[0]},
    {"id": "run_ok\u200b", "state": "paused", "agent": "zwsp", "agent_class": "mail",
     "workflow": "wf", "assignment": NASTY[7]},
    {"id": "数据👩\u200d👩\u200d👧\u200d👦🇯🇵e\u0301", "state": "running", "agent": "数据数据数据数据",
     "agent_class": "c\u0301lass", "workflow": "wf\u2028x", "assignment": NASTY[3]},
    {"id": "run_rtl\u202e", "state": "waiting_review", "agent": "\u202eevil", "agent_class": "mail",
     "workflow": "wf", "assignment": NASTY[2]},
]

EVENTS = []
lock = threading.Lock()


def event(i):
    run = RUNS[i % len(RUNS)]["id"]
    kinds = ["tool_call", "message_sent", "error", "db_write", "model_output", "quantum" + ESC + "[5mleap"]
    e = {
        "id": f"e{i}" + ("\u200b" if i % 7 == 0 else ""),
        "run_id": run,
        "at": f"2026-11-24T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "kind": kinds[i % len(kinds)],
        "summary": NASTY[i % len(NASTY)] + (f" echo {' '.join(TOKEN)}" if i % 5 == 0 else ""),
        "tool": "send_email 📧",
        "target": NASTY[(i + 3) % len(NASTY)],
        "outbound": i % 2 == 0,
        "reversible": i % 3 != 0,
        "data": {"x": float("nan") if i % 4 == 0 else i, "big": 1e308 * 10 if i % 6 == 0 else 1,
                 "text": NASTY[(i + 5) % len(NASTY)], "token": TOKEN if i % 3 == 0 else "none"},
    }
    if i % 11 == 0:
        # Events for a run the platform never lists.
        e["run_id"] = "run_ghost"
        e["kind"] = "message_sent"
        e["outbound"] = True
        e["reversible"] = False
    return e


for i in range(40):
    EVENTS.append(event(i))


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, obj, code=200):
        body = json.dumps(obj, ensure_ascii=False).encode()  # NaN, Infinity as Python writes them
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/v1/info":
            return self.send({"actions": ["stop_run", "pause_workflow", "hold_queue", "revoke_tool",
                                          "block_outbound", "release_queue", "resume_workflow"]})
        if path == "/v1/runs":
            return self.send({"runs": RUNS, "next_cursor": None})
        if path.startswith("/v1/runs/"):
            return self.send({"error": {"message": f"no such run; your token {TOKEN} is fine"}}, 404)
        if path == "/v1/controls":
            return self.send({"paused_workflows": ["wf-🇺🇸"], "outbound_blocked": [ESC + "[1mall"]})
        if path == "/v1/events":
            after = 0
            for kv in query.split("&"):
                if kv.startswith("after="):
                    after = int(kv[6:] or 0)
            with lock:
                if after >= len(EVENTS):
                    EVENTS.append(event(len(EVENTS)))
                page = EVENTS[after:after + 500]
                return self.send({"events": page, "next_cursor": str(after + len(page))})
        self.send({"error": {"message": "not found"}}, 404)

    def do_POST(self):
        n = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(n) or b"{}")
        run = (body.get("target") or {}).get("run_id")
        self.send({"action_id": "a1", "kind": body.get("kind"), "state": "preview" if "dry_run" in self.path else "applied",
                   "affected_runs": [run] if run else [r["id"] for r in RUNS],
                   "message": f"ok {ESC}[2J token {TOKEN}"})


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 7316
    ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
