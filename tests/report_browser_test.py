#!/usr/bin/python3
"""The HTML report (dedup/report_html.h) rendered by a real browser: headless Chromium.

Usage: report_browser_test.py DEDUP SOURCE_DIR

Makes the report of fixtures/news with `dedup cluster --format html`, loads it in
headless Chromium (a fresh --user-data-dir, --virtual-time-budget so the page's script
has run, --dump-dom), and checks the rendered DOM: every cluster with duplicates is
there; the fragment #cluster=L&member=I opened a side-by-side view with highlighted
shared passages -- the longest one as `dedup explain --format json` prints it -- and
boilerplate lines marked as ignored; the error box the page's error hooks fill is empty;
and Chromium logged no console message (script errors and Content-Security-Policy
violations are logged as "CONSOLE" lines with --enable-logging=stderr). A report with
hostile ids, sources and texts must render them as text. The checks are run on two
deliberately broken pages too, and must fail there.

Exit 77 (ctest SKIP_RETURN_CODE) when Chromium is not installed.
"""
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

SKIP = 77


class Dom(html.parser.HTMLParser):
    """The parts of the rendered DOM the checks need."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, classes, attrs)
        self.clusters = []  # ids of <section class="cluster">
        self.marks = {"A": [], "B": []}  # text of <mark class="shared"> per side
        self.chrome_lines = 0
        self.ignored_tags = 0
        self.errors = []  # texts of <p class="error"> in #errors
        self.errors_hidden = None
        self.imgs = 0
        self.rendered = False
        self.panels_open = 0
        self.text_runs = []

    def _inside(self, cls):
        return any(cls in c for _, c, _ in self.stack)

    def _side(self):
        for _, classes, attrs in reversed(self.stack):
            if "side" in classes:
                return "A" if attrs.get("aria-label", "").startswith("A ") else "B"
        return None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "img":
            self.imgs += 1
        if tag == "body" and a.get("data-rendered") == "true":
            self.rendered = True
        if tag == "section" and "cluster" in classes:
            self.clusters.append(a.get("id"))
        if tag == "p" and "chrome" in classes and "line" in classes:
            self.chrome_lines += 1
        if tag == "div" and a.get("id") == "errors":
            self.errors_hidden = "hidden" in a
        if tag == "div" and "compare" in classes and "hidden" not in a:
            self.panels_open += 1
        if tag in ("meta", "input", "br", "link"):
            return
        self.stack.append((tag, classes, a))
        if tag == "mark" and "shared" in classes:
            self.marks[self._side() or "?"] = self.marks.get(self._side() or "?", []) + [""]

    def handle_endtag(self, tag):
        while self.stack:
            t, _, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if not self.stack:
            return
        tag, classes, _ = self.stack[-1]
        if tag == "mark" and "shared" in classes:
            side = self._side() or "?"
            self.marks[side][-1] += data
        if tag == "span" and "tag" in classes and self._inside("chrome"):
            self.ignored_tags += 1
        if tag == "p" and "error" in classes:
            self.errors.append(data)


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render(chromium, path, fragment=""):
    """The DOM after the page's script ran, and Chromium's log (stderr)."""
    profile = tempfile.mkdtemp(prefix="dedup_browser_test_")
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           "--user-data-dir=" + profile, "--virtual-time-budget=10000", "--enable-logging=stderr", "--v=0",
           "--dump-dom", "file://" + path + fragment]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("chromium did not finish within 90 s")
    finally:
        # Chromium's helper processes share its process group: none may outlive the test.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        shutil.rmtree(profile, ignore_errors=True)
    return out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def check_page(dom_text, log, expect):
    """Problems found in a rendered page (empty: it passed). `expect` says what must be there."""
    problems = []
    dom = Dom()
    dom.feed(dom_text)
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    if console:
        problems.append("console messages: " + " | ".join(console))
    if dom.errors or dom.errors_hidden is not True:
        problems.append("the page recorded script errors: %r" % dom.errors)
    if not dom.rendered:
        problems.append("the page's script did not finish (no data-rendered)")
    if sorted(dom.clusters) != sorted("cluster-%d" % c for c in expect["clusters"]):
        problems.append("clusters %r, expected %r" % (dom.clusters, expect["clusters"]))
    if dom.imgs:
        problems.append("%d <img> elements (injected markup?)" % dom.imgs)
    if expect.get("panel"):
        if dom.panels_open != 1:
            problems.append("%d side-by-side views open, expected 1" % dom.panels_open)
        joined = {side: " ".join(m.strip() for m in marks) for side, marks in dom.marks.items()}
        if not dom.marks.get("A") or not dom.marks.get("B"):
            problems.append("no highlighted shared passages on both sides: %r" % {k: len(v) for k, v in dom.marks.items()})
        elif expect.get("passage") and expect["passage"] not in joined["A"]:
            problems.append("the longest passage of dedup explain is not highlighted: %r" % expect["passage"][:80])
    if expect.get("chrome") and (dom.chrome_lines == 0 or dom.ignored_tags != dom.chrome_lines):
        problems.append("boilerplate lines: %d marked, %d labelled ignored" % (dom.chrome_lines, dom.ignored_tags))
    return problems


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, **kw).stdout.decode("utf-8")


def main():
    dedup, source = sys.argv[1], sys.argv[2]
    chromium = chromium_binary()
    if not chromium:
        print("SKIP: Chromium is not installed (Debian: apt-get install chromium; tools/install-deps.sh installs it)")
        return SKIP
    work = tempfile.mkdtemp(prefix="dedup_browser_report_")
    failures = []
    try:
        news = os.path.join(source, "fixtures", "news")
        report = os.path.join(work, "report.html")
        run([dedup, "cluster", news, "--format", "html", "-o", report])
        clusters = json.loads(run([dedup, "cluster", news, "--format", "json"]))["clusters"]
        labels = [c["cluster"] for c in clusters]
        # A member whose canonical member has boilerplate lines: its view shows them.
        data = open(report, encoding="utf-8").read()
        block = re.search(r'<script type="application/json" id="data">(.*?)</script>', data, re.S).group(1)
        payload = json.loads(block)
        target = None
        for c in payload["clusters"]:
            canonical = str(c["m"][0][0])
            if payload["texts"].get(canonical, {}).get("x"):
                target = (c["c"], 1, payload["docs"][str(c["m"][1][0])][0], payload["docs"][canonical][0])
                break
        if target is None:
            failures.append("no cluster of fixtures/news has a canonical member with boilerplate lines")
            target = (payload["clusters"][0]["c"], 1, None, None)
        label, member, member_id, canonical_id = target
        passage = None
        if member_id:
            explained = json.loads(run([dedup, "explain", member_id, canonical_id, "--corpus", news, "--format", "json"]))
            passage = explained["longest_passages"][0] if explained["longest_passages"] else None

        dom, log = render(chromium, report)
        problems = check_page(dom, log, {"clusters": labels})
        failures += ["plain load: " + p for p in problems]

        fragment = "#cluster=%d&member=%d" % (label, member)
        dom, log = render(chromium, report, fragment)
        problems = check_page(dom, log, {"clusters": labels, "panel": True, "chrome": True, "passage": passage})
        failures += [fragment + ": " + p for p in problems]

        # Hostile ids, sources and texts render as text.
        hostile = "</script><img src=x onerror=\"document.title='pwned'\"> 'q' \"dq\""
        words = " ".join("word%d" % i for i in range(80))
        corpus = os.path.join(work, "hostile.jsonl")
        with open(corpus, "w", encoding="utf-8") as f:
            for i in range(2):
                f.write(json.dumps({"id": hostile + str(i), "source": hostile, "text": hostile + "\n" + words}) + "\n")
        hostile_report = os.path.join(work, "hostile.html")
        run([dedup, "cluster", corpus, "--format", "html", "-o", hostile_report])
        hostile_labels = [c["cluster"] for c in json.loads(run([dedup, "cluster", corpus, "--format", "json"]))["clusters"]]
        dom, log = render(chromium, hostile_report, "#cluster=%d&member=1" % hostile_labels[0])
        problems = check_page(dom, log, {"clusters": hostile_labels, "panel": True})
        if "<title>dedup cluster report</title>" not in dom:
            problems.append("the hostile page's title changed: an injected handler ran")
        if '<td class="id">' + html.escape(hostile + "0", quote=False) + "</td>" not in dom:
            problems.append("the hostile id is not shown as text in its cell")
        failures += ["hostile page: " + p for p in problems]

        # The checks can fail: a data block that is not JSON (a script error), and a script
        # that is not the one the Content-Security-Policy allows (blocked).
        broken = os.path.join(work, "broken.html")
        with open(broken, "w", encoding="utf-8") as f:
            f.write(data.replace('{"clusters":[{', '{"clusters":[{BROKEN', 1))
        dom, log = render(chromium, broken)
        if not check_page(dom, log, {"clusters": labels}):
            failures.append("a page whose data block is broken passed the checks")
        with open(broken, "w", encoding="utf-8") as f:
            f.write(data.replace("const PAGE = 50;", "const PAGE = 51;", 1))
        dom, log = render(chromium, broken)
        if not check_page(dom, log, {"clusters": labels}):
            failures.append("a page whose script the policy blocks passed the checks")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAIL: " + f)
    if failures:
        return 1
    print("ok: the report renders in %s: clusters, side-by-side view, boilerplate marked, no errors" % chromium)
    return 0


if __name__ == "__main__":
    sys.exit(main())
