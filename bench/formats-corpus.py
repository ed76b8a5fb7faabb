#!/usr/bin/env python3
"""The corpus of `sluice bench --formats`: 1,000 documents made by the real
producers (reportlab, python-docx, python-pptx, openpyxl) over four tenants,
from a fixed seed: 400 PDFs of 1 to 30 pages, 300 DOCX, 150 PPTX and 150 XLSX.
Every document holds marker sentences (MARKER-<doc>-<n>); manifest.json maps
each file (tenant/name) to its markers, in order, for the bench to find in the
index.

    python3 bench/formats-corpus.py OUT_DIR [--seed N] [--scale F]

Needs Tests/Support/requirements.txt (`.ci/run` installs it).
"""

import argparse
import io
import json
import os
import random

WORDS = ("river gate flow water stone bank harbor tide current basin channel lock weir dam canal delta marsh "
         "spring brook creek pool reservoir valve meter sensor level pressure volume season report budget plan").split()


def sentence(rng, marker=None):
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12)))
    return f"{marker} {words}." if marker else words.capitalize() + "."


class Markers:
    def __init__(self, doc):
        self.doc = doc
        self.items = []

    def next(self):
        marker = f"MARKER-{self.doc}-{len(self.items) + 1}"
        self.items.append(marker)
        return marker


def make_pdf(path, rng, markers):
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(path)
    c.setTitle(f"Report {markers.doc}")
    for _ in range(rng.randint(1, 30)):
        y = 780
        for line in range(rng.randint(20, 40)):
            text = sentence(rng, markers.next() if line % 12 == 0 else None)
            c.drawString(50, y, text)
            y -= 18
        c.showPage()
    c.save()


def make_docx(path, rng, markers):
    import docx

    d = docx.Document()
    d.core_properties.title = f"Handbook {markers.doc}"
    for section in range(rng.randint(2, 6)):
        d.add_heading(f"Section {section + 1} {rng.choice(WORDS)}", level=1)
        for _ in range(rng.randint(2, 5)):
            d.add_paragraph(" ".join(sentence(rng, markers.next() if i == 0 else None) for i in range(rng.randint(2, 5))))
        if rng.random() < 0.3:
            table = d.add_table(rows=3, cols=3)
            for row in table.rows:
                for cell in row.cells:
                    cell.text = rng.choice(WORDS)
            table.cell(1, 0).text = markers.next()
    d.save(path)


def make_pptx(path, rng, markers):
    from pptx import Presentation

    deck = Presentation()
    deck.core_properties.title = f"Review {markers.doc}"
    for slide_number in range(rng.randint(3, 8)):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Slide title {slide_number + 1} {rng.choice(WORDS)}"
        slide.placeholders[1].text_frame.text = sentence(rng, markers.next())
        slide.notes_slide.notes_text_frame.text = sentence(rng, markers.next())
    deck.save(path)


def make_xlsx(path, rng, markers):
    import openpyxl

    book = openpyxl.Workbook()
    book.properties.title = f"Budget {markers.doc}"
    for sheet_number in range(rng.randint(1, 3)):
        sheet = book.active if sheet_number == 0 else book.create_sheet()
        sheet.title = f"Sheet {sheet_number + 1}"
        sheet.append(["Item", "Amount", "Share"])
        for row in range(rng.randint(10, 60)):
            label = markers.next() if row % 10 == 0 else rng.choice(WORDS)
            sheet.append([label, round(rng.uniform(10, 10000), 2), rng.random()])
    book.save(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the 1,000 documents (for quick runs)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    plan = [("pdf", 400, make_pdf), ("docx", 300, make_docx), ("pptx", 150, make_pptx), ("xlsx", 150, make_xlsx)]
    tenants = ["acme", "globex", "initech", "umbrella"]
    manifest = {}
    doc = 0
    for extension, count, make in plan:
        for index in range(max(1, int(count * args.scale))):
            doc += 1
            tenant = tenants[doc % len(tenants)]
            folder = os.path.join(args.out, tenant, extension)
            os.makedirs(folder, exist_ok=True)
            name = f"{extension}/doc{doc:04d}.{extension}"
            markers = Markers(doc)
            make(os.path.join(args.out, tenant, name), rng, markers)
            manifest[f"{tenant}/{name}"] = markers.items
    with open(os.path.join(args.out, "..", "manifest.json"), "w") as f:
        json.dump(manifest, f)
    print(doc)


if __name__ == "__main__":
    main()
