#!/usr/bin/env python3
"""Generate the dedup fixture suite from the five seed articles.

Usage (from anywhere):

    python3 tools/make_fixtures.py

Reads   fixtures/seeds/*.txt   (five real scraped articles, read-only)
Writes  fixtures/news/         one document per .txt file (wiped and rewritten)
        fixtures/news.jsonl    the same documents, same sorted order
        fixtures/news_truth.tsv  id, source_id, kind
        fixtures/tiny/         edge-case documents for CLI tests
        fixtures/bad/          deliberately bad inputs for error-path tests
        fixtures/README.md     description + similarity tables (generated)

Python 3 standard library only.  Deterministic: every random choice comes
from a random.Random seeded with a string derived from MASTER_SEED and the
document id (string seeds are hashed with SHA-512 by `random`, so they do not
depend on PYTHONHASHSEED); file listings are sorted; no set/dict iteration
order leaks into the output.  Running it twice gives byte-identical files.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
import os
import random
import re
import shutil
import sys
import unicodedata

MASTER_SEED = 20230320
# The tables describe what `dedup` sees by default: word 3-shingles (dedup/shingle.h,
# kDefaultShingleSize; `dedup index` keeps word:5).
SHINGLE_K = 3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "fixtures")
SEEDS_DIR = os.path.join(FIX, "seeds")
NEWS_DIR = os.path.join(FIX, "news")
TINY_DIR = os.path.join(FIX, "tiny")
BAD_DIR = os.path.join(FIX, "bad")


def rng_for(name: str) -> random.Random:
    """One independent, reproducible RNG per generated document."""
    return random.Random(f"{MASTER_SEED}/{name}")


# ---------------------------------------------------------------------------
# Seeds: which lines of each original are site chrome (not article body).
# Each matcher is a line prefix and must match exactly one line.
# ---------------------------------------------------------------------------

SEED_CHROME = {
    "000": [
        "Site icon California18",
        "The watson app for your smartphone",
        "Do you like reading watson?",
        "Exit mobile version",
    ],
    "001": [
        "Watch our news videos in the playlist below:",
        "Unlimited free access to Showbytes?",
        "Log in or create an account and never miss a thing",
        "\u201cInfuriatingly humble social media buff.",
    ],
    "002": [],
    "003": [
        "Video: Pentagon releases video",
        "Ukraine updates: Poland sends fighter jets",
        "Source :",
        "Leave a Reply",
        "Your email address will not be published.",
    ],
    "004": [
        "DISCLAIMER:- Denial of responsibility!",
        "Read original article here",
        "Leave a Comment",
    ],
}

# Made-up domains (".example" is reserved, RFC 2606) for the seed sites.
SEED_SOURCE = {
    "000": "california18.example",
    "001": "showbytes-news.example",
    "002": "europe-daily-wire.example",
    "003": "world-today-report.example",
    "004": "denial-aggregator.example",
}

# Publication time of each original (UTC).
SEED_PUBLISHED = {
    "000": "2023-03-20T06:40:00Z",
    "001": "2023-03-19T21:15:00Z",
    "002": "2023-03-20T15:05:00Z",
    "003": "2023-03-18T04:30:00Z",
    "004": "2023-03-20T09:55:00Z",
}


class Seed:
    def __init__(self, filename: str, text: str):
        self.filename = filename
        self.key = filename[:3]
        self.id = filename  # the original keeps its file name as id
        self.stem = filename[: -len(".txt")]
        self.text = text
        self.lines = text.split("\n")
        matchers = SEED_CHROME[self.key]
        self.chrome_idx = set()
        for m in matchers:
            hits = [i for i, ln in enumerate(self.lines) if ln.startswith(m)]
            if len(hits) != 1:
                raise SystemExit(f"{filename}: chrome matcher {m!r} matched {len(hits)} lines")
            self.chrome_idx.add(hits[0])
        # Body lines in order (non-blank, not chrome).
        self.body_idx = [
            i for i, ln in enumerate(self.lines) if ln.strip() and i not in self.chrome_idx
        ]

    def body_paragraphs(self) -> list[str]:
        return [self.lines[i] for i in self.body_idx]


# ---------------------------------------------------------------------------
# Other sites' chrome (header, footer) used for syndicated copies.
# ---------------------------------------------------------------------------

CHROMES = [
    {
        "name": "dailymeridian",
        "source": "dailymeridian.example",
        "header": "The Daily Meridian\n"
        "Home | World | Politics | Business | Technology | Opinion | Video\n"
        "WORLD",
        "footer": "Share this:\n"
        "Facebook\nTwitter\nWhatsApp\nEmail\n"
        "Related posts\n"
        "Oil prices slip as traders weigh the demand outlook\n"
        "EU ministers agree on new rules for grain imports\n"
        "\u00a9 2023 The Daily Meridian. All rights reserved.",
    },
    {
        "name": "northgatepost",
        "source": "northgatepost.example",
        "header": "Northgate Post \u2014 Independent news since 1998\n"
        "Menu | Search | Subscribe",
        "footer": "We use cookies to give you the best experience on our website. "
        "By continuing to browse, you agree to our use of cookies. "
        "Learn more in our Cookie Policy.\n"
        "Accept\n"
        "Leave a Reply\n"
        "Your email address will not be published. Required fields are marked *\n"
        "Comment *\nName *\nEmail *\nPost Comment",
    },
    {
        "name": "pacificledger",
        "source": "pacificledger.example",
        "header": "Pacific Ledger | Breaking News, World, Markets\n"
        "You are here: Home \u00bb World \u00bb Asia",
        "footer": "Sign up for the Morning Briefing newsletter and get the day\u2019s top "
        "stories delivered to your inbox every weekday at 6 a.m.\n"
        "Enter your email address\nSubscribe\n"
        "Previous article\nNext article\n"
        "Copyright \u00a9 2023 Pacific Ledger Media Group. Terms of Use | Privacy Policy",
    },
    {
        "name": "globalbrief24",
        "source": "globalbrief24.example",
        "header": "GLOBAL BRIEF 24\nLatest News\nBy Editorial Desk | Reading time: 4 min",
        "footer": "Download the Global Brief 24 app for iPhone and Android and never miss "
        "a story. Turn on notifications to get breaking news alerts as they happen.\n"
        "Follow us on Facebook, X and Telegram.\n"
        "About Us | Contact | Advertise | Privacy | Terms\n"
        "\u00a9 2023 Global Brief 24",
    },
    {
        "name": "harborcityherald",
        "source": "harborcityherald.example",
        "header": "Harbor City Herald\n"
        "Today\u2019s Paper | Sections | Podcasts | Newsletters\n"
        "International",
        "footer": "This article was syndicated from a wire service and has not been "
        "edited by Harbor City Herald staff.\n"
        "More from International\n"
        "EU leaders meet in Brussels to discuss energy prices\n"
        "Report an error | Editorial standards\n"
        "Harbor City Herald \u00a9 2023. All rights reserved.",
    },
]

MIRROR_SOURCE = {
    "dropped": "newsfeed-mirror.example",
    "typos": "quickscan-news.example",
    "quotes": "plaintext-wire.example",
    "trunc60": "briefly-news.example",
}

# Hours after the original at which each kind of copy appears.
KIND_DELAY_HOURS = {
    "chrome": 2,
    "dropped": 5,
    "typos": 7,
    "quotes": 9,
    "combo": 13,
    "trunc60": 26,
}

# This copy is published BEFORE its original ("earliest published wins" must
# then pick the copy, or the CLI must prefer the original by another rule).
EARLY_COPY = ("002", "chrome")
EARLY_COPY_HOURS = -3


def wrap(chrome: dict, body: str) -> str:
    return chrome["header"] + "\n\n" + body + "\n\n" + chrome["footer"] + "\n"


# ---------------------------------------------------------------------------
# Text transforms
# ---------------------------------------------------------------------------

QUOTE_MAP = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
}


def fold_quotes(text: str) -> str:
    return "".join(QUOTE_MAP.get(ch, ch) for ch in text)


def whitespace_noise(text: str, rng: random.Random) -> str:
    """Double spaces after some sentence ends, one doubled word gap per
    paragraph at most, trailing blanks on some lines, CRLF line endings."""
    out_lines = []
    for line in text.split("\n"):
        # double space after ~40% of sentence ends inside the line
        def sent_end(m: re.Match) -> str:
            return m.group(1) + ("  " if rng.random() < 0.4 else " ")

        line = re.sub(r"([.!?\"])  ?(?=\S)", sent_end, line)
        words = line.split(" ")
        if len(words) > 6 and rng.random() < 0.3:
            j = rng.randrange(1, len(words) - 1)
            words[j] = words[j] + " "
            line = " ".join(words)
        if line and rng.random() < 0.2:
            line += " "
        out_lines.append(line)
    return "\r\n".join(out_lines) + "\r\n"


LATIN_LOWER = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC_LOWER = "абвгдежзийклмнопрстуфхцчшщыьэюя"


def _is_candidate_word(w: str) -> bool:
    if len(w) < 5 or not w.isalpha():
        return False
    low = w.lower()
    return all(c in LATIN_LOWER for c in low) or all(c in CYRILLIC_LOWER + "ё" for c in low)


def _typo(word: str, rng: random.Random) -> str:
    """Swap two adjacent interior letters, delete one, or replace one."""
    alphabet = LATIN_LOWER if word[0].lower() in LATIN_LOWER else CYRILLIC_LOWER
    for _ in range(20):
        op = rng.choice(("swap", "delete", "replace"))
        i = rng.randrange(1, len(word) - 2)  # interior: keep first and last letters
        if op == "swap":
            new = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif op == "delete":
            new = word[:i] + word[i + 1 :]
        else:
            c = rng.choice([a for a in alphabet if a != word[i].lower()])
            if word[i].isupper():
                c = c.upper()
            new = word[:i] + c + word[i + 1 :]
        if new != word:
            return new
    raise AssertionError(f"could not make a typo in {word!r}")


def _sentence_spans(line: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in re.finditer(r"[.!?\u201d\"]+\s+", line):
        spans.append((start, m.start()))
        start = m.end()
    if start < len(line):
        spans.append((start, len(line)))
    return spans


def add_typos(lines: list[str], line_idx: list[int], n: int, rng: random.Random):
    """Put n typos into n different sentences of the given lines (in place).
    Returns a list of (original word, typo) for the report."""
    cands = []  # (line, sentence start, [(word start, word end), ...])
    for li in line_idx:
        line = lines[li]
        for s, e in _sentence_spans(line):
            words = [
                (m.start() + s, m.end() + s)
                for m in re.finditer(r"\w+", line[s:e])
                if _is_candidate_word(m.group())
            ]
            if words:
                cands.append((li, s, words))
    if len(cands) < n:
        raise AssertionError(f"only {len(cands)} sentences with candidate words, need {n}")
    chosen = sorted(rng.sample(range(len(cands)), n))
    edits = []
    for ci in chosen:
        li, _, words = cands[ci]
        ws, we = rng.choice(words)
        old = lines[li][ws:we]
        edits.append((li, ws, we, old, _typo(old, rng)))
    # apply right to left so earlier offsets stay valid
    for li, ws, we, _, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[li] = lines[li][:ws] + new + lines[li][we:]
    return [(old, new) for _, _, _, old, new in edits]


def drop_paragraph(seed: Seed, rng: random.Random) -> tuple[str, str]:
    """Remove one substantial middle body paragraph from the verbatim text."""
    n = len(seed.body_idx)
    middle = [
        i
        for k, i in enumerate(seed.body_idx)
        if n // 3 <= k < n - n // 3 and len(seed.lines[i].split()) >= 15
    ]
    victim = rng.choice(middle)
    lines = list(seed.lines)
    removed = lines[victim]
    del lines[victim]
    # also remove one adjacent blank separator line, if the seed uses them
    if victim < len(lines) and lines[victim] == "":
        del lines[victim]
    return "\n".join(lines), removed


def truncate_body(paras: list[str], rng: random.Random) -> tuple[str, float, str]:
    """Cut the body to 55-75% of its words at a paragraph boundary (preferred)
    or a sentence boundary; returns (text, kept fraction, boundary kind)."""
    total = sum(len(p.split()) for p in paras)
    target = rng.uniform(0.58, 0.72)
    lo, hi = 0.55, 0.75
    # paragraph cuts
    best = None
    acc = 0
    for k, p in enumerate(paras):
        acc += len(p.split())
        f = acc / total
        # only after a paragraph that ends a sentence (not after a subheading)
        if not re.search(r"[.!?\u201d\"]$", p):
            continue
        if lo <= f <= hi and (best is None or abs(f - target) < abs(best[1] - target)):
            best = ("\n\n".join(paras[: k + 1]), f, "paragraph")
    if best is not None:
        return best
    # sentence cuts
    acc = 0
    for k, p in enumerate(paras):
        spans = _sentence_spans(p)
        for s, e in spans:
            end = e
            # keep the sentence's closing punctuation
            m = re.match(r"[.!?\u201d\"]+", p[e:])
            if m:
                end = e + m.end()
            f = (acc + len(p[:end].split())) / total
            if lo <= f <= hi and (best is None or abs(f - target) < abs(best[1] - target)):
                best = ("\n\n".join(paras[:k] + [p[:end]]), f, "sentence")
        acc += len(p.split())
    if best is None:
        raise AssertionError("no cut point within 55-75%")
    return best


# ---------------------------------------------------------------------------
# Hand-written short items, non-Latin items, tiny and bad inputs
# ---------------------------------------------------------------------------

SHORT_ITEMS = [
    (
        "Storm to bring heavy snow to northern mountain passes",
        "Forecasters issued a winter storm warning for the northern mountains on Tuesday, "
        "predicting up to 45 centimetres of fresh snow above 1,500 metres by Thursday morning. "
        "The national weather service urged drivers to carry chains and to avoid the Kessel "
        "Pass, where the avalanche risk was rated high. Lower valleys can expect cold rain and "
        "gusts of up to 70 km/h.",
    ),
    (
        "Rivertown United go two points clear with win over Coastal Athletic",
        "Rivertown United beat Coastal Athletic 3-1 on Saturday to move two points clear at the "
        "top of the table. Coastal led early through a penalty, but striker Marco Delgado "
        "equalised before the break and added a second from a corner. Substitute Ian Pereira "
        "sealed the win in stoppage time. Coastal remain fifth.",
    ),
    (
        "Brightvale Foods lifts annual outlook after strong quarter",
        "Brightvale Foods reported an 8 percent rise in fourth-quarter revenue to 2.4 billion "
        "dollars, helped by higher prices for its frozen meals and steady demand for snacks. "
        "Net profit rose to 212 million dollars. The company raised its sales forecast for the "
        "coming year and said it would buy back shares worth 300 million dollars. Its shares "
        "rose 4 percent in early trading.",
    ),
    (
        "Appeals court upholds fine against ride-hailing firm",
        "A regional appeals court on Wednesday upheld a 1.2 million euro fine against "
        "ride-hailing company Zoomly for failing to register its drivers as employees. The "
        "judges rejected the firm's argument that drivers were independent contractors, citing "
        "the control the app exerts over fares and routes. Zoomly said it was studying the "
        "ruling and might take the case to the supreme court.",
    ),
    (
        "Rail workers announce 48-hour strike next week",
        "Rail workers will stage a 48-hour strike from next Tuesday after talks over pay and "
        "staffing broke down, their union said on Monday. The operator warned that only one in "
        "five regional trains would run and advised passengers to postpone journeys. The union "
        "is seeking a 9 percent pay rise; management has offered 4.5 percent over two years.",
    ),
    (
        "Researchers tag rare leatherback turtles off the southern coast",
        "Marine biologists have fitted satellite tags to six leatherback turtles off the "
        "southern coast in an effort to learn where the endangered animals feed in winter. The "
        "project, run by the Coastal Ocean Institute, will track the turtles for up to a year. "
        "Early data show one female has already travelled more than 800 kilometres.",
    ),
]

# Short chromes for the syndicated copies of two short items (index -> chrome).
SHORT_COPIES = {
    2: {
        "source": "sportsline-daily.example",
        "header": "SPORTSLINE DAILY | Football",
        "footer": "More football news at Sportsline Daily.\n\u00a9 2023 Sportsline Daily",
    },
    5: {
        "source": "metro-wire.example",
        "header": "Metro Wire \u2014 Transport",
        "footer": "Share: Facebook | X | Email\nMetro Wire \u00a9 2023",
    },
}
SHORT_SOURCE = "denial-aggregator.example"

ZH_01 = (
    "青湖市植物园第十二届郁金香花展开幕\n\n"
    "3月18日，青湖市植物园第十二届郁金香花展正式开幕。本届花展共展出郁金香品种一百二十余个，"
    "种植面积约三万平方米。园方介绍，受今年气温偏高影响，花期比往年"
    "提前约一周，预计最佳观赏期将持续到4月上旬。为缓解客流压力，植物园实行网上预约入园，周末"
    "每天限流两万人次，并在南门和东门增设临时停车场。\n"
)

ZH_01_CHROME = {
    "source": "qinghu-news.example",
    "header": "青湖新闻网 > 本地 > 社会\n来源：青湖日报　　字号：大 中 小",
    "footer": "责任编辑：李明\n分享到：微信 微博 QQ空间\n相关新闻\n"
    "青湖市今年将新增口袋公园三十个\n春季踏青出行交通指南发布\n"
    "版权所有 © 2023 青湖新闻网 未经授权禁止转载",
}

ZH_02 = (
    "郁金香进入盛花期 市民踏青赏花热情高\n\n"
    "连日来，青湖市气温回升，各大公园的郁金香陆续进入盛花期。记者周末在湖滨公园看到，红、黄、"
    "紫等各色郁金香竞相开放，不少市民带着孩子前来拍照留念。一位带着相机的退休教师说，他几乎每年"
    "都来，今年的花开得格外整齐。公园管理处提醒游客文明赏花，不要踩踏花坛，并建议错峰出行，尽量"
    "乘坐公共交通前往。\n"
)

RU_01 = (
    "В Северогорске открылся сезон речной навигации\n\n"
    "В субботу в Северогорске официально открылся сезон речной навигации. Первые прогулочные "
    "теплоходы вышли от Центрального причала в десять часов утра, сообщили в городской "
    "администрации. В этом году по реке будут курсировать четырнадцать судов, в том числе два "
    "новых электрических катера, которые почти бесшумно проходят под мостами исторического "
    "центра. Стоимость билета на часовую прогулку осталась прежней \u2014 600 рублей, а для "
    "школьников и пенсионеров действует скидка 50 процентов. Расписание рейсов можно найти на "
    "сайте перевозчика и в мобильном приложении. Навигация продлится до конца октября, если "
    "позволит погода.\n"
)

TINY = {
    "empty.txt": b"",
    "one_word.txt": b"Breaking\n",
    "three_words.txt": b"Markets close higher\n",
    "four_words.txt": b"Rain expected on Tuesday\n",
    "five_words.txt": b"Parliament approves the new budget\n",
    "whitespace_only.txt": b" \n\t\n  \r\n",
}

BAD = {
    "malformed.jsonl": (
        b'{"id": "a", "text": "The first line is a valid document with enough words."}\n'
        b'{"id": "b", "text": "The second line is also a valid document with enough words."}\n'
        b'{"id": "c", "text": "The third line is cut off and never closes its brace"\n'
        b'{"id": "d", "text": "The fourth line is valid again, so the error must name line 3."}\n'
    ),
    "missing_text.jsonl": (
        b'{"id": "a", "text": "The first line is a valid document with enough words."}\n'
        b'{"id": "b", "body": "The second line has no text field, only a body field."}\n'
        b'{"id": "c", "text": "The third line is a valid document with enough words."}\n'
    ),
    "nonstring_id.jsonl": (
        b'{"id": 1, "text": "The first line has an integer id instead of a string id."}\n'
        b'{"id": "b", "text": "The second line is a valid document with enough words."}\n'
    ),
    "duplicate_ids.jsonl": (
        b'{"id": "a", "text": "The first line is a valid document with enough words."}\n'
        b'{"id": "b", "text": "The second line is a valid document with enough words."}\n'
        b'{"id": "c", "text": "The third line is a valid document with enough words."}\n'
        b'{"id": "b", "text": "The fourth line repeats the id of the second line."}\n'
    ),
    "bad_utf8.txt": (
        b"This file starts with perfectly valid UTF-8 text.\n"
        b"In the middle of this line the bytes \xff\xfe appear, which is not UTF-8.\n"
        b"The last line is valid again.\n"
    ),
    "bad_utf8.jsonl": (
        b'{"id": "a", "text": "The first line is a valid document with enough words."}\n'
        b'{"id": "b", "text": "The second line has a Latin-1 caf\xe9 and a stray \xff byte."}\n'
        b'{"id": "c", "text": "The third line is a valid document with enough words."}\n'
    ),
}


# ---------------------------------------------------------------------------
# Similarity (for the difficulty table only)
# ---------------------------------------------------------------------------


def tokens_ascii(text: str) -> list[str]:
    """Lower-case runs of ASCII letters/digits (the brief's simple tokenizer)."""
    return [t.lower() for t in re.findall(r"[A-Za-z0-9]+", text)]


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF


def tokens_unicode(text: str) -> list[str]:
    """NFKC + casefold, runs of Unicode letters/digits, each CJK ideograph its
    own token (roughly what the C++ normalizer is meant to do)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    out = []
    for m in re.finditer(r"[^\W_]+", text):
        run = []
        for ch in m.group():
            if _is_cjk(ch):
                if run:
                    out.append("".join(run))
                    run = []
                out.append(ch)
            else:
                run.append(ch)
        if run:
            out.append("".join(run))
    return out


def shingles(toks: list[str], k: int = SHINGLE_K) -> set:
    return {tuple(toks[i : i + k]) for i in range(len(toks) - k + 1)}


def jaccard(a: set, b: set):
    # n/a when the tokenizer finds no shingle on one side (e.g. Chinese text
    # under the ASCII tokenizer): 0.0 would suggest a measured difference.
    if not a or not b:
        return None
    return len(a & b) / len(a | b)


def containment(a: set, b: set):
    """|A ∩ B| / |B|: how much of B (the copy) is found in A (the original)."""
    if not a or not b:
        return None
    return len(a & b) / len(b)


def fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------


def ts(base: str, hours: float, minutes: int = 0) -> str:
    t = _dt.datetime.strptime(base, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    t += _dt.timedelta(hours=hours, minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_news():
    """Returns (docs, notes): docs is a list of dicts id/text/source/published/
    source_id/kind; notes are human-readable remarks about each variant."""
    docs, notes = [], {}
    seed_files = sorted(f for f in os.listdir(SEEDS_DIR) if f.endswith(".txt"))
    if len(seed_files) != 5:
        raise SystemExit(f"expected 5 seed .txt files in {SEEDS_DIR}, found {len(seed_files)}")
    seeds = []
    for f in seed_files:
        with open(os.path.join(SEEDS_DIR, f), "rb") as fh:
            seeds.append(Seed(f, fh.read().decode("utf-8")))

    def add(id_, text, source, published, source_id, kind):
        docs.append(
            dict(id=id_, text=text, source=source, published=published,
                 source_id=source_id, kind=kind)
        )

    for n, seed in enumerate(seeds):
        k = seed.key
        base = SEED_PUBLISHED[k]
        add(seed.id, seed.text, SEED_SOURCE[k], base, seed.id, "original")

        def pub(kind):
            r = rng_for(f"{seed.stem}__{kind}/time")
            if (k, kind) == EARLY_COPY:
                return ts(base, EARLY_COPY_HOURS, r.randrange(0, 50))
            return ts(base, KIND_DELAY_HOURS[kind], r.randrange(0, 50))

        body = seed.body_paragraphs()

        # chrome: body re-wrapped in another site's chrome
        ch = CHROMES[n % len(CHROMES)]
        name = f"{seed.stem}__chrome.txt"
        add(name, wrap(ch, "\n\n".join(body)), ch["source"], pub("chrome"), seed.id, "chrome")
        notes[name] = f"body in {ch['name']} chrome"

        # dropped: one middle paragraph removed from the verbatim text
        name = f"{seed.stem}__dropped.txt"
        text, removed = drop_paragraph(seed, rng_for(name))
        add(name, text, MIRROR_SOURCE["dropped"], pub("dropped"), seed.id, "dropped")
        notes[name] = f"dropped a {len(removed.split())}-word paragraph"

        # typos: 4-8 in-word typos in different sentences of the verbatim text
        name = f"{seed.stem}__typos.txt"
        r = rng_for(name)
        lines = list(seed.lines)
        made = add_typos(lines, seed.body_idx, r.randint(4, 8), r)
        add(name, "\n".join(lines), MIRROR_SOURCE["typos"], pub("typos"), seed.id, "typos")
        notes[name] = f"{len(made)} typos: " + ", ".join(f"{a}->{b}" for a, b in made)

        # quotes: typographic quotes/dashes folded, whitespace noise, CRLF
        name = f"{seed.stem}__quotes.txt"
        text = whitespace_noise(fold_quotes(seed.text), rng_for(name))
        add(name, text, MIRROR_SOURCE["quotes"], pub("quotes"), seed.id, "quotes")
        notes[name] = "ASCII quotes/dashes, double spaces, CRLF"

        # combo: another chrome + 1-2 typos + quote folding
        name = f"{seed.stem}__combo.txt"
        r = rng_for(name)
        ch = CHROMES[(n + 2) % len(CHROMES)]
        paras = list(body)
        made = add_typos(paras, list(range(len(paras))), r.randint(1, 2), r)
        add(name, fold_quotes(wrap(ch, "\n\n".join(paras))), ch["source"], pub("combo"),
            seed.id, "combo")
        notes[name] = (f"{ch['name']} chrome + ASCII quotes + {len(made)} typo(s): "
                       + ", ".join(f"{a}->{b}" for a, b in made))

        # trunc60: body cut to 55-75% of its words
        name = f"{seed.stem}__trunc60.txt"
        text, frac, cut = truncate_body(body, rng_for(name))
        add(name, text + "\n", MIRROR_SOURCE["trunc60"], pub("trunc60"), seed.id, "trunc60")
        notes[name] = f"first {frac:.0%} of body words, cut at a {cut} end"

    # Short items sharing the 004 aggregator footer.
    agg = next(s for s in seeds if s.key == "004")
    footer = "\n\n".join(agg.lines[i] for i in sorted(agg.chrome_idx))
    for i, (title, body) in enumerate(SHORT_ITEMS, start=1):
        nwords = len((title + " " + body).split())
        if not 40 <= nwords <= 90:
            raise AssertionError(f"short item {i} has {nwords} words")
        sid = f"short_{i:02d}.txt"
        base = ts("2023-03-21T07:00:00Z", 3 * i, rng_for(sid).randrange(0, 50))
        add(sid, f"{title}\n\n{body}\n\n{footer}", SHORT_SOURCE, base, sid, "original")
        notes[sid] = f"{nwords} words + aggregator footer ({len(footer.split())} words)"
        if i in SHORT_COPIES:
            c = SHORT_COPIES[i]
            cid = f"short_{i:02d}__chrome.txt"
            add(cid, f"{c['header']}\n\n{title}\n\n{body}\n\n{c['footer']}\n", c["source"],
                ts(base, 1, 15), sid, "chrome")
            notes[cid] = "same item, different short chrome"

    # Non-Latin scripts.
    add("zh_01.txt", ZH_01, "qinghu-daily.example", "2023-03-18T02:10:00Z", "zh_01.txt", "original")
    add("zh_01__chrome.txt", wrap(ZH_01_CHROME, ZH_01.rstrip("\n")), ZH_01_CHROME["source"],
        "2023-03-18T04:45:00Z", "zh_01.txt", "chrome")
    notes["zh_01__chrome.txt"] = "Chinese portal chrome"
    add("zh_02.txt", ZH_02, "lakeside-evening.example", "2023-03-19T11:20:00Z", "zh_02.txt",
        "original")
    notes["zh_02.txt"] = "different article, same topic as zh_01"
    add("ru_01.txt", RU_01, "severogorsk-news.example", "2023-04-15T08:30:00Z", "ru_01.txt",
        "original")
    r = rng_for("ru_01__typos.txt")
    lines = RU_01.split("\n")
    made = add_typos(lines, [2], 4, r)
    add("ru_01__typos.txt", "\n".join(lines), "river-digest.example", "2023-04-15T12:05:00Z",
        "ru_01.txt", "typos")
    notes["ru_01__typos.txt"] = "4 typos: " + ", ".join(f"{a}->{b}" for a, b in made)

    docs.sort(key=lambda d: d["id"])
    ids = [d["id"] for d in docs]
    if len(set(ids)) != len(ids):
        raise AssertionError("duplicate ids")
    return docs, notes


def write_bytes(path: str, data: bytes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def similarity_tables(docs, notes):
    by_id = {d["id"]: d for d in docs}
    sh_a = {d["id"]: shingles(tokens_ascii(d["text"])) for d in docs}
    sh_u = {d["id"]: shingles(tokens_unicode(d["text"])) for d in docs}

    rows = []
    for d in docs:
        if d["kind"] == "original":
            continue
        o = d["source_id"]
        rows.append((
            d["id"], d["kind"], len(tokens_ascii(d["text"])),
            fmt(jaccard(sh_a[o], sh_a[d["id"]])), fmt(containment(sh_a[o], sh_a[d["id"]])),
            fmt(jaccard(sh_u[o], sh_u[d["id"]])), fmt(containment(sh_u[o], sh_u[d["id"]])),
            notes.get(d["id"], ""),
        ))
    var_header = ("id", "kind", "tokens", "J ascii", "C ascii", "J unicode", "C unicode", "what")

    # Highest-similarity pairs between documents that must stay apart: the
    # short items (shared aggregator footer) and everything else, separately.
    def is_short(i):
        return i.startswith("short_")

    neg_short, neg_mixed, neg_other = [], [], []
    for a, b in itertools.combinations(sorted(by_id), 2):
        if by_id[a]["source_id"] == by_id[b]["source_id"]:
            continue
        ja, ju = jaccard(sh_a[a], sh_a[b]), jaccard(sh_u[a], sh_u[b])
        row = (-(ju or 0.0), -(ja or 0.0), a, b, ja, ju)
        n_short = is_short(a) + is_short(b)
        (neg_other, neg_mixed, neg_short)[n_short].append(row)
    for lst in (neg_short, neg_mixed, neg_other):
        lst.sort()
    zh = [r for r in neg_other if (r[2], r[3]) == ("zh_01.txt", "zh_02.txt")]
    picked = neg_short[:5] + neg_mixed[:3] + neg_other[:6]
    picked += [r for r in zh if r not in picked]
    neg_rows = [(a, b, fmt(ja), fmt(ju)) for _, _, a, b, ja, ju in picked]
    neg_header = ("doc A", "doc B", "J ascii", "J unicode")

    min_true = min(float(r[5]) for r in rows if r[5] != "n/a")
    max_false = max(-lst[0][0] for lst in (neg_short, neg_mixed, neg_other))
    return (var_header, rows), (neg_header, neg_rows), min_true, max_false


def md_table(header, rows) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out)


def text_table(header, rows) -> str:
    cols = list(zip(header, *rows))
    w = [max(len(str(c)) for c in col) for col in cols]
    lines = ["  ".join(str(c).ljust(w[i]) for i, c in enumerate(header)).rstrip()]
    for r in rows:
        lines.append("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)).rstrip())
    return "\n".join(lines)


README_TEMPLATE = """\
# dedup fixtures

Data only. **Everything here except `seeds/` and `index/` is generated** by
`tools/make_fixtures.py` (Python 3 standard library, deterministic: re-running
it gives byte-identical files). Edit the script, not the generated files, then
regenerate from the repository root:

    python3 tools/make_fixtures.py

## Seeds (`seeds/`)

Five real news articles about one event (Chinese President Xi Jinping's state
visit to Moscow, March 2023), as an aggregator scraped them in March 2023;
provided in `../shared/seeds` and copied into `fixtures/seeds/` unchanged.
Several are machine translations and several still carry their site's chrome
("Site icon California18", "Exit mobile version", "Leave a Reply ...
Required fields are marked *", the aggregator's "DISCLAIMER:- Denial of
responsibility! ..." footer, app promotions). They are five *different*
articles (word {k}-shingle Jaccard {seed_j_lo}-{seed_j_hi} pairwise): the hard
negatives of this suite.

## `news/`, `news.jsonl`, `news_truth.tsv`

`news/` holds {n_docs} documents, one per `.txt` file (the CLI reads a folder
as one document per regular file, id = path relative to the folder).
`news.jsonl` holds the same documents in the same order (sorted by id, byte
order), one JSON object per line: `id` (= the file name), `text` (exactly the
file's bytes, decoded as UTF-8), `source` (a made-up `.example` domain) and
`published` (RFC 3339, UTC). `news_truth.tsv` has a header
`id<TAB>source_id<TAB>kind` and one line per document: `source_id` is the id
of the original the document derives from (an original's is its own id).

| file | kind | what it is |
|---|---|---|
| `NNN_<hash>.txt` | original | a seed, copied byte for byte (no trailing newline, as scraped) |
| `NNN_<hash>__chrome.txt` | chrome | the seed's body (its own chrome lines stripped) inside another site's header and footer (5 made-up sites: Daily Meridian, Northgate Post, Pacific Ledger, Global Brief 24, Harbor City Herald) |
| `NNN_<hash>__dropped.txt` | dropped | the seed verbatim with one substantial middle paragraph removed |
| `NNN_<hash>__typos.txt` | typos | the seed verbatim with 4-8 in-word typos (swap / delete / replace one interior letter), each in a different sentence |
| `NNN_<hash>__quotes.txt` | quotes | the seed with ’ ‘ “ ” folded to ASCII ' and ", en/em dashes to `-`, double spaces after some sentences, stray spaces, CRLF line endings |
| `NNN_<hash>__combo.txt` | combo | body in a different other-site chrome + 1-2 typos + ASCII quotes/dashes |
| `NNN_<hash>__trunc60.txt` | trunc60 | the body (chrome stripped) cut at the end of a paragraph (else of a sentence) to 55-75% of its words, for containment |
| `short_NN.txt` | original | six different 40-90-word wire items (weather, football, earnings, court ruling, rail strike, turtles), each followed by the *same* ~100-word aggregator footer copied from seed 004 |
| `short_02__chrome.txt`, `short_05__chrome.txt` | chrome | the same item under a different short header/footer: real copies |
| `zh_01.txt`, `zh_01__chrome.txt` | original, chrome | a Chinese news paragraph (tulip show) and a copy in a Chinese portal's chrome |
| `zh_02.txt` | original | a different Chinese article on the same topic: hard negative for zh_01 |
| `ru_01.txt`, `ru_01__typos.txt` | original, typos | a Russian news paragraph (river navigation season) and a copy with 4 Cyrillic typos |

The seed chrome that is stripped for `chrome`, `combo` and `trunc60` is
listed in `SEED_CHROME` in the script (e.g. seed 000 loses "Site icon
California18", the watson app promotion and "Exit mobile version").

### Expected grouping

- Every variant groups with its original (`source_id` in `news_truth.tsv`).
  {n_groups} groups in total.
- The five seed originals, the six `short_NN` items and `zh_01`/`zh_02`,
  `ru_01` are all mutually distinct.
- The `short_NN` items share a long footer (~100 words, more than their own
  text): a detector that does not discount boilerplate will merge them.
  Conversely `short_02__chrome` / `short_05__chrome` share their *body* with
  `short_02` / `short_05` but not the footer.
- Publication times: every copy is later than its original except
  **`{early_id}`**, published {early_h} hours *before* its original
  `{early_src}`, to exercise "earliest published wins" for the canonical
  member.

### Similarity of each copy to its original

Computed by `tools/make_fixtures.py` over word {k}-shingle sets (the default of
`dedup cluster` and `dedup compare`; `dedup index` defaults to word:5).
`J` = Jaccard |A∩B|/|A∪B|, `C` = containment |A∩B|/|B| (A = original,
B = copy). *ascii* = the simple tokenizer: lower-case runs of ASCII letters
and digits (`[a-z0-9]+`), so Chinese and Russian text yields no tokens
(`n/a` whenever one side has no shingle); *unicode* = NFKC + casefold, runs of Unicode letters/digits, each
CJK ideograph one token. No boilerplate removal in either.

{var_table}

Most similar pairs that must stay **apart** (different `source_id`), by
unicode J: the top 5 among the `short_NN` items, the top 3 between a
`short_NN` item and another document, the top 6 among all other documents,
and zh_01/zh_02.

{neg_table}

Least similar true pair (unicode J): {min_true}; most similar pair that must
stay apart (unicode J): {max_false}. {overlap_note}

## `tiny/`

Edge cases for the CLI (all valid UTF-8):

| file | content |
|---|---|
| `empty.txt` | 0 bytes |
| `whitespace_only.txt` | spaces, tabs, LF and CRLF only: no tokens |
| `one_word.txt` | one word |
| `three_words.txt` | three words: exactly one word 3-shingle (fewer than 5: under word:5 the whole text is one shingle) |
| `four_words.txt` | four words (one short of 5) |
| `five_words.txt` | exactly five words: exactly one word 5-shingle |

## `bad/`

Deliberately bad inputs; the CLI must exit non-zero with a one-line message
naming the file, line and field.

| file | defect |
|---|---|
| `malformed.jsonl` | line 3 is not valid JSON (unterminated object); lines 1, 2 and 4 are valid |
| `missing_text.jsonl` | line 2 has no `text` field (it has `body` instead) |
| `nonstring_id.jsonl` | line 1 has an integer `id` (`1`) |
| `duplicate_ids.jsonl` | line 4 repeats the id `"b"` of line 2 |
| `bad_utf8.txt` | bytes `FF FE` in the middle of line 2 |
| `bad_utf8.jsonl` | line 2's `text` string holds raw bytes `E9` (Latin-1 e-acute) and `FF`; lines 1 and 3 are valid |

## `index/`

Index files written once by the `dedup` of each format version, which every later
version must open (not generated here); see `index/README.md` for how each was made.

## `stories/`

The labelled story suite (the seeds, Reuters `crude`/`acq` items, generated events with
same-kind hard negatives) for `dedup cluster --stories`; not generated here: see
`stories/README.md` for its parts, how each was made and why each label is what it is.
"""


def main() -> int:
    docs, notes = build_news()

    # news/ (wiped: the script owns it), news.jsonl, news_truth.tsv
    if os.path.isdir(NEWS_DIR):
        shutil.rmtree(NEWS_DIR)
    os.makedirs(NEWS_DIR)
    jsonl, truth = [], ["id\tsource_id\tkind"]
    for d in docs:
        write_bytes(os.path.join(NEWS_DIR, d["id"]), d["text"].encode("utf-8"))
        rec = {"id": d["id"], "text": d["text"], "source": d["source"],
               "published": d["published"]}
        jsonl.append(json.dumps(rec, ensure_ascii=False))
        truth.append(f"{d['id']}\t{d['source_id']}\t{d['kind']}")
    write_bytes(os.path.join(FIX, "news.jsonl"), ("\n".join(jsonl) + "\n").encode("utf-8"))
    write_bytes(os.path.join(FIX, "news_truth.tsv"), ("\n".join(truth) + "\n").encode("utf-8"))

    # Sanity checks on what was written.
    for d in docs:
        with open(os.path.join(NEWS_DIR, d["id"]), "rb") as fh:
            assert fh.read().decode("utf-8") == d["text"]
    by_id = {d["id"]: d for d in docs}
    early = [d for d in docs if d["kind"] != "original"
             and d["published"] < by_id[d["source_id"]]["published"]]
    assert len(early) == 1, [d["id"] for d in early]

    for sub, files in ((TINY_DIR, TINY), (BAD_DIR, BAD)):
        for name in sorted(files):
            write_bytes(os.path.join(sub, name), files[name])

    (vh, vrows), (nh, nrows), min_true, max_false = similarity_tables(docs, notes)
    early_doc = early[0]
    hours = (
        _dt.datetime.strptime(by_id[early_doc["source_id"]]["published"], "%Y-%m-%dT%H:%M:%SZ")
        - _dt.datetime.strptime(early_doc["published"], "%Y-%m-%dT%H:%M:%SZ")
    ).total_seconds() / 3600
    seed_ids = sorted(d["id"] for d in docs if d["kind"] == "original" and d["id"][:3].isdigit())
    seed_js = [jaccard(shingles(tokens_unicode(by_id[a]["text"])), shingles(tokens_unicode(by_id[b]["text"])))
               for a, b in itertools.combinations(seed_ids, 2)]
    readme = README_TEMPLATE.format(
        k=SHINGLE_K,
        seed_j_lo=f"{min(seed_js):.3f}",
        seed_j_hi=f"{max(seed_js):.3f}",
        n_docs=len(docs),
        n_groups=len({d["source_id"] for d in docs}),
        early_id=early_doc["id"],
        early_src=early_doc["source_id"],
        early_h=f"{hours:.1f}",
        var_table=md_table(vh, vrows),
        neg_table=md_table(nh, nrows),
        min_true=f"{min_true:.3f}",
        max_false=f"{max_false:.3f}",
        overlap_note=(
            "The two ranges overlap: no plain Jaccard threshold on raw text separates "
            "this suite; boilerplate must be discounted (and containment used for "
            "`trunc60`)."
            if min_true <= max_false
            else "A plain Jaccard threshold between the two separates this suite."
        ),
    )
    write_bytes(os.path.join(FIX, "README.md"), readme.encode("utf-8"))

    print(f"wrote {len(docs)} documents to {os.path.relpath(NEWS_DIR, ROOT)}/, "
          f"news.jsonl, news_truth.tsv; {len(TINY)} tiny, {len(BAD)} bad files; README.md")
    print()
    print(f"Copy vs original, word {SHINGLE_K}-shingles (A = original, B = copy; C = |A&B|/|B|):")
    print(text_table(vh, vrows))
    print()
    print("Most similar pairs that must stay apart:")
    print(text_table(nh, nrows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
