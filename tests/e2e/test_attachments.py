"""附件 in a real browser: a camera-sized photo is shrunk before upload (longest side 1600 px, a few hundred KB), a
file of a refused type is named before anything is sent and the typed text stays, the viewer opens a picture with
上一张/下一张; the portal's form shrinks photos too."""
from __future__ import annotations

import io
import random

import pytest
from PIL import Image
from sqlalchemy import select

from models import Appeal, Attachment, ProblemUpdate, db
from tests.e2e.conftest import log_in
from tests.factories import scoped_world


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


def camera_photo(path, size=(4032, 3024)) -> int:
    """A JPEG as large as a phone camera's (a scene with sensor noise, which compresses as badly as a real one: about
    6 MB): its size in bytes."""
    rng = random.Random(7)
    scene = Image.new("RGB", (size[0] // 32, size[1] // 32))
    scene.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(scene.width * scene.height)])
    noise = Image.effect_noise(size, 40).convert("RGB")
    Image.blend(scene.resize(size, Image.BILINEAR), noise, 0.25).save(path, "JPEG", quality=95)
    return path.stat().st_size


def test_a_handler_sends_a_shrunk_photo_with_progress_and_views_it(page, users, world, seeded, tmp_path):
    photo = tmp_path / "IMG_0001.jpg"
    original = camera_photo(photo)
    assert original > 5 * 1024 * 1024
    refused = tmp_path / "说明.exe"
    refused.write_bytes(b"MZ" + b"\0" * 100)
    log_in(page, "handler")
    page.goto(page.base + f"/admin/problem/step/progress/?id={world['PA2'][1]}")
    assert page.locator("label.attach-button", has_text="选择照片或文件").count() == 1
    assert page.locator("input[capture=environment]").count() == 1  # 拍照 on a phone
    page.fill("#note", "现场核实，附照片")
    page.set_input_files("#ui_files", [str(refused)])
    status = page.locator("#ui_files-status")
    status.wait_for()
    assert "“说明.exe”的类型不能上传" in status.inner_text()
    page.click(".step-buttons button[type=submit]")
    assert "/step/progress/" in page.url and page.input_value("#note") == "现场核实，附照片"  # not sent
    with seeded.app_context():
        assert db.session.scalar(select(ProblemUpdate.id).where(ProblemUpdate.step == "progress")) is None
    heic = tmp_path / "IMG_0002.HEIC"
    heic.write_bytes(b"\0\0\0\x18ftypheic" + b"\0" * 100)
    page.set_input_files("#ui_files", [str(heic)])
    page.wait_for_function("document.getElementById('ui_files-status').textContent.indexOf('HEIC') > 0")
    page.set_input_files("#ui_files", [str(photo)])
    page.wait_for_function("document.getElementById('ui_files-status').textContent.indexOf('已选') === 0")
    page.click(".step-buttons button[type=submit]")
    page.wait_for_url("**/admin/problem/details/**")
    with seeded.app_context():
        stored = db.session.scalars(select(Attachment)).one()
        picture = Image.open(io.BytesIO(stored.data))
        assert max(picture.size) == 1600 and stored.size < 600 * 1024 and stored.name == "IMG_0001.jpg"
    page.click(".attach-image")
    viewer = page.locator(".viewer")
    assert viewer.is_visible() and "IMG_0001.jpg" in viewer.inner_text()
    page.keyboard.press("Escape")
    assert not viewer.is_visible()


def test_the_portal_shrinks_photos_before_upload(page, seeded, tmp_path):
    photo = tmp_path / "照片.jpg"
    original = camera_photo(photo, (3000, 4000))
    page.goto(page.base + "/portal/SJY/")
    page.fill("#enterprise_name", "汨罗测试企业有限公司")
    page.fill("#credit_code", "91110000600037341L")
    page.fill("#contact", "张三")
    page.fill("#phone", "13812345678")
    page.fill("#description", "厂区门口道路破损，货车进出困难，希望协调修复。")
    page.set_input_files("#files", [str(photo)])
    page.wait_for_function("(document.getElementById('files-status') || {}).textContent && "
                           "document.getElementById('files-status').textContent.indexOf('已选') === 0")
    page.click("#submit-appeal")
    page.wait_for_url("**/portal/done**")
    with seeded.app_context():
        appeal = db.session.scalars(select(Appeal)).one()
        kept = appeal.files[0]
        assert kept.size < 600 * 1024 and original > 5 * 1024 * 1024 and max(Image.open(io.BytesIO(kept.data)).size) == 1600
