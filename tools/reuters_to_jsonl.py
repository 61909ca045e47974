#!/usr/bin/env python3
"""Converts Reuters-21578 items as Debian's r-cran-tm ships them (texts/crude/*.xml,
texts/acq/*.xml) to JSONL for the story suite (fixtures/stories/reuters.jsonl).

Run once by hand (r-cran-tm is not a build dependency; its .deb can be unpacked with
`apt-get download r-cran-tm && dpkg-deb -x r-cran-tm_*.deb x`):

    /usr/bin/python3 tools/reuters_to_jsonl.py x/usr/lib/R/site-library/tm/texts \
        > fixtures/stories/reuters.jsonl

Each line: id ("reuters-<NEWID>"), title, text (the title, a blank line, then the body
with its hard line breaks joined into one line per paragraph and the closing "Reuter"
sign-off removed), published (the item's DATE as RFC 3339 UTC), source ("reuters"),
collection ("crude" or "acq"). Sorted by collection then NEWID. Deterministic.
"""
import datetime
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def reflow(body):
    body = re.sub(r"\s*Reuter\s*$", "", body.strip())
    paragraphs = re.split(r"\n\s{2,}", body)
    return "\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def main():
    root = Path(sys.argv[1])
    for collection in ("crude", "acq"):
        items = []
        for path in sorted((root / collection).glob("*.xml")):
            doc = ET.parse(path).getroot()
            newid = int(doc.get("NEWID"))
            date = datetime.datetime.strptime(doc.findtext("DATE").strip().split(".")[0], "%d-%b-%Y %H:%M:%S")
            text = doc.find("TEXT")
            title = (text.findtext("TITLE") or "").strip()
            body = reflow(text.findtext("BODY") or "")
            items.append((newid, {
                "id": f"reuters-{newid}",
                "title": title,
                "text": f"{title}\n\n{body}" if title else body,
                "published": date.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "source": "reuters",
                "collection": collection,
            }))
        for _, item in sorted(items, key=lambda x: x[0]):
            print(json.dumps(item, ensure_ascii=False))


if __name__ == "__main__":
    main()
