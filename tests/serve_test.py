#!/usr/bin/python3
"""End-to-end tests of `dedup serve` with a real HTTP client (standard library only).

Usage: tests/serve_test.py DEDUP_BINARY REPO_ROOT

Starts the real server on ephemeral loopback ports (--listen 127.0.0.1:0, the port read
from --port-file) and drives every route and every error status, authentication, the
limits, idempotent replay, the answers of `dedup index add` for the same documents
(fixtures/news.jsonl), concurrent single-document inserts (group commit: the metrics must
show a commit of more than one document) and a SIGTERM drain (exit 0; every acknowledged
document present after reopening; `dedup index verify` passes). Every server it starts is
stopped, whatever happens. Prints "N passed, M failed"; exits 1 on any failure.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

if len(sys.argv) != 3:
    print(__doc__, file=sys.stderr)
    sys.exit(2)
DEDUP = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(sys.argv[2])
NEWS = os.path.join(ROOT, "fixtures", "news.jsonl")
TOKEN = "s3cret-token-for-tests"
TMP = tempfile.mkdtemp(prefix="dedup_serve_test.")
SERVERS = []
passed = 0
failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name}" + (f": {detail}" if detail else ""), flush=True)


class Server:
    """One `dedup serve` process; its stderr goes to a file."""

    def __init__(self, index, *flags, env=None, name="server"):
        self.log_path = os.path.join(TMP, f"{name}.log")
        port_file = os.path.join(TMP, f"{name}.port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.log = open(self.log_path, "w")
        e = dict(os.environ)
        e.pop("DEDUP_TOKEN", None)
        if env:
            e.update(env)
        self.proc = subprocess.Popen(
            [DEDUP, "serve", index, "--listen", "127.0.0.1:0", "--port-file", port_file, *flags],
            stdout=subprocess.DEVNULL, stderr=self.log, env=e)
        SERVERS.append(self)
        deadline = time.time() + 20
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{name} did not start: " + open(self.log_path).read())
            time.sleep(0.02)
        self.port = int(open(port_file).read())
        while self.request("GET", "/readyz")[0] != 200:
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{name} did not become ready: " + open(self.log_path).read())
            time.sleep(0.05)

    def request(self, method, path, body=None, token=None, content_type="application/json", headers=None):
        """(status, headers dict, body bytes); a JSON body is sent as given (str) or dumped."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            if content_type:
                h["Content-Type"] = content_type
        if token:
            h["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def json(self, method, path, body=None, token=TOKEN, **kw):
        status, headers, raw = self.request(method, path, body, token=token, **kw)
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def log_lines(self):
        return [json.loads(line) for line in open(self.log_path) if line.strip()]


def error_of(body):
    return body.get("error", {}) if isinstance(body, dict) else {}


def load_news():
    return [json.loads(line) for line in open(NEWS)]


def cli(*args):
    return subprocess.run([DEDUP, *args], capture_output=True, text=True, check=False)


def metric(text, name):
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def test_main_server():
    docs = load_news()
    token_file = os.path.join(TMP, "token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    index = os.path.join(TMP, "news.dedup")
    s = Server(index, "--token-file", token_file, "--max-batch", "50", "--max-body-bytes", "400000",
               "--max-header-bytes", "4096", name="main")

    # Liveness, readiness, metrics before anything.
    check("healthz", s.request("GET", "/healthz")[0] == 200)
    check("readyz", s.request("GET", "/readyz")[0] == 200)
    check("metrics open without --auth-reads", s.request("GET", "/metrics")[0] == 200)

    # Authentication on writes.
    st, body = s.json("POST", "/v1/documents", docs[0], token=None)
    check("401 without a token", st == 401 and error_of(body).get("code") == "unauthorized", f"{st} {body}")
    st, body = s.json("POST", "/v1/documents", docs[0], token="wrong")
    check("401 with a wrong token", st == 401, f"{st} {body}")
    st, _, _ = s.request("POST", "/v1/documents", json.dumps(docs[0]), headers={"Authorization": "Basic abc"})
    check("401 with another scheme", st == 401)
    check("reads need no token without --auth-reads", s.json("POST", "/v1/query", docs[0], token=None)[0] == 200)

    # Content type, JSON, fields.
    st, body = s.json("POST", "/v1/documents", docs[0], content_type="text/plain")
    check("415 text/plain", st == 415 and error_of(body).get("code") == "unsupported_media_type", f"{st} {body}")
    st, body = s.json("POST", "/v1/documents", docs[0], content_type=None)
    check("415 without Content-Type", st == 415, f"{st}")
    st, _, _ = s.request("POST", "/v1/query", json.dumps(docs[0]), headers={"Expect": "100-continue"})
    check("Expect: 100-continue", st == 200, f"{st}")
    check("charset parameter accepted",
          s.json("POST", "/v1/query", docs[0], content_type="application/json; charset=utf-8")[0] == 200)
    st, body = s.json("POST", "/v1/documents", "{not json")
    check("400 invalid JSON", st == 400 and "invalid JSON" in error_of(body).get("message", ""), f"{st} {body}")
    st, body = s.json("POST", "/v1/documents", {"id": "x"})
    check("400 names the missing field", st == 400 and '"text"' in error_of(body).get("message", ""), f"{body}")
    st, body = s.json("POST", "/v1/documents", {"id": 7, "text": "t"})
    check("400 names a field of the wrong type", st == 400 and '"id"' in error_of(body).get("message", ""), f"{body}")
    st, body = s.json("POST", "/v1/documents", {"documents": [docs[0], {"id": "y"}]})
    check("400 names the batch position", st == 400 and "documents[1]" in error_of(body).get("message", ""),
          f"{body}")
    st, body = s.json("POST", "/v1/documents", {"documents": {"id": "y"}})
    check("400 documents not an array", st == 400 and '"documents"' in error_of(body).get("message", ""), f"{body}")
    st, body = s.json("POST", "/v1/documents", {"documents": []})
    check("400 empty batch", st == 400, f"{body}")
    st, body = s.json("POST", "/v1/documents", [1, 2])
    check("400 body not an object", st == 400, f"{body}")
    st, body = s.json("POST", "/v1/documents", {"id": "p", "text": "t", "published": "yesterday"})
    check("400 bad published time", st == 400 and '"published"' in error_of(body).get("message", ""), f"{body}")
    st, body = s.json("POST", "/v1/documents", b'{"id":"u","text":"\xff"}')
    check("400 invalid UTF-8", st == 400, f"{body}")

    # Limits.
    many = [{"id": f"lim{i}", "text": f"limit test {i}"} for i in range(51)]
    st, body = s.json("POST", "/v1/documents", {"documents": many})
    check("413 batch over --max-batch", st == 413 and "50" in error_of(body).get("message", ""), f"{st} {body}")
    st, body = s.json("POST", "/v1/documents", {"id": "big", "text": "x " * 250000})
    check("413 body over --max-body-bytes", st == 413, f"{st} {body}")
    st, _, _ = s.request("GET", "/healthz", headers={"X-Filler": "a" * 8000})
    check("431 header over --max-header-bytes", st == 431, f"{st}")
    check("serving after the limits", s.request("GET", "/healthz")[0] == 200)

    # Routes and methods.
    st, body = s.json("GET", "/v2/nothing")
    check("404 unknown route", st == 404 and error_of(body).get("code") == "not_found")
    st, headers, raw = s.request("PUT", "/v1/documents", "{}")
    check("405 with Allow", st == 405 and headers.get("allow") == "POST", f"{st} {headers}")
    st, headers, _ = s.request("POST", "/v1/documents/abc", "{}")
    check("405 on a document lists GET, DELETE", st == 405 and headers.get("allow") == "GET, DELETE")
    check("404 unknown document", s.json("GET", "/v1/documents/nope")[0] == 404)
    check("404 unknown cluster", s.json("GET", "/v1/clusters/999999")[0] == 404)
    check("400 bad cluster id", s.json("GET", "/v1/clusters/abc")[0] == 400)
    check("400 bad percent escape", s.json("GET", "/v1/documents/%zz")[0] == 400)

    # The same answers as `dedup index add` for the same documents, one request each.
    answers = []
    for d in docs:
        st, body = s.json("POST", "/v1/documents", d)
        check(f"insert {d['id']}", st == 200, f"{st} {body}")
        answers.append(body)
    ref_index = os.path.join(TMP, "ref.dedup")
    cli("index", "create", ref_index)
    # One document per transaction on both sides: an answer reflects the chrome model at
    # its own commit, which a batch of 256 moves forward for all its documents at once.
    r = cli("index", "add", ref_index, NEWS, "--format", "jsonl", "--batch-size", "1")
    expected = [json.loads(line) for line in r.stdout.splitlines()]
    check("dedup index add ran", r.returncode == 0 and len(expected) == len(docs), r.stderr)
    mismatch = [(a, e) for a, e in zip(answers, expected) if a != e]
    check("the same answers as dedup index add", not mismatch, f"{mismatch[:2]}")
    check("some duplicates among the news", any(a.get("decision") == "duplicate" for a in answers))

    # Idempotent replay; a replay with another text is a 409 naming the id.
    st, body = s.json("POST", "/v1/documents", docs[3])
    check("replay answers existing", st == 200 and body.get("decision") == "existing"
          and body.get("cluster") == answers[3]["cluster"], f"{body}")
    changed = dict(docs[3], text=docs[3]["text"] + " changed")
    st, body = s.json("POST", "/v1/documents", changed)
    check("409 names the id", st == 409 and docs[3]["id"] in error_of(body).get("message", ""), f"{st} {body}")

    # A batch is all or nothing.
    st, body = s.json("POST", "/v1/documents", {"documents": [{"id": "fresh-1", "text": "a brand new text here"},
                                                              changed]})
    check("batch with a conflict: 409 naming the position", st == 409 and "documents[1]" in
          error_of(body).get("message", ""), f"{st} {body}")
    check("nothing of the failed batch stored", s.json("GET", "/v1/documents/fresh-1")[0] == 404)
    batch = [{"id": "fresh-1", "text": "a brand new text that nobody wrote before today"},
             {"id": "fresh-2", "text": "a brand new text that nobody wrote before today"}]
    st, body = s.json("POST", "/v1/documents", {"documents": batch})
    ok = st == 200 and [x["decision"] for x in body.get("results", [])] == ["new", "duplicate"]
    check("batch answers in order, the second a duplicate of the first", ok, f"{st} {body}")

    # Query: the same answer, nothing inserted.
    probe = dict(docs[0], id="probe-copy")
    st, body = s.json("POST", "/v1/query", probe)
    check("query answers duplicate of the original", st == 200 and body.get("decision") == "duplicate"
          and body.get("cluster") == answers[0]["cluster"], f"{body}")
    check("query inserted nothing", s.json("GET", "/v1/documents/probe-copy")[0] == 404)
    st, body = s.json("POST", "/v1/query", {"documents": [probe, docs[1]]})
    check("batch query", st == 200 and len(body.get("results", [])) == 2, f"{body}")

    # Documents and clusters.
    dup = next(a for a in answers if a["decision"] == "duplicate")
    st, body = s.json("GET", "/v1/documents/" + urllib.request.quote(dup["id"], safe=""))
    check("GET document", st == 200 and body.get("cluster") == dup["cluster"]
          and body.get("canonical") == dup["canonical"], f"{body}")
    st, body = s.json("GET", f"/v1/clusters/{dup['cluster']}")
    check("GET cluster", st == 200 and dup["id"] in body.get("members", []) and body.get("canonical") == dup["canonical"]
          and body.get("size") == len(body.get("members", [])) and isinstance(body.get("events"), list), f"{body}")
    check("DELETE needs the token", s.json("DELETE", "/v1/documents/fresh-2", token=None)[0] == 401)
    st, body = s.json("DELETE", "/v1/documents/fresh-2")
    check("DELETE document", st == 200 and body.get("removed") == 1, f"{body}")
    check("deleted document is gone", s.json("GET", "/v1/documents/fresh-2")[0] == 404)
    check("DELETE again: 404", s.json("DELETE", "/v1/documents/fresh-2")[0] == 404)

    # Expiry.
    st, body = s.json("POST", "/v1/expire", {"before": "2000-01-01T00:00:00Z", "by": "inserted"})
    check("expire before 2000 removes nothing", st == 200 and body.get("removed") == 0, f"{body}")
    st, body = s.json("POST", "/v1/expire", {"before": 946684800, "by": "published"})
    check("expire with Unix seconds", st == 200, f"{body}")
    check("expire needs before", s.json("POST", "/v1/expire", {"by": "inserted"})[0] == 400)
    st, body = s.json("POST", "/v1/expire", {"before": "2000-01-01", "by": "sometime"})
    check("expire names a bad by", st == 400 and '"by"' in error_of(body).get("message", ""), f"{body}")
    check("expire needs the token", s.json("POST", "/v1/expire", {"before": 0}, token=None)[0] == 401)

    # Concurrent single-document inserts share commits.
    results = {}

    def worker(t):
        for i in range(6):
            d = {"id": f"conc-{t}-{i}", "text": f"worker {t} writes document {i} about topic {t * 100 + i} " * 3}
            results[d["id"]] = s.json("POST", "/v1/documents", d)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check("all concurrent inserts answered 200", all(st == 200 for st, _ in results.values()),
          str([v for v in results.values() if v[0] != 200][:3]))
    text = s.request("GET", "/metrics")[2].decode()
    commits = metric(text, "dedup_commit_batch_documents_count")
    singles = metric(text, 'dedup_commit_batch_documents_bucket{le="1"}')
    inserted = metric(text, "dedup_commit_batch_documents_sum")
    check("group commit gathered several documents into one commit",
          commits is not None and singles is not None and singles < commits, f"commits {commits} singles {singles}")
    check("commits fewer than documents", commits is not None and inserted is not None and commits < inserted,
          f"{commits} commits for {inserted} documents")
    for name in ["dedup_index_documents", "dedup_index_clusters", "dedup_index_load_seconds",
                 'dedup_decisions_total{decision="new"}', 'dedup_decisions_total{decision="duplicate"}',
                 "dedup_commit_seconds_count", "dedup_index_candidate_pairs_total"]:
        check(f"metric {name}", metric(text, name) is not None)
    sync_seconds = metric(text, "dedup_index_commit_sync_seconds_total")
    check("COMMIT (fsync) time: each group commit counted, time spent",
          (metric(text, "dedup_index_commits_total") or 0) >= commits and sync_seconds is not None and sync_seconds > 0,
          f"{metric(text, 'dedup_index_commits_total')} index commits, {commits} group commits, {sync_seconds} s")
    check("requests by route and status",
          'dedup_http_requests_total{route="POST /v1/documents",status="409"}' in text)
    check("latency histogram", 'dedup_http_request_duration_seconds_bucket{route="POST /v1/documents",le="+Inf"}'
          in text)

    # A concurrent group with one conflicting request: only that one fails.
    out = {}

    def put(key, d):
        out[key] = s.json("POST", "/v1/documents", d)

    group = [(f"g{i}", {"id": f"grp-{i}", "text": f"group member {i} with its own words {i * 7}"}) for i in range(12)]
    group.append(("bad", changed))
    threads = [threading.Thread(target=put, args=kv) for kv in group]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check("the conflicting request of a group fails alone", out["bad"][0] == 409 and
          all(out[k][0] == 200 for k, _ in group if k != "bad"), str(out))

    # The access log: one JSON line per request, no token, no text, no ids.
    s_log = open(s.log_path).read()
    check("no token in the log", TOKEN not in s_log)
    check("no text in the log", docs[0]["text"][:40] not in s_log and "brand new text" not in s_log)
    check("no document id in the log", "probe-copy" not in s_log)
    lines = s.log_lines()
    check("first line: listening", lines[0].get("event") == "listening" and
          lines[0].get("address") == f"127.0.0.1:{s.port}", f"{lines[0]}")
    req = [l for l in lines if l.get("event") == "request"]
    check("access log lines have method, route, status, duration, bytes",
          req and all({"method", "route", "status", "duration_ms", "request_bytes", "response_bytes"} <= l.keys()
                      for l in req))

    # SIGTERM while inserts are in flight: every acknowledged document survives.
    acked = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(t):
        i = 0
        while not stop.is_set():
            d = {"id": f"drain-{t}-{i}", "text": f"drain test writer {t} document {i} " * 4}
            i += 1
            try:
                st, body = s.json("POST", "/v1/documents", d)
            except OSError:
                return
            if st == 200:
                with lock:
                    acked.append((d["id"], body["cluster"]))

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    s.proc.send_signal(signal.SIGTERM)
    try:
        rc = s.proc.wait(30)
    except subprocess.TimeoutExpired:
        rc = None
    stop.set()
    for t in threads:
        t.join()
    s.stop()
    check("SIGTERM: exit 0", rc == 0, f"exit {rc}: {open(s.log_path).read()[-500:]}")
    check("some documents acknowledged before the drain", len(acked) > 0)
    r = cli("index", "export", index, "--format", "jsonl")
    stored = {}
    for line in r.stdout.splitlines():
        x = json.loads(line)
        stored[x["id"]] = x["cluster"]
    lost = [i for i, _ in acked if i not in stored]
    check("every acknowledged document present after reopening", not lost, f"{len(lost)} lost of {len(acked)}")
    check("their clusters as acknowledged", all(stored.get(i) == c for i, c in acked if i in stored))
    r = cli("index", "verify", index)
    check("dedup index verify after the drain", r.returncode == 0, r.stdout + r.stderr)
    events = [l.get("event") for l in s.log_lines()]
    check("log: stopping, then stopped", "stopping" in events and events[-1] == "stopped", str(events[-3:]))


def test_small_server():
    """Reads with --auth-reads, the connection limit, timeouts, DEDUP_TOKEN."""
    index = os.path.join(TMP, "small.dedup")
    s = Server(index, "--auth-reads", "--max-connections", "3", "--idle-timeout", "1", "--request-timeout", "1",
               env={"DEDUP_TOKEN": TOKEN}, name="small")
    check("auth-reads: GET needs the token", s.json("GET", "/v1/documents/x", token=None)[0] == 401)
    check("auth-reads: query needs the token", s.json("POST", "/v1/query", {"id": "a", "text": "b"}, token=None)[0]
          == 401)
    check("auth-reads: metrics need the token", s.request("GET", "/metrics")[0] == 401)
    check("auth-reads: healthz open", s.request("GET", "/healthz")[0] == 200)
    check("DEDUP_TOKEN works", s.json("POST", "/v1/documents", {"id": "a", "text": "hello there world"})[0] == 200)

    # The connection limit: 3 idle connections, then a 4th gets 503. (First let the server
    # see the earlier connections close.)
    time.sleep(0.5)
    idle = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(3)]
    time.sleep(0.2)
    st = None
    try:
        st = s.request("GET", "/healthz")[0]
    except (OSError, http.client.HTTPException) as e:
        st = str(e)
    check("503 beyond --max-connections", st == 503, f"{st}")
    # The idle timeout closes them; then requests are served again.
    time.sleep(1.6)
    closed = 0
    for c in idle:
        c.settimeout(2)
        try:
            closed += c.recv(1) == b""
        except OSError:
            closed += 1
        c.close()
    check("idle connections closed after --idle-timeout", closed == 3, f"{closed}")
    check("served again after idle ones closed", s.request("GET", "/healthz")[0] == 200)
    metrics = s.request("GET", "/metrics", token=TOKEN)[2].decode()
    check("the refused connection is counted", 'route="refused",status="503"' in metrics,
          [l for l in metrics.splitlines() if "refused" in l])

    # A request whose body never completes is dropped after --request-timeout.
    c = socket.create_connection(("127.0.0.1", s.port))
    c.sendall(b"POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    c.settimeout(5)
    t0 = time.time()
    try:
        got = c.recv(100)
    except OSError:
        got = b""
    check("stalled body dropped after --request-timeout", got == b"" and time.time() - t0 < 4,
          f"{got!r} after {time.time() - t0:.1f}s")
    c.close()
    check("malformed request: 400", raw_status(s.port, b"NOT HTTP AT ALL\r\n\r\n") == 400)
    check("SIGINT: exit 0", s.stop(signal.SIGINT) == 0)
    check("the refused connection is logged", any(r.get("route") == "refused" and r.get("status") == 503
                                                   for r in s.log_lines()))


def raw_status(port, data):
    c = socket.create_connection(("127.0.0.1", port))
    c.settimeout(5)
    try:
        c.sendall(data)
        got = c.recv(200)
    except OSError:
        return None
    finally:
        c.close()
    m = re.match(rb"HTTP/1\.1 (\d+)", got)
    return int(m.group(1)) if m else None


def test_loading():
    """/readyz is 503 while the index opens (after the listener is up), then 200."""
    import random
    rnd = random.Random(5)
    words = [f"w{i}" for i in range(5000)]
    corpus = os.path.join(TMP, "load.jsonl")
    with open(corpus, "w") as f:
        for i in range(60000):
            f.write(json.dumps({"id": f"g{i}", "text": " ".join(rnd.choice(words) for _ in range(150))}) + "\n")
    index = os.path.join(TMP, "load.dedup")
    cli("index", "create", index)
    r = cli("index", "add", index, corpus, "--batch-size", "5000", "--sync", "normal", "--format", "jsonl")
    check("built the loading index", r.returncode == 0, r.stderr)
    port_file = os.path.join(TMP, "load.port")
    proc = subprocess.Popen([DEDUP, "serve", index, "--listen", "127.0.0.1:0", "--port-file", port_file],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    holder = Server.__new__(Server)
    holder.proc = proc
    SERVERS.append(holder)
    deadline = time.time() + 30
    while not os.path.exists(port_file) and time.time() < deadline:
        time.sleep(0.001)
    port = int(open(port_file).read())
    seen = []
    healthy_while_loading = None
    write_while_loading = None
    while time.time() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/readyz")
        r = conn.getresponse()
        body = r.read()
        seen.append(r.status)
        if r.status == 503 and healthy_while_loading is None:
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            resp.read()
            healthy_while_loading = resp.status
            conn.request("POST", "/v1/query", json.dumps({"id": "q", "text": "w1 w2 w3"}),
                         {"Content-Type": "application/json"})
            resp = conn.getresponse()
            write_while_loading = (resp.status, json.loads(resp.read()))
        conn.close()
        if r.status == 200:
            break
    check("readyz 503 while loading", 503 in seen, str(seen[:5]))
    check("readyz 200 once loaded", seen and seen[-1] == 200, str(seen[-3:]))
    check("healthz 200 while loading", healthy_while_loading in (200, None), str(healthy_while_loading))
    check("a query while loading: 503 unavailable", write_while_loading is None or
          (write_while_loading[0] == 503 and write_while_loading[1]["error"]["code"] == "unavailable"),
          str(write_while_loading))
    proc.send_signal(signal.SIGTERM)
    check("stopped after loading: exit 0", proc.wait(30) == 0)


def test_startup():
    """Usage errors, the warning beyond loopback, a bad index, --help."""
    r = cli("serve", "--help")
    for flag in ["--listen", "--port-file", "--token-file", "--auth-reads", "--sync", "--threads", "--workers",
                 "--io-threads", "--max-body-bytes", "--max-header-bytes", "--max-batch", "--max-connections",
                 "--request-timeout", "--idle-timeout", "DEDUP_TOKEN"]:
        check(f"--help documents {flag}", flag in r.stdout)
    r = cli("serve", os.path.join(TMP, "x.dedup"), "--listen", "nonsense")
    check("bad --listen: exit 2", r.returncode == 2 and "--listen" in r.stderr, r.stderr)
    r = cli("serve", os.path.join(TMP, "x.dedup"), "--auth-reads")
    check("--auth-reads without a token: exit 2", r.returncode == 2, r.stderr)
    bad = os.path.join(TMP, "not-an-index")
    with open(bad, "w") as f:
        f.write("hello")
    r = subprocess.run([DEDUP, "serve", bad, "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
    check("an index that does not open: exit 1 with the reason", r.returncode == 1 and "error" in r.stderr, r.stderr)
    # A missing index is created with the parameter flags; an existing one must match them.
    s = Server(os.path.join(TMP, "wide.dedup"), "--threshold", "0.6", "--num-perm", "64", name="wide")
    check("created with the parameter flags: exit 0", s.stop() == 0)
    r = cli("index", "stats", os.path.join(TMP, "wide.dedup"), "--format", "json")
    stats = json.loads(r.stdout) if r.returncode == 0 else {}
    check("created with --threshold 0.6", stats.get("threshold") == 0.6, r.stdout + r.stderr)
    r = subprocess.run([DEDUP, "serve", os.path.join(TMP, "wide.dedup"), "--listen", "127.0.0.1:0", "--threshold",
                        "0.9"], capture_output=True, text=True, timeout=30)
    check("an existing index with other parameters: exit 1 naming them", r.returncode == 1 and "0.9" in r.stderr,
          r.stderr)
    s.proc = subprocess.Popen([DEDUP, "serve", os.path.join(TMP, "wide.dedup"), "--listen", "0.0.0.0:0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    SERVERS.append(s)
    first = s.proc.stderr.readline()
    second = s.proc.stderr.readline()
    s.proc.send_signal(signal.SIGTERM)
    s.proc.communicate(timeout=30)
    check("warning beyond loopback without a token", "listening" in first and "warning" in second and
          "without a token" in second, first + second)


def main():
    try:
        for t in [test_startup, test_loading, test_main_server, test_small_server]:
            try:
                t()
            except Exception as e:  # A crash of one group is a failure, not a hang.
                check(t.__name__, False, repr(e))
    finally:
        for s in SERVERS:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
        shutil.rmtree(TMP, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
