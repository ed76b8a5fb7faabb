"""Writes document fixtures made by real producers into a folder, for the
extractor tests and `sluice bench --formats`. Each holds known marker
sentences (MARKER-...) so a test can assert exactly which were found, in
which order, and where (page, slide, sheet, heading path).

    python3 format-fixtures.py OUT_DIR NAME...

Names: pdf-report, pdf-scanned, pdf-encrypted-user, pdf-encrypted-owner,
pdf-truncated, pdf-slow, pdf-loop, pdf-many-pages, not-a-pdf.
Needs reportlab (Tests/Support/requirements.txt).
"""

import os
import sys


def pdf_report(path):
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(path)
    c.setTitle("Quarterly Report & Outlook")
    pages = [
        ["MARKER-PDF-1 revenue grew in the north.", "More text on page one."],
        ["MARKER-PDF-2 costs fell <sharply> & steadily."],
        [],  # a blank page: no text, no place
        ["MARKER-PDF-4 the outlook is calm."],
    ]
    for lines in pages:
        y = 760
        for line in lines:
            c.drawString(72, y, line)
            y -= 18
        c.showPage()
    c.save()


def pdf_scanned(path):
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(path)
    for _ in range(2):
        c.rect(72, 300, 400, 400, fill=1)  # an image-like page: ink, no text
        c.showPage()
    c.save()


def pdf_encrypted(path, user_password):
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    encryption = pdfencrypt.StandardEncryption(user_password, ownerPassword="owner-secret", canCopy=0)
    c = canvas.Canvas(path, encrypt=encryption)
    c.drawString(72, 700, "MARKER-ENCRYPTED readable without a user password.")
    c.showPage()
    c.save()


def pdf_truncated(path):
    pdf_report(path)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 3])


