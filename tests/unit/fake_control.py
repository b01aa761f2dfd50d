#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A stand-in for spgate-control's API (docs/control-plane.md §2) for spgatectl's tests.

Speaks newline-delimited JSON over TLS 1.3 (engineers: every op but login needs the token
that login hands out) or over a Unix socket (operators: no token). Answers from canned data;
a few arguments pick a behaviour:

  login  user alice/secret -> token; user "expired" (any password) -> a token already expired;
         user otp/secret -> a TOTP challenge "ch1" (only with "mfa": true, else
         upgrade_required), answered by 123456; user radius/secret -> two rounds: "r1" wants
         111111, "r2" wants 2222
  connect serial CKSTEP -> mfa_step_up unless "otp" is 654321 (then requested)
  search query "GARBAGE" -> a reply that is not JSON; "SILENT" -> no reply; "CLOSE" -> hang up
  connect serial CK2002 -> busy (held by bob); CK404 -> not_found; CK2001 -> awaiting approval,
         active when polled; CK9 -> dialing, failed when polled; anything else -> requested
  sessions all=true over TLS -> forbidden
  disconnect/approve/deny id 99 -> not_found
  inventory_import text containing "bad" -> bad_request with line 3

Every request line is appended to --log, so tests can check what spgatectl sent.

  fake_control.py --tls CERT KEY --port-file FILE [--log FILE]
  fake_control.py --unix PATH [--log FILE]
