#!/usr/bin/python3
"""Crash under load for `dedup serve` (issue 14): R rounds of kill -9 while clients insert.

  /usr/bin/python3 bench/serve_crash.py DEDUP CORPUS.jsonl WORKDIR [--rounds 50] [--clients 6]

Each round starts `dedup serve WORKDIR/crash.dedup --sync full` (the index is created by the
first round and grows across rounds), waits for /readyz, checks the documents acknowledged so
far (below), then runs --clients threads (standard library http.client, one keep-alive
connection each) that insert the documents of CORPUS in order, single documents and batches of
2-10 at random, and append every acknowledged answer (round, id, cluster, decision) to
WORKDIR/acked.jsonl as soon as it is read. At a random moment 0.5-5 s into the load the server
gets SIGKILL; `dedup index verify` then runs on the index (server stopped), and the next round
restarts the server on it. After the last round the server is started once more for the last
check. CORPUS is cycled through: after its end ids get a "~N" suffix, so every send is new.

The check, after each restart: every document acknowledged in the round before is fetched
(GET /v1/documents/{id}), and so is a random sample (--sample, default 300) of the earlier
rounds' documents, and at the end all of them. A document passes when it is present and its
cluster is its acknowledged cluster or a successor of it: reachable over the merge and split
events of `dedup index events` (run read-only alongside the server). Splits happen without
removals too: when the chrome the index learns re-signs a cluster's members (ingest_index.h).
Prints one line per round and a summary; exits 1 on a lost or misplaced document, a verify
failure, or a server that does not come up.

Example (BENCHMARKS.md):
  build/release/bench/dedup-gen-corpus --docs 200000 --seed 11 --out /tmp/sc/c.jsonl --truth /tmp/sc/t.tsv
  /usr/bin/python3 bench/serve_crash.py build/release/bin/dedup /tmp/sc/c.jsonl /tmp/sc --rounds 50
"""
import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dedup")
    p.add_argument("corpus")
    p.add_argument("workdir")
    p.add_argument("--rounds", type=int, default=50)
    p.add_argument("--clients", type=int, default=6)
    p.add_argument("--sample", type=int, default=300, help="earlier documents re-checked per round")
    p.add_argument("--min-kill", type=float, default=0.5)
    p.add_argument("--max-kill", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-verify", action="store_true", help="skip dedup index verify (faster)")
    p.add_argument("--verify-every", type=int, default=1, help="verify after every Nth round")
    return p.parse_args()


class Corpus:
    """Hands out the corpus documents in order, thread-safe, cycling with an id suffix."""

    def __init__(self, path):
        self.docs = []
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                self.docs.append((d["id"], d["text"]))
        self.next = 0
        self.lock = threading.Lock()

    def take(self, n):
        with self.lock:
            out = []
            for _ in range(n):
                i = self.next
                self.next += 1
                doc_id, text = self.docs[i % len(self.docs)]
                cycle = i // len(self.docs)
                out.append({"id": doc_id if cycle == 0 else "%s~%d" % (doc_id, cycle), "text": text})
            return out


class Server:
    def __init__(self, dedup, index, workdir, rnd):
        self.port_file = os.path.join(workdir, "port")
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        self.log = open(os.path.join(workdir, "server.log"), "ab")
        self.log.write(b"== round %d\n" % rnd)
        self.log.flush()
        self.proc = subprocess.Popen(
            [dedup, "serve", index, "--listen", "127.0.0.1:0", "--port-file", self.port_file,
             "--sync", "full", "--workers", "32"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = None

    def wait_ready(self, timeout=300):
        start = time.time()
        while time.time() - start < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %d before /readyz" % self.proc.returncode)
            if self.port is None and os.path.exists(self.port_file):
                text = open(self.port_file).read().strip()
                if text:
                    self.port = int(text)
            if self.port is not None:
                try:
                    c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    c.request("GET", "/readyz")
                    if c.getresponse().status == 200:
                        c.close()
                        return time.time() - start
                    c.close()
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("server not ready after %d s" % timeout)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def term(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait()
        self.log.close()
        return rc


class Client(threading.Thread):
    def __init__(self, port, corpus, acked_log, log_lock, rnd, rng_seed, stop):
        super().__init__(daemon=True)
        self.port, self.corpus, self.acked_log, self.log_lock = port, corpus, acked_log, log_lock
        self.rnd, self.rng, self.stop = rnd, random.Random(rng_seed), stop
        self.acked = []  # (id, cluster, decision)
        self.errors = []  # unexpected HTTP statuses (connection errors after the kill are expected)
        self.sent = 0

    def run(self):
        headers = {"Content-Type": "application/json"}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self.stop.is_set():
            n = 1 if self.rng.random() < 0.6 else self.rng.randint(2, 10)
            docs = self.corpus.take(n)
            body = json.dumps(docs[0] if n == 1 else {"documents": docs})
            self.sent += n
            try:
                conn.request("POST", "/v1/documents", body, headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                return  # the server is gone (killed): these documents are not acknowledged
            if resp.status != 200:
                self.errors.append((resp.status, data[:200].decode(errors="replace")))
                continue
            answer = json.loads(data)
            results = [answer] if n == 1 else answer["results"]
            lines = []
            for d, r in zip(docs, results):
                if r["id"] != d["id"]:
                    self.errors.append((200, "answer for %s names %s" % (d["id"], r["id"])))
                self.acked.append((r["id"], r["cluster"], r["decision"]))
                lines.append(json.dumps({"round": self.rnd, "id": r["id"], "cluster": r["cluster"],
                                         "decision": r["decision"]}) + "\n")
            with self.log_lock:
                self.acked_log.writelines(lines)
                self.acked_log.flush()


class Checker:
    """Checks acknowledged documents against the running server.

    A cluster's id changes only by a merge (into an older cluster) or a split (part of it
    gets a new id: after a removal, or when the chrome the index learns re-signs its members
    and they no longer match; ingest_index.h). The successors of the acknowledged cluster are
    those reachable over both kinds of event, listed by `dedup index events` (read-only,
    alongside the server), read once per check when a document is not in its acknowledged
    cluster."""

    def __init__(self, port, dedup, index):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.dedup, self.index = dedup, index
        self.edges = None  # cluster -> [(kind, successor)]

    def get(self, path):
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        return r.status, r.read()

    def load_events(self):
        out = subprocess.run([self.dedup, "index", "events", self.index], capture_output=True, text=True, check=True)
        self.edges = {}
        for line in out.stdout.splitlines()[1:]:
            _, kind, old, new, _ = line.split("\t", 4)
            self.edges.setdefault(int(old), []).append((kind, int(new)))

    def check(self, doc_id, cluster):
        """(None or a problem, the kinds of events followed)."""
        status, data = self.get("/v1/documents/" + urllib.parse.quote(doc_id, safe=""))
        if status == 404:
            return "lost", ()
        if status != 200:
            return "GET answered %d: %s" % (status, data[:200]), ()
        now = json.loads(data)["cluster"]
        if now == cluster:
            return None, ()
        if self.edges is None:
            self.load_events()
        # Breadth-first over merge and split events from the acknowledged cluster.
        paths = {cluster: ()}
        queue = [cluster]
        while queue:
            c = queue.pop(0)
            for kind, nxt in self.edges.get(c, ()):
                if nxt not in paths:
                    paths[nxt] = paths[c] + (kind,)
                    if nxt == now:
                        return None, paths[nxt]
                    queue.append(nxt)
        return "in cluster %d, not reachable from acknowledged cluster %d by merge or split events" % (now, cluster), ()


def main():
    a = parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    index = os.path.join(a.workdir, "crash.dedup")
    rng = random.Random(a.seed)
    t0 = time.time()
    corpus = Corpus(a.corpus)
    acked_log = open(os.path.join(a.workdir, "acked.jsonl"), "a")
    log_lock = threading.Lock()
    all_acked = {}  # id -> (cluster, round)
    last_round = []  # (id, cluster) acknowledged in the round before
    totals = {"acked": 0, "lost": 0, "misplaced": 0, "verify_failures": 0, "http_errors": 0, "checked": 0,
              "moved_merge": 0, "moved_split": 0}
    failures = []
    print("corpus: %d documents, loaded in %.1f s" % (len(corpus.docs), time.time() - t0), flush=True)

    def check_all(port, items, label):
        ch = Checker(port, a.dedup, index)
        bad = 0
        for doc_id, cluster in items:
            problem, followed = ch.check(doc_id, cluster)
            totals["checked"] += 1
            if followed:
                totals["moved_split" if "split" in followed else "moved_merge"] += 1
            if problem is not None:
                bad += 1
                totals["lost" if problem == "lost" else "misplaced"] += 1
                failures.append("%s: %s (acknowledged cluster %d): %s" % (label, doc_id, cluster, problem))
                if len(failures) <= 20:
                    print("FAIL " + failures[-1], flush=True)
        ch.conn.close()
        return bad

    for rnd in range(1, a.rounds + 2):
        final = rnd == a.rounds + 1
        server = Server(a.dedup, index, a.workdir, rnd)
        try:
            ready = server.wait_ready()
        except RuntimeError as e:
            failures.append("round %d: %s" % (rnd, e))
            print("round %d: %s" % (rnd, e), flush=True)
            break
        # The check after the restart: the last round's documents, a sample of the earlier ones.
        tc = time.time()
        earlier = [(i, c) for i, (c, r) in all_acked.items() if r < rnd - 1]
        if final:
            sample = earlier
        else:
            sample = rng.sample(earlier, min(a.sample, len(earlier)))
        bad = check_all(server.port, last_round + sample, "after round %d" % (rnd - 1))
        n_checked = len(last_round) + len(sample)
        check_s = time.time() - tc
        if final:
            rc = server.term()
            print("final check: %d documents (the last round's and all earlier), %d bad, %.1f s; SIGTERM exit %d"
                  % (n_checked, bad, check_s, rc), flush=True)
            break
        # Load, then kill -9 at a random moment.
        stop = threading.Event()
        clients = [Client(server.port, corpus, acked_log, log_lock, rnd, rng.random(), stop)
                   for _ in range(a.clients)]
        kill_at = rng.uniform(a.min_kill, a.max_kill)
        for c in clients:
            c.start()
        time.sleep(kill_at)
        server.kill9()
        stop.set()
        for c in clients:
            c.join()
        last_round = []
        for c in clients:
            for doc_id, cluster, decision in c.acked:
                last_round.append((doc_id, cluster))
                if doc_id not in all_acked or decision != "existing":
                    all_acked[doc_id] = (cluster, rnd)
            totals["http_errors"] += len(c.errors)
            for e in c.errors[:5]:
                failures.append("round %d: HTTP %s" % (rnd, e))
        n_acked = len(last_round)
        totals["acked"] += n_acked
        verify = "skipped"
        if not a.no_verify and rnd % a.verify_every == 0:
            tv = time.time()
            v = subprocess.run([a.dedup, "index", "verify", index], capture_output=True, text=True)
            verify = "ok %.1f s" % (time.time() - tv) if v.returncode == 0 else "FAILED (exit %d)" % v.returncode
            if v.returncode != 0:
                totals["verify_failures"] += 1
                failures.append("round %d: verify exit %d: %s %s" % (rnd, v.returncode, v.stdout[-2000:], v.stderr[-2000:]))
        print("round %d: ready in %.2f s; checked %d (%d bad) in %.1f s; killed at %.2f s: %d sent, %d acknowledged; "
              "verify %s; %d distinct acknowledged so far; load avg %.1f"
              % (rnd, ready, n_checked, bad, check_s, kill_at, sum(c.sent for c in clients), n_acked,
                 verify, len(all_acked), os.getloadavg()[0]), flush=True)

    elapsed = time.time() - t0
    rounds_done = a.rounds if final else rnd - 1
    print("\nsummary: rounds %d; acknowledged answers %d (%d distinct documents); checks %d (%d found in a merged "
          "successor, %d after a split); lost %d; misplaced %d; verify failures %d; unexpected HTTP statuses %d; %.0f s"
          % (rounds_done, totals["acked"], len(all_acked), totals["checked"], totals["moved_merge"],
             totals["moved_split"], totals["lost"], totals["misplaced"], totals["verify_failures"],
             totals["http_errors"], elapsed))
    for f in failures[:50]:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
