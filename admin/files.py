"""Sending generated files to the browser."""
from __future__ import annotations

import io

from flask import send_file

from models.text import clean

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def download(content: bytes, name: str):
    """A file with a Chinese name (Content-Disposition with RFC 5987 filename*, and an ASCII fallback)."""
    mimetype = DOCX if name.endswith(".docx") else "application/zip" if name.endswith(".zip") else XLSX
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True,
                     download_name=clean(name).replace("\t", " ").replace("\n", " ").replace("\r", " "))


def xlsx_bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
