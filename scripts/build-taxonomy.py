#!/usr/bin/env python3
"""Build protocol/data/esco-skills.tsv from the ESCO skills CSV export, and
protocol/data/skill-names.tsv from the curated list scripts/skill-names.src.tsv.

Usage (from the repository root):

    python3 scripts/build-taxonomy.py [CSV ...] [--out PATH]

With no CSV arguments it reads ../shared/data/esco/digitalSkillsCollection_en.csv
relative to the repository root. Further collections with the same columns (for
example transversalSkillsCollection_en.csv) may be passed explicitly; a concept
that appears in several inputs is written once.

Output: one released concept per line, sorted by UUID,

    <uuid>\t<preferred label>\t<alt label>|<alt label>|...\t<broader uuid>|...

(the broader concepts that are skills in the output; the hierarchy lets a
search for a broad skill find the narrower ones). The curated names are
checked against the concepts (each linked concept must be a preferred label)
and written sorted, with their source noted.

Labels are stripped of tabs, pipes and line breaks, whitespace runs are
collapsed, alt labels equal to the preferred label or repeated are dropped.
"""

import argparse
import csv
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INPUTS = [
    REPO_ROOT / ".." / "shared" / "data" / "esco" / "digitalSkillsCollection_en.csv",
]
DEFAULT_OUTPUT = REPO_ROOT / "protocol" / "data" / "esco-skills.tsv"
NAMES_SOURCE = REPO_ROOT / "scripts" / "skill-names.src.tsv"
NAMES_OUTPUT = REPO_ROOT / "protocol" / "data" / "skill-names.tsv"
URI_PREFIX = "http://data.europa.eu/esco/skill/"
ALT_SEPARATOR = " | "
REQUIRED_COLUMNS = {"conceptUri", "preferredLabel", "status", "altLabels", "broaderConceptUri"}

HEADER = """\
# ESCO skills taxonomy for coopnet skill-name normalisation.
# Source: ESCO v1.1.1 ({sources}), (c) European Union, CC BY 4.0,
# https://esco.ec.europa.eu/ -- descriptions dropped, released concepts only.
# Regenerate with: python3 scripts/build-taxonomy.py (do not edit by hand).
# Format: <uuid>\\t<preferred label>\\t<alt label>|<alt label>|...\\t<broader uuid>|...
# The concept URI is http://data.europa.eu/esco/skill/<uuid>.
"""


def clean_label(text):
    """Replace tabs, pipes and line breaks with spaces and collapse whitespace."""
    for bad in ("\t", "|", "\r", "\n"):
        text = text.replace(bad, " ")
    return " ".join(text.split())


def uuid_of(uri):
    """The UUID part of an ESCO skill URI; raises ValueError for other URIs."""
    if not uri.startswith(URI_PREFIX):
        raise ValueError(f"not an ESCO skill URI: {uri!r}")
    uuid = uri[len(URI_PREFIX):]
    if not uuid or any(c not in "0123456789abcdef-" for c in uuid):
        raise ValueError(f"malformed ESCO skill UUID: {uri!r}")
    return uuid


def alt_labels(raw, preferred):
    """Cleaned, de-duplicated alt labels, in source order, without the preferred label."""
    seen = {preferred}
    labels = []
    for part in raw.split(ALT_SEPARATOR) if raw else []:
        label = clean_label(part)
        if label and label not in seen:
            seen.add(label)
            labels.append(label)
    return labels


def broader(raw):
    """The skill UUIDs among a row's broader concepts (others are dropped)."""
    uuids = []
    for part in raw.split(ALT_SEPARATOR) if raw else []:
        part = part.strip()
        if part.startswith(URI_PREFIX):
            uuids.append(uuid_of(part))
    return uuids


def read_concepts(path):
    """Yield (uuid, preferred label, alt labels, broader uuids) per released concept."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        for row in reader:
            if row["status"] != "released":
                continue
            preferred = clean_label(row["preferredLabel"])
            if not preferred:
                raise ValueError(f"{path}:{reader.line_num}: empty preferred label")
            alts = alt_labels(row["altLabels"], preferred)
            yield uuid_of(row["conceptUri"]), preferred, alts, broader(row["broaderConceptUri"])


def build(paths):
    """Merge the concepts of all inputs, keyed by UUID (first input wins)."""
    concepts = {}
    for path in paths:
        for uuid, preferred, alts, up in read_concepts(path):
            concepts.setdefault(uuid, (preferred, alts, up))
    return concepts


def render(concepts, paths):
    """The TSV text: header comment, then one line per concept sorted by UUID."""
    sources = ", ".join(Path(p).name for p in paths)
    lines = [HEADER.format(sources=sources)]
    for uuid in sorted(concepts):
        preferred, alts, up = concepts[uuid]
        known = [u for u in up if u in concepts]
        lines.append(f"{uuid}\t{preferred}\t{'|'.join(alts)}\t{'|'.join(known)}\n")
    return "".join(lines)


NAMES_HEADER = """\
# Curated skill names for coopnet, generated from scripts/skill-names.src.tsv
# by scripts/build-taxonomy.py (do not edit by hand; edit the source).
#
# Format: <alias>\\t<name>\\t<concept>
#   alias:   a way people write the skill (matched after folding);
#   name:    the skill it means, as its own project writes it;
#   concept: the ESCO preferred label it is linked to, or - for none.
# A name equal to its concept's preferred label is that concept (a synonym,
# such as js for JavaScript); any other name is a skill of its own, found
# by its name and, through its link, by searches for its concept or a
# broader one. Every name is also an alias of itself.
"""


def fold(name):
    """Roughly the taxonomy's folding: letters and digits, lower-cased, with
    + # & spelled out (enough to catch a curated name that is an ESCO label)."""
    words = {"+": "plus", "#": "sharp", "&": "and"}
    return "".join(c.lower() if c.isalnum() else words.get(c, "") for c in name)


def build_names(source, concepts):
    """The curated names file, checked against the concepts' preferred labels:
    each linked concept must exist, and a name or alias that is a preferred
    label must be that concept's synonym."""
    labels = {preferred for preferred, _, _ in concepts.values()}
    folded = {fold(label): label for label in labels}
    rows = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(f"{source}:{number}: expected 3 tab-separated fields")
        alias, name, concept = (f.strip() for f in fields)
        if concept != "-" and concept not in labels:
            raise ValueError(f"{source}:{number}: {concept!r} is not an ESCO preferred label")
        for text in (alias, name):
            label = folded.get(fold(text))
            if label is not None and (concept, name) != (label, label):
                raise ValueError(
                    f"{source}:{number}: {text!r} is the ESCO concept {label!r}: "
                    f"write the row as a synonym ({alias}\t{label}\t{label})"
                )
        rows.append((name.lower(), alias.lower(), alias, name, concept))
    rows.sort()
    return NAMES_HEADER + "".join(f"{a}\t{n}\t{c}\n" for _, _, a, n, c in rows)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="*", type=Path, default=DEFAULT_INPUTS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    concepts = build(args.inputs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(concepts, args.inputs), encoding="utf-8")
    print(f"wrote {len(concepts)} concepts to {args.out}", file=sys.stderr)
    NAMES_OUTPUT.write_text(build_names(NAMES_SOURCE, concepts), encoding="utf-8")
    print(f"wrote the curated names to {NAMES_OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
