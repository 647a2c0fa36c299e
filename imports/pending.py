"""Pending uploads: a checked file kept between its preview and the user's confirmation, with the names the user chose
for it, under the instance folder (uploads/). A token names each; which token is whose, the screen keeps."""
from __future__ import annotations

import json
import os
import uuid

from flask import current_app

UPLOAD = ".upload"
CHOICES = ".json"


def path_of(token: str, suffix: str = UPLOAD) -> str:
    """Where the pending upload `token` keeps its file (or choices); ValueError for a token that is not one."""
    folder = os.path.join(current_app.instance_path, "uploads")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, f"{uuid.UUID(token).hex}{suffix}")


def keep(data: bytes) -> str:
    """Keep a checked upload until it is confirmed: its new token."""
    token = uuid.uuid4().hex
    with open(path_of(token), "wb") as file:
        file.write(data)
    return token


def read(token: str) -> bytes | None:
    """The kept file, or None when it is gone."""
    try:
        with open(path_of(token), "rb") as file:
            return file.read()
    except OSError:
        return None


def save_choices(token: str, choices: dict) -> None:
    with open(path_of(token, CHOICES), "w", encoding="utf-8") as file:
        json.dump(choices, file, ensure_ascii=False)


def load_choices(token: str) -> dict:
    try:
        with open(path_of(token, CHOICES), encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError):
        return {}


def forget(token: str) -> None:
    """Remove the kept file and its choices."""
    for suffix in (UPLOAD, CHOICES):
        if os.path.exists(path_of(token, suffix)):
            os.remove(path_of(token, suffix))
