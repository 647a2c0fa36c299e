"""Light pages (issue 29, point 9): every static file, ours (static/) and Flask-Admin's, is linked under a fingerprinted
URL (?v= the first characters of the SHA-256 of its content) and answered, at that URL, with a year's
`Cache-Control: public, max-age=31536000, immutable`: a phone loads the panel's JS and CSS once, and a repeat page
costs its HTML alone. A changed file has a new fingerprint, so a new URL, the moment it changes (no build step, no
manifest to forget). A static URL without the current fingerprint is answered as before (no-cache, revalidated).

Flask-Admin's templates build their static URLs with url_for (admin/static.html's `get_url('admin.static', filename=…,
v='4.6.2')`), as ours do: one url_defaults hook puts the content's fingerprint in place of any `v`. Responses are
compressed (gzip, brotli, zstd) by Flask-Compress, a maintained extension.
"""
from __future__ import annotations

import hashlib
import os

from flask import Flask, request
from flask_compress import Compress

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
DIGITS = 12  # of the hex SHA-256: enough that two versions of one file never share a URL

compress = Compress()


class Fingerprints:
    """The fingerprint of each static file, worked out once per version of the file (its size and modification time)."""

    def __init__(self):
        self.known: dict[str, tuple[int, int, str]] = {}

    def of(self, path: str) -> str | None:
        """The fingerprint of the file at `path`, or None when there is no such file."""
        try:
            stat = os.stat(path)
        except OSError:
            return None
        seen = self.known.get(path)
        if seen is not None and seen[:2] == (stat.st_mtime_ns, stat.st_size):
            return seen[2]
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()[:DIGITS]
        self.known[path] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


def static_folder(app: Flask, endpoint: str | None) -> str | None:
    """The folder the static endpoint `endpoint` serves ("static": the app's; "admin.static": a blueprint's)."""
    if endpoint == "static":
        return app.static_folder
    if endpoint and endpoint.endswith(".static"):
        blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0])
        return blueprint.static_folder if blueprint is not None else None
    return None


def file_path(folder: str, filename: str) -> str | None:
    """The file `filename` names inside `folder`, or None for a name that would leave it."""
    root = os.path.realpath(folder)
    path = os.path.realpath(os.path.join(root, filename))
    return path if path.startswith(root + os.sep) else None


def init_app(app: Flask) -> None:
    """Fingerprint the static URLs of `app`, cache them for a year, and compress responses."""
    prints = Fingerprints()
    app.extensions["zq.fingerprints"] = prints

    def current(endpoint: str | None, filename: str | None) -> str | None:
        folder = static_folder(app, endpoint)
        path = file_path(folder, filename) if folder and filename else None
        return prints.of(path) if path else None

    @app.url_defaults
    def fingerprint(endpoint: str, values: dict) -> None:
        digest = current(endpoint, values.get("filename"))
        if digest is not None:
            values["v"] = digest

    @app.after_request
    def cache_for_a_year(response):
        if (response.status_code in (200, 304) and request.args.get("v")
                and request.args["v"] == current(request.endpoint, (request.view_args or {}).get("filename"))):
            response.headers["Cache-Control"] = IMMUTABLE
            response.expires = None
        return response

    app.config.setdefault("COMPRESS_STREAMING_ENDPOINT_CONDITIONAL",
                          ["static", *(f"{name}.static" for name, bp in app.blueprints.items() if bp.has_static_folder)])
    compress.init_app(app)