"""
import argparse
import json
import os
import socketserver
import ssl
import sys
import threading
import time

TOKEN = "tok-0123456789abcdef"
EXPIRED_TOKEN = "tok-expired"

SYSTEMS = [
    {"serial": "CK2001", "customer": "acme", "site": "munich", "region": "eu", "connect": "network",
     "address": "192.0.2.10", "profile": "vnx", "ports": ["tcp:22", "tcp:443"]},
    {"serial": "CK2002", "customer": "acme", "site": "berlin", "region": "eu", "connect": "modem",
     "address": "+49301234567", "profile": "vnx", "ports": ["tcp:22"]},
    {"serial": "MX300", "customer": "globex", "site": "austin", "region": "us", "connect": "network",
     "address": "198.51.100.7", "profile": "unity", "ports": ["tcp:22", "tcp:8443"]},
]


def session(sid, serial, state, **extra):
    s = {"id": sid, "serial": serial, "customer": "acme", "user": "alice", "workstation": "192.0.2.50",
         "state": state, "reason": "", "line": "net-eu-1", "virtual_address": "198.18.0.%d" % sid,
         "sp_address": "192.0.2.10", "speed_bps": 33600, "created": int(time.time()) - 754,
         "updated": int(time.time()), "out_packets": 1200, "in_packets": 1100, "out_bytes": 96000,
         "in_bytes": 88000, "drops": 0}
    s.update(extra)
    return s


# session id -> states it goes through, one per `session` poll (the last one stays)
SCRIPTS = {12: ["awaiting_approval", "active"], 13: ["dialing", "failed"]}
polls = {}
lock = threading.Lock()


def err(code, message, **extra):
    r = {"ok": False, "error": code, "message": message}
    r.update(extra)
    return r


def ok(**results):
    r = {"ok": True}
    r.update(results)
    return r


def scripted(sid):
    with lock:
        n = polls.get(sid, 0)
        polls[sid] = n + 1
    states = SCRIPTS.get(sid, ["active"])
    state = states[min(n + 1, len(states) - 1)]
    extra = {"approval_id": 3} if state == "awaiting_approval" else {}
    if state == "failed":
        extra["reason"] = "the SP refused the grant: wrong serial"
    return session(sid, "CK2001" if sid == 12 else "CK9", state, **extra)


# challenge id -> (the answer it wants, what comes after a right one: a challenge or None)
CHALLENGES = {"ch1": ("123456", None), "r1": ("111111", "r2"), "r2": ("2222", None)}
PROMPTS = {"ch1": "Authenticator code: ", "r1": "Token code: ", "r2": "PIN: "}


def challenge(cid):
    return ok(challenge={"id": cid, "prompt": PROMPTS[cid], "factor": "totp" if cid == "ch1" else "radius-challenge",
                         "echo": False, "expires_in": 120})


def second_factor(req):
    user, cid = req.get("user"), req.get("challenge")
    if cid is None and user in ("otp", "radius") and req.get("password") == "secret":
        if req.get("mfa") is not True:
            return err("upgrade_required", "this server requires a second factor for %s; upgrade spgatectl" % user)
        return challenge("ch1" if user == "otp" else "r1")
    if cid in CHALLENGES and req.get("response") == CHALLENGES[cid][0]:
        if CHALLENGES[cid][1] is not None:
            return challenge(CHALLENGES[cid][1])
        return ok(token=TOKEN, expires=int(time.time()) + 3600, user=user, groups=["storage-eu"],
                  second_factor="totp" if cid == "ch1" else "radius-challenge")
    return err("auth_failed", "login failed" if cid is None else "login refused: wrong or expired code")


def answer(req, operator):
    op = req.get("op")
    if op == "login":
        if operator:
            return err("bad_request", "operators need no login")
        if req.get("user") == "alice" and req.get("password") == "secret":
            return ok(token=TOKEN, expires=int(time.time()) + 3600, user="alice", groups=["storage-eu", "approvers"])
        if req.get("user") == "expired":
            return ok(token=EXPIRED_TOKEN, expires=int(time.time()) - 10, user="expired", groups=[])
        return second_factor(req)
    if not operator and req.get("token") != TOKEN:
        return err("unauthorized", "the token is missing, expired or invalid")
    if op == "whoami":
        if operator:
            return ok(user="root", groups=[], role="operator", expires=None)
        return ok(user="alice", groups=["storage-eu", "approvers"], role="engineer", expires=int(time.time()) + 3000)
    if op == "search":
        q, by = req.get("query", ""), req.get("by", "any")
        if q in ("GARBAGE", "SILENT", "CLOSE"):
            return q
        keys = ["serial", "customer", "site"] if by in ("any", "ticket") else [by]
        return ok(systems=[s for s in SYSTEMS if any(q.lower() in s[k].lower() for k in keys)])
    if op == "connect":
        serial = req.get("serial") or ("CK2001" if req.get("ticket") else None)
        if serial == "CK2002":
            return err("busy", "CK2002 already has a session",
                       holder={"session": 7, "user": "bob", "workstation": "192.0.2.20", "since": 1714564800})
        if serial == "CK404":
            return err("not_found", "no system CK404 that you may reach")
        if serial == "CKSTEP" and req.get("otp") is None:
            return err("mfa_step_up", "CKSTEP's customer requires a second factor from the last 900 s: give a fresh code")
        if serial == "CKSTEP" and req.get("otp") != "654321":
            return err("auth_failed", "step-up refused: wrong or expired code")
        if serial in ("CK2001", "CK9"):
            with lock:
                polls[12 if serial == "CK2001" else 13] = 0
        if serial == "CK2001":
            return ok(session=session(12, "CK2001", "awaiting_approval", approval_id=3))
        if serial == "CK9":
            return ok(session=session(13, "CK9", "dialing"))
        return ok(session=session(14, serial, "requested", workstation=req.get("workstation", "192.0.2.50")))
    if op == "sessions":
        if req.get("all") and not operator:
            return err("forbidden", "only operators and auditors may list everyone's sessions")
        return ok(sessions=[session(12, "CK2001", "active"), session(15, "MX300", "dialing", speed_bps=0,
                                                                      user="bob", sp_address=None)])
    if op in ("session", "disconnect", "approve", "deny"):
        sid = req.get("id")
        if isinstance(sid, str) and sid.isdigit():
            sid = int(sid)
        if not isinstance(sid, int):
            return err("bad_request", "id: expected a session id")
        if sid == 99:
            return err("not_found", "no session 99")
        if op == "session":
            return ok(session=scripted(sid))
        state = {"disconnect": "closing", "approve": "dialing", "deny": "failed"}[op]
        return ok(session=session(sid, "CK2001", state))
    if op == "ticket_submit":
        return ok(ticket={"id": 41, "serial": req.get("serial", "CK2001"), "customer": req.get("customer", "acme"),
                          "site": req.get("site", "munich"), "problem": req.get("problem"),
                          "submitted_by": "alice", "created": 1714564800})
    if op == "tickets":
        return ok(tickets=[{"id": 41, "serial": "CK2001", "customer": "acme", "site": "munich",
                            "problem": "disk 3 failed", "submitted_by": "alice", "created": 1714564800}])
    if op == "lines":
        return ok(lines=[{"id": "net-eu-1", "type": "network", "region": "eu", "state": "connected", "session": 12,
                          "calls": 3, "failures": 0, "last_result": ""},
                         {"id": "modem-us-1", "type": "modem", "region": "us", "customer": "globex",
                          "state": "idle", "calls": 7, "failures": 2, "last_result": "busy"}])
    if op == "audit":
        if not operator:
            return err("forbidden", "audit is for operators")
        return ok(events=[{"time": "2024-05-01T12:00:00Z", "unix": 1714564800, "actor": "alice", "action": "login",
                           "target": "alice", "result": "ok", "id": 1,
                           "detail": {"source": "local", "method": "pbkdf2"}},
                          {"time": "2024-05-01T12:01:00Z", "unix": 1714564860, "actor": "alice",
                           "action": "connect", "target": "CK2001", "result": "awaiting_approval", "id": 2,
                           "detail": {"session": 12}},
                          {"time": "2024-05-01T12:02:00Z", "actor": "root", "action": "inventory_import",
                           "target": "yaml", "result": "ok"}])
    if op == "logout":
        return ok()
    if op == "user_revoke":
        if not operator:
            return err("forbidden", "user_revoke is for operators only")
        if not req.get("user"):
            return err("bad_request", "missing argument \"user\"")
        return ok(user=req["user"], revoked_before=1714564800)
    if op == "inventory_import":
        if not operator:
            return err("forbidden", "inventory import is for operators")
        if req.get("format") not in ("yaml", "csv") or not isinstance(req.get("text"), str):
            return err("bad_request", "format: expected yaml or csv")
        if "bad" in req["text"]:
            return err("bad_request", "inventory:3:7: system[1]: serial: missing", line=3)
        if "worse" in req["text"]:
            return err("bad_request", "the file ends inside a quoted field", line=2)
        return ok(imported={"customers": 1, "sites": 2, "systems": 3})
    return err("bad_request", "unknown op %r" % (op,))


class Handler(socketserver.StreamRequestHandler):
    operator = False
    tls = None
    log = None

    def setup(self):
        if self.tls is not None:
            try:
                self.request = self.tls.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError):
                self.request = None  # the client refused our certificate; that is the test
                return
        super().setup()

    def handle(self):
        if self.request is None:
            return
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if self.log:
                with lock, open(self.log, "a") as f:
                    f.write(line + "\n")
            try:
                req = json.loads(line)
                reply = answer(req, self.operator) if isinstance(req, dict) else err("bad_request", "not an object")
            except ValueError:
                reply = err("bad_request", "the request is not valid JSON")
            if reply == "GARBAGE":
                self.wfile.write(b"this is not json\n")
            elif reply == "SILENT":
                time.sleep(3)
                return
            elif reply == "CLOSE":
                return
            else:
                self.wfile.write((json.dumps(reply) + "\n").encode())
            self.wfile.flush()

    def finish(self):
        if self.request is not None:
            try:
                super().finish()
            except OSError:
                pass


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--listen", default="127.0.0.1", help="address for --tls (port: any free one)")
    ap.add_argument("--port-file", help="where to write the TCP port once listening")
    ap.add_argument("--unix", metavar="PATH")
    ap.add_argument("--log")
    a = ap.parse_args()
    Handler.log = a.log
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(*a.tls)
        Handler.tls = ctx
        srv = TCPServer((a.listen, 0), Handler)
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, a.port_file)
    elif a.unix:
        Handler.operator = True
        srv = UnixServer(a.unix, Handler)
    else:
        ap.error("give --tls CERT KEY --port-file FILE or --unix PATH")
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