def pdf_slow(path):
    """Ten pages of four million tiny words each, all showing one compressed content stream:
    about six seconds of pdftotext work from a file of 80 KB that takes a second to write."""
    import zlib

    line = b"(" + b" ".join(b"w%d" % (i % 97) for i in range(200)) + b") '\n"
    content = zlib.compress(b"BT /F1 1 Tf 0.04 TL 10 800 Td\n" + line * 20000 + b"ET", 9)
    pages = 10
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (5 + n) for n in range(pages)), pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    for _ in range(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>")
    write_pdf(path, objects)


def pdf_loop(path):
    """A page tree whose Pages node lists itself as its own kid: an infinite loop for a naive reader."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
    ]
    stream = b"BT /F1 12 Tf 72 700 Td (MARKER-LOOP) Tj ET"
    objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    write_pdf(path, objects)


def pdf_many_pages(path):
    """A page count of two billion claimed by a tree of one page."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 2000000000 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    write_pdf(path, objects)


def write_pdf(path, objects):
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    with open(path, "wb") as f:
        f.write(out)


def docx_report(path):
    import docx

    d = docx.Document()
    d.core_properties.title = "Employee Handbook"
    d.add_heading("Handbook", level=1)
    d.add_paragraph("MARKER-DOCX-1 welcome to the company.")
    d.add_heading("Leave", level=2)
    d.add_heading("Vacation", level=3)
    d.add_paragraph("MARKER-DOCX-2 you get twenty days.")
    d.add_paragraph("MARKER-DOCX-3 first item", style="List Bullet")
    d.add_paragraph("MARKER-DOCX-4 second item", style="List Number")
    table = d.add_table(rows=2, cols=3)
    for r, row in enumerate([["Region", "Days", "Notes"], ["MARKER-DOCX-5 North", "20", "carry over 5"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_heading("Sick leave", level=2)
    p = d.add_paragraph("MARKER-DOCX-6 tell your manager")
    p.add_run(" the same day.")
    d.save(path)


def docx_bomb(path, lying=False, megabytes=512):
    """A DOCX whose document.xml, one run of text, inflates to 512 MB from about 2 MB; `lying`: its headers say
    1,000 bytes. With `megabytes=200` it is within the default inflating limit (256 MiB) but its text is not."""
    import struct
    import zipfile

    docx_report(path + ".tmp")
    with zipfile.ZipFile(path + ".tmp") as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
        for item in source.infolist():
            if item.filename == "word/document.xml":
                with bomb.open("word/document.xml", "w") as out:
                    out.write(b'<?xml version="1.0"?><w:document xmlns:w="x"><w:body><w:p><w:r><w:t>')
                    block = b"A" * (1 << 20)
                    for _ in range(megabytes):
                        out.write(block)
                    out.write(b"</w:t></w:r></w:p></w:body></w:document>")
            else:
                bomb.writestr(item, source.read(item.filename))
    os.remove(path + ".tmp")
    if lying:
        with open(path, "r+b") as f:
            data = bytearray(f.read())
            name = b"word/document.xml"
            for signature, size_offset, name_offset in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
                start = 0
                while (start := data.find(signature, start)) >= 0:
                    if data[start + name_offset:start + name_offset + len(name)] == name:
                        struct.pack_into("<I", data, start + size_offset, 1000)
                    start += 4
            f.seek(0)
            f.write(data)


def docx_traversal(path):
    """A DOCX that also holds parts named ../../evil.txt and /etc/evil: names, never paths."""
    import zipfile

    docx_report(path)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("../../evil.txt", "MARKER-EVIL")
        z.writestr("/tmp/sluice-evil.txt", "MARKER-EVIL")


def tiny_png():
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


def docx_many_parts(path):
    """A DOCX of 70,000 empty parts besides its own: every lookup walking them all would be quadratic."""
    import zipfile

    docx_report(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as z:
        for n in range(70_000):
            z.writestr(f"filler/{n}", b"")


def pptx_deck(path):
    import io

    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.title = "Quarterly Review"
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Results"
    slide.placeholders[1].text_frame.text = "MARKER-PPTX-1 revenue is up."
    slide.notes_slide.notes_text_frame.text = "MARKER-PPTX-2 mention the north region."
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Regions"
    table = slide.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, row in enumerate([["Region", "Growth"], ["MARKER-PPTX-3 North", "12%"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    slide.shapes.add_picture(io.BytesIO(tiny_png()), Inches(1), Inches(5))
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank: no title
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1))
    box.text_frame.text = "MARKER-PPTX-4 thank you."
    deck.save(path)


def xlsx_book(path):
    import datetime
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.properties.title = "Budget 2026"
    sheet = book.active
    sheet.title = "Budget"
    sheet.append(["Item", "Amount", "Share", "Due"])
    sheet.append(["MARKER-XLSX-1 rent", 1234.5, 0.25, datetime.date(2026, 3, 1)])
    sheet["B2"].number_format = "#,##0.00"
    sheet["C2"].number_format = "0%"
    sheet["D2"].number_format = "yyyy-mm-dd"
    sheet.append([])  # an empty row: left out
    sheet.append(["MARKER-XLSX-2 total", "=B2*2", 0.1 + 0.2])
    sheet["A7"] = "MARKER-XLSX-3 far below"
    notes = book.create_sheet("Notes")
    notes["B2"] = "MARKER-XLSX-4 on the second sheet"
    notes["C2"] = True
    book.save(path)
    # openpyxl writes no cached value for a formula; Excel does: add the one Excel would have saved.
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b"<f>B2*2</f><v></v>", b"<f>B2*2</f><v>2469</v>").replace(
        b"<f>B2*2</f></c>", b"<f>B2*2</f><v>2469</v></c>")
    # Excel keeps text in a shared string table, with rich runs and phonetic guides: as Excel saves it.
    sheet2 = parts["xl/worksheets/sheet2.xml"]
    start = sheet2.index(b'<c r="B2"')
    end = sheet2.index(b"</c>", start) + 4
    parts["xl/worksheets/sheet2.xml"] = sheet2[:start] + b'<c r="B2" t="s"><v>0</v></c>' + sheet2[end:]
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b'<si><r><t>MARKER-XLSX-4 on the </t></r><r><rPr><b/></rPr><t>second sheet</t></r><rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si></sst>')
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def xlsx_empty_rows(path):
    """A sheet of a million empty rows, then one with a marker."""
    import zipfile

    xlsx_book(path + ".tmp")
    with zipfile.ZipFile(path + ".tmp") as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                rows = b"".join(b'<row r="%d"/>' % r for r in range(1, 1_000_001))
                out.writestr(item.filename, b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                             + rows + b'<row r="1000001"><c r="A1000001" t="inlineStr"><is><t>MARKER-XLSX-EMPTY last row</t></is></c></row></sheetData></worksheet>')
            else:
                out.writestr(item, source.read(item.filename))
    os.remove(path + ".tmp")


def odf_cell(text=None, repeat=None):
    from odf.table import TableCell
    from odf.text import P

    cell = TableCell(numbercolumnsrepeated=repeat) if repeat else TableCell()
    if text is not None:
        cell.addElement(P(text=text))
    return cell


def odt_handbook(path):
    from odf.dc import Title
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableColumn, TableRow
    from odf.text import H, List, ListItem, P, Span

    doc = OpenDocumentText()
    doc.meta.addElement(Title(text="Open Handbook"))
    doc.text.addElement(H(outlinelevel=1, text="Handbook"))
    paragraph = P(text="MARKER-ODT-1 welcome ")
    paragraph.addElement(Span(text="to the team."))
    doc.text.addElement(paragraph)
    doc.text.addElement(H(outlinelevel=2, text="Leave"))
    items = List()
    for text in ["MARKER-ODT-2 first item", "MARKER-ODT-3 second item"]:
        item = ListItem()
        item.addElement(P(text=text))
        items.addElement(item)
    doc.text.addElement(items)
    table = Table(name="Days")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for row_values in [["Region", "Days"], ["MARKER-ODT-4 North", "20"]]:
        row = TableRow()
        for value in row_values:
            row.addElement(odf_cell(value))
        table.addElement(row)
    doc.text.addElement(table)
    doc.text.addElement(P(text="MARKER-ODT-5 the end."))
    doc.save(path)


def ods_book(path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableRow

    doc = OpenDocumentSpreadsheet()
    budget = Table(name="Budget")
    for values in [["Item", "Amount"], ["MARKER-ODS-1 rent", "1,234.50"]]:
        row = TableRow()
        for value in values:
            row.addElement(odf_cell(value))
        budget.addElement(row)
    # How ODF writes the rest of a sheet: a million empty rows as one repeated row of repeated empty cells.
    empty = TableRow(numberrowsrepeated=1_000_000)
    empty.addElement(odf_cell(repeat=1024))
    budget.addElement(empty)
    last = TableRow()
    last.addElement(odf_cell("MARKER-ODS-2 after the gap"))
    budget.addElement(last)
    doc.spreadsheet.addElement(budget)
    notes = Table(name="Notes")
    row = TableRow()
    row.addElement(odf_cell(repeat=3))
    row.addElement(odf_cell("MARKER-ODS-3 second sheet"))
    notes.addElement(row)
    doc.spreadsheet.addElement(notes)
    doc.save(path)


def ods_wide_row(path):
    """A row that claims 1,280,000 columns (5,000 cells repeated 256 times), then a marker past them all."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableRow

    doc = OpenDocumentSpreadsheet()
    sheet = Table(name="Wide")
    row = TableRow()
    for _ in range(5000):
        row.addElement(odf_cell(repeat=256))
    row.addElement(odf_cell("MARKER-ODS-WIDE past the edge"))
    sheet.addElement(row)
    first = TableRow()
    first.addElement(odf_cell("MARKER-ODS-NARROW"))
    sheet.addElement(first)
    doc.spreadsheet.addElement(sheet)
    doc.save(path)


def odp_deck(path):
    from odf.dc import Title
    from odf.draw import Frame, Page, TextBox
    from odf.namespaces import PRESENTATIONNS
    from odf.opendocument import OpenDocumentPresentation
    from odf.presentation import Notes
    from odf.style import MasterPage, PageLayout
    from odf.text import P

    doc = OpenDocumentPresentation()
    doc.meta.addElement(Title(text="Open Review"))
    layout = PageLayout(name="Layout")
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="Default", pagelayoutname=layout)
    doc.masterstyles.addElement(master)

    def frame(texts, presentation_class=None):
        box = Frame(width="20cm", height="3cm", x="1cm", y="1cm")
        if presentation_class:
            box.setAttrNS(PRESENTATIONNS, "class", presentation_class)
        text_box = TextBox()
        for text in texts:
            text_box.addElement(P(text=text))
        box.addElement(text_box)
        return box

    for number, (title, body, note) in enumerate([
        ("Results", "MARKER-ODP-1 revenue is up.", "MARKER-ODP-2 thank the team."),
        (None, "MARKER-ODP-3 questions?", None),
    ], start=1):
        page = Page(masterpagename=master, name=f"page{number}")
        if title:
            page.addElement(frame([title], "title"))
        page.addElement(frame([body]))
        if note:
            notes = Notes()
            notes.addElement(frame([note], "notes"))
            page.addElement(notes)
        doc.presentation.addElement(page)
    doc.save(path)


def epub_book(path, missing_chapter=False):
    import zipfile

    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("sluice-fixture")
    book.set_title("The Sluice Story")
    book.set_language("en")
    chapters = []
    for number, (heading, body) in enumerate([
        ("Beginnings", "MARKER-EPUB-1 the river ran &amp; ran."),
        ("Middles", "MARKER-EPUB-2 the gates opened."),
        ("Endings", "MARKER-EPUB-3 the sea."),
    ], start=1):
        chapter = epub.EpubHtml(title=heading, file_name=f"chap{number}.xhtml", lang="en")
        chapter.content = f"<h1>{heading}</h1><p>{body}</p>"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    # Spine order differs from file order: the reader must follow the spine.
    book.spine = [chapters[1], chapters[0], chapters[2]]
    epub.write_epub(path, book)
    if missing_chapter:
        with zipfile.ZipFile(path) as z:
            parts = {name: z.read(name) for name in z.namelist()}
        del parts["EPUB/chap2.xhtml"]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in parts.items():
                z.writestr(name, data)


def pdf_named_docx(path):
    pdf_report(path)


def docx_named_xlsx(path):
    docx_report(path)


def epub_repeated_spine(path):
    """A book whose spine lists one 2 MB chapter 5,000 times: 10 GB of reading from a small file."""
    import zipfile

    chapter = b"<html><body><p>" + b"MARKER-REPEAT " * 150_000 + b"</p></body></html>"
    opf = (b'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
           b'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Again</dc:title></metadata>'
           b'<manifest><item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest><spine>'
           + b'<itemref idref="c"/>' * 5000 + b"</spine></package>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml",
                   '<?xml version="1.0"?><container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0">'
                   '<rootfiles><rootfile full-path="OPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
        z.writestr("OPS/book.opf", opf)
        z.writestr("OPS/c.xhtml", chapter)


def epub_long_chapter(path):
    """A book of one chapter that inflates to 200 MB (within the default inflating limit) from under 1 MB."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml",
                   '<?xml version="1.0"?><container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0">'
                   '<rootfiles><rootfile full-path="OPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
        z.writestr("OPS/book.opf",
                   '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
                   '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Long</dc:title></metadata>'
                   '<manifest><item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest>'
                   '<spine><itemref idref="c"/></spine></package>')
        with z.open("OPS/c.xhtml", "w") as out:
            out.write(b"<html><body><p>")
            block = b"A" * (1 << 20)
            for _ in range(200):
                out.write(block)
            out.write(b"</p></body></html>")


def not_a_pdf(path):
    with open(path, "w") as f:
        f.write("MARKER-NOT-PDF this is plain text with a .pdf name\n")


FIXTURES = {
    "pdf-report": ("report.pdf", pdf_report),
    "pdf-scanned": ("scanned.pdf", pdf_scanned),
    "pdf-encrypted-user": ("encrypted-user.pdf", lambda p: pdf_encrypted(p, "user-secret")),
    "pdf-encrypted-owner": ("encrypted-owner.pdf", lambda p: pdf_encrypted(p, "")),
    "pdf-truncated": ("truncated.pdf", pdf_truncated),
    "pdf-slow": ("slow.pdf", pdf_slow),
    "pdf-loop": ("loop.pdf", pdf_loop),
    "pdf-many-pages": ("many-pages.pdf", pdf_many_pages),
    "not-a-pdf": ("not-a.pdf", not_a_pdf),
    "docx-report": ("handbook.docx", docx_report),
    "docx-bomb": ("bomb.docx", docx_bomb),
    "docx-bomb-lying": ("bomb-lying.docx", lambda p: docx_bomb(p, lying=True)),
    "docx-long-run": ("long-run.docx", lambda p: docx_bomb(p, megabytes=200)),
    "docx-traversal": ("traversal.docx", docx_traversal),
    "docx-not-zip": ("not-a.docx", not_a_pdf),
    "docx-many-parts": ("many-parts.docx", docx_many_parts),
    "pptx-deck": ("review.pptx", pptx_deck),
    "xlsx-book": ("budget.xlsx", xlsx_book),
    "xlsx-empty-rows": ("empty-rows.xlsx", xlsx_empty_rows),
    "odt-handbook": ("handbook.odt", odt_handbook),
    "ods-book": ("budget.ods", ods_book),
    "ods-wide-row": ("wide.ods", ods_wide_row),
    "odp-deck": ("review.odp", odp_deck),
    "epub-book": ("story.epub", epub_book),
    "epub-repeated-spine": ("repeated-spine.epub", epub_repeated_spine),
    "epub-long-chapter": ("long-chapter.epub", epub_long_chapter),
    "pdf-named-docx": ("really-a-pdf.docx", pdf_named_docx),
    "docx-named-xlsx": ("really-a-docx.xlsx", docx_named_xlsx),
    "epub-missing-chapter": ("missing-chapter.epub", lambda p: epub_book(p, missing_chapter=True)),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[2:]:
        filename, make = FIXTURES[name]
        make(os.path.join(out, filename))
        print(filename)


if __name__ == "__main__":
    main()
