#!/usr/bin/env python3
"""Build protocol/data/esco-skills.tsv from the ESCO skills CSV export.

Usage (from the repository root):

    python3 scripts/build-taxonomy.py [CSV ...] [--out PATH]

With no CSV arguments it reads ../shared/data/esco/digitalSkillsCollection_en.csv
relative to the repository root. Further collections with the same columns (for
example transversalSkillsCollection_en.csv) may be passed explicitly; a concept
that appears in several inputs is written once.

Output: one released concept per line, sorted by UUID,

    <uuid>\t<preferred label>\t<alt label>|<alt label>|...

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
URI_PREFIX = "http://data.europa.eu/esco/skill/"
ALT_SEPARATOR = " | "
REQUIRED_COLUMNS = {"conceptUri", "preferredLabel", "status", "altLabels"}

HEADER = """\
# ESCO skills taxonomy for coopnet skill-name normalisation.
# Source: ESCO v1.1.1 ({sources}), (c) European Union, CC BY 4.0,
# https://esco.ec.europa.eu/ -- descriptions dropped, released concepts only.
# Regenerate with: python3 scripts/build-taxonomy.py (do not edit by hand).
# Format: <uuid>\\t<preferred label>\\t<alt label>|<alt label>|...
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


def read_concepts(path):
    """Yield (uuid, preferred label, alt labels) for each released concept in a CSV."""
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
            yield uuid_of(row["conceptUri"]), preferred, alt_labels(row["altLabels"], preferred)


def build(paths):
    """Merge the concepts of all inputs, keyed by UUID (first input wins)."""
    concepts = {}
    for path in paths:
        for uuid, preferred, alts in read_concepts(path):
            concepts.setdefault(uuid, (preferred, alts))
    return concepts


def render(concepts, paths):
    """The TSV text: header comment, then one line per concept sorted by UUID."""
    sources = ", ".join(Path(p).name for p in paths)
    lines = [HEADER.format(sources=sources)]
    for uuid in sorted(concepts):
        preferred, alts = concepts[uuid]
        lines.append(f"{uuid}\t{preferred}\t{'|'.join(alts)}\n")
    return "".join(lines)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="*", type=Path, default=DEFAULT_INPUTS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    concepts = build(args.inputs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(concepts, args.inputs), encoding="utf-8")
    print(f"wrote {len(concepts)} concepts to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
