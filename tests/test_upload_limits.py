"""Workbook bombs: a small .xlsx whose declared or packed size is enormous is refused with a Chinese message before
anything expands it, on the command line (错误：…, status 1, no traceback) and in the panel (the web worker stays up);
and neither a refused bomb nor the largest file the limits admit costs a process more than 300 MB of memory.

The commands run in their own processes: before the limits, the far cell killed the process that read it."""
from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from datetime import date

import pytest

from exports.problems import ANNEX2_COLUMNS
from exports.style import table_sheet, workbook
from imports.package import MAX_BYTES, MAX_ROWS
from tests.conftest import csrf_token, make_user
from tests.factories import scoped_world
from tests.servers import ROOT, Client, gunicorn, memory_mb
from tests.workbooks import BOMBS

MILUO = "汨罗市“两重”“两新”送解优专项行动"
MEMORY_LIMIT_MB = 300

# Runs a flask command in this process after loading the app, then reports how much the command itself added to
# the process's peak memory (the app's own modules are loaded before the baseline is taken).
PROBE = """
import atexit, resource, sys
from app import create_app
create_app()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
atexit.register(lambda: print(f"EXTRA_PEAK_MB={(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024}",
                              file=sys.stderr))
from flask.cli import main
sys.argv = ["flask", "--app", "app", *sys.argv[1:]]
main()
"""


def flask_command(database_url: str, *args: str) -> tuple[int, str, str, int | None]:
    """Exit status, output, error output and the extra peak memory (MB) of `flask --app app ARGS` in a new process."""
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    peak = re.search(r"EXTRA_PEAK_MB=(\d+)", done.stderr)
    return done.returncode, done.stdout, done.stderr, int(peak.group(1)) if peak else None


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_a_workbook_bomb_is_refused_on_the_command_line(seeded, tmp_path, bomb):
    make, message = BOMBS[bomb]
    path = make(tmp_path / f"{bomb}.xlsx")
    assert path.stat().st_size < MAX_BYTES
    status, out, err, peak = flask_command(seeded.config["SQLALCHEMY_DATABASE_URI"], "import", "problems", str(path),
                                           "--campaign", MILUO, "--dry-run")
    assert status == 1, (status, err[-2000:])
    assert err.startswith("错误：") and message in err and "Traceback" not in err, err[-2000:]
    assert peak is not None and peak < MEMORY_LIMIT_MB, peak


def largest_admitted_file(path) -> bytes:
    """A 附件2 file at the limits: 20,000 new problems with long descriptions, just under 10 MB packed."""
    pick = random.Random(20241125).choice
    words = "企业反映用工困难希望政府协调解决融资问题用地审批进度缓慢供应链上下游配套不足电力接入排污许可技改补贴"

    def text(length):
        return "".join(pick(words) for _ in range(length))

    rows = ([n, None, "甲企业（合成）", None, "用工", text(130), text(70), "工作组（循环园）", date(2024, 9, 12), None, None,
             None, None, None, text(60), "待交办", None, None, None, text(20)] for n in range(1, MAX_ROWS + 1))
    book = workbook()
    table_sheet(book, "问题清单", f"{MILUO}问题清单", "填报单位：工作组（循环园）", list(ANNEX2_COLUMNS), rows)
    book.save(path)
    data = path.read_bytes()
    assert MAX_BYTES * 0.8 < len(data) < MAX_BYTES
    return data


def test_the_largest_admitted_file_imports_within_the_memory_limit(seeded, tmp_path):
    with seeded.app_context():
        scoped_world()  # 甲企业（合成）
    path = tmp_path / "largest.xlsx"
    largest_admitted_file(path)
    status, out, err, peak = flask_command(seeded.config["SQLALCHEMY_DATABASE_URI"], "import", "problems", str(path),
                                           "--campaign", MILUO, "--dry-run")
    assert status == 0, err[-2000:]
    assert f"预检通过：将新增{MAX_ROWS}条" in out
    assert peak is not None and peak < MEMORY_LIMIT_MB, peak


def test_bombs_uploaded_to_the_panel_are_refused_and_the_worker_stays_up(seeded, tmp_path):
    make_user(seeded, "office", "coordinator")
    bombs = {name: make(tmp_path / f"{name}.xlsx").read_bytes() for name, (make, _) in BOMBS.items()}
    with gunicorn(seeded.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=2) as server:
        workers = server.workers()
        before = {pid: memory_mb(pid, "VmRSS") for pid in workers}
        client = Client(server.base)
        assert client.login("office") == 302
        for name, data in bombs.items():
            token = csrf_token(client.request("/admin/import/")[1])
            status, page, _ = client.request("/admin/import/", {"csrf_token": token, "kind": "problems"},
                                             files={"file": (f"{name}.xlsx", data)})
            assert status == 200 and BOMBS[name][1] in page, (name, status, page[-3000:])
        assert client.request("/admin/problem/")[0] == 200
        assert server.workers() == workers  # no worker died and was replaced
        for pid in workers:
            assert memory_mb(pid) - before[pid] < MEMORY_LIMIT_MB
    assert server.log.read_text().count("Booting worker") == 2
