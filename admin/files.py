"""Sending generated files to the browser."""
from __future__ import annotations

import io
import os

from flask import send_file

from models.text import file_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def download(content: bytes, name: str):
    """A file with a Chinese name (Content-Disposition with RFC 5987 filename*, and an ASCII fallback)."""
    mimetype = {".docx": DOCX, ".zip": "application/zip", ".xls": "application/vnd.ms-excel",
                ".ods": "application/vnd.oasis.opendocument.spreadsheet"}.get(os.path.splitext(name)[1].lower(), XLSX)
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=file_name(name) or "下载")


def xlsx_bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
