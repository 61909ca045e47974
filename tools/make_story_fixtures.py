#!/usr/bin/env python3
"""Writes the labelled story suite (fixtures/stories/, described in its README.md).

Usage (from the repository root; Python 3 standard library only):

    /usr/bin/python3 tools/make_story_fixtures.py

Reads   fixtures/news.jsonl, fixtures/news_truth.tsv   (the seed articles and their copies)
        fixtures/stories/reuters.jsonl                 (tools/reuters_to_jsonl.py, committed)
Writes  fixtures/stories/generated.jsonl   generated events with hard negatives
        fixtures/stories/suite.jsonl       all three parts: id, text, source, published
        fixtures/stories/suite_truth.tsv   id, source_id, kind, story, story_kind

Truth columns: source_id is the original a document copies (its own id for an
original), kind "original" or the copy's kind, story the labelled event, story_kind the
kind of event (two different stories of one story_kind are the hard negatives: no
predicted story may hold both); empty when an event has no labelled kind.

Deterministic: every random choice comes from random.Random seeded with a fixed string;
re-running gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "stories"

# ---------------------------------------------------------------------------
# Part (c): generated events. Each kind has sentence templates with alternatives
# {a|b|c} and slots [slot]; each event fills the slots with its own names, places,
# numbers and dates; each coverage (a different outlet's article) picks its own
# alternatives and order, so coverages of one event are paraphrases, not copies, and
# events of one kind share their words but not their entities.

KINDS = {
    "earthquake": {
        "title": [
            "{Magnitude|Strong|Powerful} [mag] {earthquake|quake} {strikes|hits|jolts} [place]",
            "[place] {quake|earthquake}: {at least|more than} [dead] {dead|killed}",
            "{Deadly|Powerful} {quake|tremor} {shakes|rocks} [region] {region|province}",
        ],
        "body": [
            "A {magnitude |magnitude-}[mag] earthquake {struck|hit|shook} [place] in [country] on [day], {killing at least|leaving at least|with at least} [dead] people {dead|killed}{, officials said|, according to local authorities|}.",
            "The {quake|tremor|earthquake} {was centred|had its epicentre|struck} [depth] kilometres {below|beneath|under} the {surface|ground} near [place], {the national seismological service said|according to the geological survey|seismologists reported}.",
            "[official], {the governor of|who heads the regional government of|the top official in} [region], {said|told reporters|told local television} that rescue teams were {searching|digging through} {collapsed buildings|the rubble|damaged homes} {for survivors|overnight|through the night}.",
            "{Hospitals in|Emergency services in|Doctors in} [place] {treated|were caring for|reported} [injured] {injured people|people with injuries|wounded}{, many of them children|, several in critical condition|}.",
            "{Aftershocks|Several aftershocks|A series of aftershocks} {of up to|measuring up to|as strong as} [after] {rattled|shook|hit} [region] {in the hours that followed|later on [day]|overnight}.",
            "{The government of|Authorities in|Officials in} [country] {declared|announced} {three days of mourning|a state of emergency} in [region] {and sent troops to help|as aid began to arrive|on [day] evening}.",
        ],
        "slots": [
            dict(mag="7.1", place="Valparaiso", country="Chile", region="Valparaiso", day="Tuesday", dead="34",
                 depth="41", official="Rodrigo Mundaca", injured="210", after="5.6", date=(2024, 3, 5)),
            dict(mag="6.4", place="Malatya", country="Turkey", region="Malatya", day="Thursday", dead="12",
                 depth="9", official="Hulusi Sahin", injured="85", after="4.8", date=(2024, 3, 7)),
            dict(mag="5.9", place="Tabriz", country="Iran", region="East Azerbaijan", day="Wednesday", dead="7",
                 depth="15", official="Abedin Khorram", injured="46", after="4.2", date=(2024, 3, 6)),
        ],
    },
    "price-cut": {
        "title": [
            "[company] {cuts|slashes|lowers} [product] prices by [pct] percent",
            "[company] {announces|unveils} [pct]% price cut on [product]",
            "{Price war|Discount push}: [company] {trims|cuts} [product] prices",
        ],
        "body": [
            "[company] {said on [day] it would cut|announced on [day] a cut of|on [day] cut} the price of its [product] by [pct] percent{, effective immediately| from [start]|}.",
            "The {reduction|cut|move} {brings|takes|lowers} the {base|entry|list} price {of the [model]|of its [model]|for the [model]} to [price] {dollars|dollars from [old] dollars}, {the company said|[company] said in a statement|according to the company}.",
            "Chief executive [ceo] {said|told analysts|told investors on a call} the {cut|reduction|lower price} {reflected|was made possible by|followed} {lower component costs|cheaper materials|higher production volumes} at its [plant] {plant|factory|site}.",
            "{Analysts|Industry analysts|Market watchers} said the move {put pressure on|would squeeze|was aimed at} [rival], {whose [model2] competes directly with it|its main competitor|which has lost market share this year}.",
            "Shares of [company] {fell|slipped|dropped} [drop] percent {in early trading|on [day]|after the announcement}{, while [rival] shares were little changed|}.",
            "{The company|[company]} {last cut prices|previously reduced prices|had cut prices} in [last], {when it lowered|reducing|lowering} them by [lastpct] percent.",
        ],
        "slots": [
            dict(company="Voltara Motors", product="electric car", pct="8", day="Monday", start="March 11",
                 model="Voltara S3", price="36,990", old="40,200", ceo="Ingrid Halvorsen", plant="Gothenburg",
                 rival="Brenner Auto", model2="Brenner E5", drop="3.2", last="November", lastpct="5",
                 date=(2024, 3, 11)),
            dict(company="Kestrel Devices", product="smartphone", pct="12", day="Tuesday", start="March 12",
                 model="Kestrel Nova 9", price="699", old="799", ceo="Marcus Oyelaran", plant="Shenzhen",
                 rival="Orchid Mobile", model2="Orchid Pulse", drop="1.7", last="September", lastpct="7",
                 date=(2024, 3, 12)),
            dict(company="Hollund Dairy", product="butter", pct="10", day="Monday", start="April 1",
                 model="Hollund Gold", price="3.49", old="3.89", ceo="Pieter van Damme", plant="Leeuwarden",
                 rival="Alpenmilch", model2="Alpenmilch Classic", drop="2.1", last="January", lastpct="4",
                 date=(2024, 3, 11)),
        ],
    },
    "rehab": {
        "title": [
            "[celeb] {enters|checks into|heads to} rehab",
            "[celeb] {seeks|receives} treatment {at|in} [place] {facility|clinic}",
            "[role] [celeb] {pauses [project]|takes a break} to {enter|go to} rehab",
        ],
        "body": [
            "[role] [celeb] has {entered|checked into|been admitted to} a {treatment|rehabilitation} {facility|centre|clinic} in [place], {a representative said|[rep], a spokesperson, said|[rep] confirmed} on [day].",
            "The [age]-year-old {is seeking treatment for|is being treated for|has sought help with} [reason], {according to|said} [rep]{, who asked for privacy for the family|, who gave no further details|}.",
            "{Production of|Work on|The schedule of} [project] {has been paused|was suspended|will be delayed} {while [celeb] is away|during the treatment|for several weeks}, {the studio said|producers said|a statement from [studio] said}.",
            "[celeb] {rose to fame|became famous|first drew attention} {with|in|through} [famous] {in [year]|more than a decade ago|}.",
            "{Fans|Colleagues|Fellow stars} {posted messages of support|sent messages of support|offered support} {online|on social media} {after the news broke|on [day]|within hours}.",
        ],
        "slots": [
            dict(celeb="Dana Whitlock", role="Actress", place="Malibu", rep="Carla Pinheiro", day="Friday", age="34",
                 reason="alcohol addiction", project="the film Northern Lights", studio="Meridian Pictures",
                 famous="the series Harbor Nights", year="2011", date=(2024, 4, 12)),
            dict(celeb="Jonas Vey", role="Singer", place="Arizona", rep="Tom Brackett", day="Saturday", age="29",
                 reason="exhaustion and anxiety", project="his European tour", studio="Halcyon Records",
                 famous="the album Paper Suns", year="2016", date=(2024, 4, 13)),
            dict(celeb="Mira Castellanos", role="Actress", place="Utah", rep="Lena Ortiz", day="Thursday", age="41",
                 reason="an addiction to painkillers", project="the drama Glass Harbour", studio="Tallis Studios",
                 famous="the film Salt Road", year="2009", date=(2024, 4, 11)),
        ],
    },
    "takeover": {
        "title": [
            "[buyer] {bids|offers} [value] {billion|bln} for [target]",
            "[buyer] {makes|launches} {takeover|buyout} {bid|offer} for [target]",
            "[target] {receives|gets} [value] {billion|bln} {offer|bid} from [buyer]",
        ],
        "body": [
            "[buyer] {said on [day] it had offered|on [day] offered|announced on [day] an offer of} [price] {dollars|dollars in cash} a share for [target], {valuing|a deal that values|which values} the {company|[sector] group} at [value] billion dollars.",
            "The {offer|bid|proposal} is a premium of [premium] percent {over|to} [target]'s {closing price|share price} on [prevday]{, the last day before the approach was disclosed|, before reports of the talks|}.",
            "[target] {said its board would review|said its board was studying|confirmed it had received} the {offer|proposal|approach} and {advised shareholders to take no action|would respond in due course|had hired [bank] as adviser}.",
            "[buyer] chief executive [ceo] {said|told reporters} the {deal|combination|acquisition} would {create|form|build} {a leader in|the largest company in|a stronger player in} [sector]{ in [region]|}.",
            "{Shares of|Stock in} [target] {jumped|rose|surged} [jump] percent {on [day]|in [city] trading|after the announcement}.",
        ],
        "slots": [
            dict(buyer="Arlington Chemical", target="Veldt Polymers", day="Monday", price="54", value="8.2",
                 sector="specialty chemicals", premium="31", prevday="Friday", bank="Harrow Brothers",
                 ceo="Samuel Okafor", region="Europe", jump="27", city="Frankfurt", date=(2024, 5, 6)),
            dict(buyer="Castlegate Foods", target="Prairie Mills", day="Tuesday", price="38", value="4.6",
                 sector="packaged food", premium="24", prevday="Monday", bank="Linden Capital",
                 ceo="Helen Marsh", region="North America", jump="19", city="Toronto", date=(2024, 5, 7)),
            dict(buyer="Nordhavn Shipping", target="Basalt Logistics", day="Monday", price="17.5", value="2.9",
                 sector="container shipping", premium="42", prevday="Friday", bank="Ostberg Partners",
                 ceo="Erik Lindqvist", region="Scandinavia", jump="36", city="Oslo", date=(2024, 5, 6)),
        ],
    },
    "factory-fire": {
        "title": [
            "Fire {at|engulfs|destroys} [company] {plant|factory} in [city]",
            "{Blaze|Fire} {at|in} [city] {factory|plant} {injures|hurts} [injured]",
            "[city]: {huge|large} fire {at|hits} [company] {warehouse|plant}",
        ],
        "body": [
            "A {large|huge|major} fire {broke out|started|erupted} at the [company] {plant|factory} in [city] {early on [day]|on [day] morning|overnight on [day]}, {injuring|and injured|hurting} [injured] workers{, officials said|, the fire service said|}.",
            "[chief], {the city's fire chief|head of the [city] fire brigade|who led the response}, said [trucks] {fire engines|fire trucks|crews} {fought|battled|tackled} the {blaze|flames|fire} for [hours] hours.",
            "The {plant|factory|site} {makes|produces|manufactures} [goods] and employs about [staff] people, {according to|said} [company].",
            "{Residents|People living nearby|Neighbours} were {told|advised|asked} to keep windows closed because of {thick|heavy|black} smoke{ over [district]| drifting across [district]|}.",
            "The cause of the fire {was not yet known|is under investigation|has not been determined}, {police said|investigators said|[chief] said}{; [company] said production would stop for at least a week|}.",
        ],
        "slots": [
            dict(company="Ostrava Steelworks", city="Ostrava", day="Sunday", injured="6", chief="Pavel Dvorak",
                 trucks="25", hours="9", goods="steel pipes", staff="1,400", district="Vitkovice", date=(2024, 6, 2)),
            dict(company="Pemberton Paints", city="Leeds", day="Monday", injured="3", chief="Alan Stokes",
                 trucks="15", hours="5", goods="industrial coatings", staff="320", district="Hunslet", date=(2024, 6, 3)),
            dict(company="Sakura Plastics", city="Osaka", day="Sunday", injured="11", chief="Kenji Mori",
                 trucks="40", hours="12", goods="plastic packaging", staff="2,100", district="Nishiyodogawa",
                 date=(2024, 6, 2)),
        ],
    },
}

OUTLETS = ["Daily Meridian", "Northgate Post", "Pacific Ledger", "Global Brief 24", "Harbor City Herald",
           "Evening Courier", "Metro Wire"]
SYNDICATES = ["World News Network", "Newsline Syndicate", "Daily Digest Online", "Top Stories Hub"]


def expand(template: str, slots: dict, rng: random.Random) -> str:
    def alt(m):
        return rng.choice(m.group(1).split("|"))
    text = re.sub(r"\{([^{}]*)\}", alt, template)
    return re.sub(r"\[(\w+)\]", lambda m: slots[m.group(1)], text)


def coverage(kind: dict, slots: dict, rng: random.Random) -> tuple[str, str]:
    title = expand(rng.choice(kind["title"]), slots, rng)
    body = list(kind["body"])
    first, rest = body[0], body[1:]
    rng.shuffle(rest)
    rest = rest[: rng.randint(len(rest) - 1, len(rest))]
    sentences = [expand(s, slots, rng) for s in [first] + rest]
    paragraphs, cur = [], []
    for s in sentences:
        cur.append(s)
        if len(cur) == 2 or rng.random() < 0.4:
            paragraphs.append(" ".join(cur))
            cur = []
    if cur:
        paragraphs.append(" ".join(cur))
    return title, title + "\n\n" + "\n\n".join(paragraphs)


def generated():
    """Yields (record, truth) for part (c)."""
    for kind_name, kind in KINDS.items():
        for e, slots in enumerate(kind["slots"]):
            story = f"gen-{kind_name}-{e + 1}"
            rng = random.Random(f"story-suite:{story}")
            base = dt.datetime(*slots["date"], 6, 0, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=rng.randint(0, 300))
            outlets = rng.sample(OUTLETS, rng.randint(3, 5))
            for c, outlet in enumerate(outlets):
                cid = f"{story}-c{c + 1}"
                title, text = coverage(kind, slots, rng)
                published = base + dt.timedelta(hours=rng.uniform(0, 30))
                yield ({"id": cid, "title": title, "text": f"{outlet}\n\n{text}",
                        "source": outlet.lower().replace(" ", "") + ".example",
                        "published": published.strftime("%Y-%m-%dT%H:%M:%SZ")},
                       (cid, "original", story, kind_name))
                # Syndicated copies: the same article under another site's header and footer.
                for k, syndicate in enumerate(rng.sample(SYNDICATES, rng.randint(0, 3))):
                    copy_published = published + dt.timedelta(minutes=rng.randint(10, 600))
                    yield ({"id": f"{cid}-copy{k + 1}", "title": title,
                            "text": f"{syndicate} | {kind_name.replace('-', ' ').title()}\n\n{text}\n\n"
                                    f"(c) 2024 {syndicate}. Originally published by {outlet}.",
                            "source": syndicate.lower().replace(" ", "") + ".example",
                            "published": copy_published.strftime("%Y-%m-%dT%H:%M:%SZ")},
                           (f"{cid}-copy{k + 1}", "syndicated", story, kind_name))


# ---------------------------------------------------------------------------
# Part (b): story labels of the Reuters items (justified in fixtures/stories/README.md).
# Items not listed are stories of their own, of no labelled kind.
REUTERS_STORIES = {
    # One Kuwaiti oil minister's interview (al-Qabas): no emergency OPEC meeting.
    "reuters-236": ("reuters-kuwait-no-opec-talks", "opec-statement"),
    "reuters-353": ("reuters-kuwait-no-opec-talks", "opec-statement"),
    # Saudi oil minister Nazer reiterates the December OPEC accord (SPA): two wires.
    "reuters-248": ("reuters-saudi-opec-commitment", "opec-statement"),
    "reuters-352": ("reuters-saudi-opec-commitment", "opec-statement"),
    # Analysts: OPEC may have to meet before June. A different event from both above.
    "reuters-144": ("reuters-opec-may-meet", "opec-statement"),
    # Four different companies' crude posting cuts: four stories of one kind.
    "reuters-127": ("reuters-diamond-shamrock-cut", "crude-price-cut"),
    "reuters-191": ("reuters-texaco-canada-cut", "crude-price-cut"),
    "reuters-194": ("reuters-marathon-cut", "crude-price-cut"),
    "reuters-543": ("reuters-unocal-cut", "crude-price-cut"),
    # The study group's call for a bigger strategic petroleum reserve (two wires).
    "reuters-489": ("reuters-spr-study", ""),
    "reuters-502": ("reuters-spr-study", ""),
    # American Express weighing options for Shearson Lehman (a spinoff).
    "reuters-110": ("reuters-amex-shearson", "takeover"),
    "reuters-362": ("reuters-amex-shearson", "takeover"),
    # Four Seasons and VMS buy the Santa Barbara Biltmore from Marriott.
    "reuters-379": ("reuters-biltmore-sale", "takeover"),
    "reuters-478": ("reuters-biltmore-sale", "takeover"),
    # The contest for Viacom: revised offers, Redstone's sweetened bid.
    "reuters-393": ("reuters-viacom-bids", "takeover"),
    "reuters-496": ("reuters-viacom-bids", "takeover"),
    # One deal seen from both sides: Exco (British and Commonwealth) buys 80 pct of RMJ
    # Holdings from Bank of New York and RMJ's partners.
    "reuters-331": ("reuters-rmj-sale", "takeover"),
    "reuters-441": ("reuters-rmj-sale", "takeover"),
    # Stake filings in four different companies: four stories of one kind.
    "reuters-96": ("reuters-cyclops-stake", "stake-filing"),
    "reuters-125": ("reuters-wrather-stake", "stake-filing"),
    "reuters-135": ("reuters-robeson-stake", "stake-filing"),
    "reuters-153": ("reuters-epsilon-stake", "stake-filing"),
}
# Acquisitions of one company by another, each a story of its own, all of kind "takeover".
REUTERS_TAKEOVERS = ["reuters-10", "reuters-44", "reuters-68", "reuters-128", "reuters-134", "reuters-157",
                     "reuters-162", "reuters-185", "reuters-186", "reuters-199", "reuters-260", "reuters-302",
                     "reuters-304", "reuters-315", "reuters-334", "reuters-361", "reuters-366", "reuters-372",
                     "reuters-376", "reuters-387", "reuters-389", "reuters-401", "reuters-408", "reuters-424",
                     "reuters-436", "reuters-447", "reuters-448", "reuters-467", "reuters-473", "reuters-474",
                     "reuters-497", "reuters-498"]


def main():
    records, truth = [], []
    # (a) The five seed articles and their copies: one story, five duplicate clusters.
    kinds = {}
    with open(ROOT / "fixtures" / "news_truth.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            i, source, kind = line.rstrip("\n").split("\t")
            kinds[i] = (source, kind)
    with open(ROOT / "fixtures" / "news.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if not re.match(r"^00[0-4]_", d["id"]):
                continue
            source, kind = kinds[d["id"]]
            records.append({"id": "seed-" + d["id"], "text": d["text"], "source": d["source"],
                            "published": d["published"]})
            truth.append(("seed-" + d["id"], "seed-" + source, kind, "seeds-xi-moscow-visit", ""))
    # (b) Reuters.
    with open(OUT / "reuters.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            i = d["id"]
            story, story_kind = REUTERS_STORIES.get(i, (i, "takeover" if i in REUTERS_TAKEOVERS else ""))
            records.append({"id": i, "text": d["text"], "source": d["source"], "published": d["published"]})
            source = "reuters-489" if i == "reuters-502" else i  # 502 repeats 489 word for word.
            truth.append((i, source, "original" if source == i else "copy", story, story_kind))
    # (c) Generated.
    gen = []
    for record, (i, kind, story, story_kind) in generated():
        gen.append(record)
        source = re.sub(r"-copy\d+$", "", i)
        records.append({k: record[k] for k in ("id", "text", "source", "published")})
        truth.append((i, source, kind, story, story_kind))
    with open(OUT / "generated.jsonl", "w", encoding="utf-8") as f:
        for r in gen:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(OUT / "suite.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(OUT / "suite_truth.tsv", "w", encoding="utf-8") as f:
        f.write("id\tsource_id\tkind\tstory\tstory_kind\n")
        for t in truth:
            f.write("\t".join(t) + "\n")


if __name__ == "__main__":
    main()
