"""The submission's receipt as a picture an enterprise can keep (long-press to save in a phone's browser): the
campaign, the 受理编号, the 查询码 and where to look it up. Drawn with Pillow in the system's CJK font (Debian's
fonts-noto-cjk, or another listed below); without one, the labels fall back to Latin letters."""
from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
         "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "C:/Windows/Fonts/msyh.ttc")
WIDTH, HEIGHT = 720, 420


@cache
def font(size: int):
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size), False


def receipt_png(campaign: str, number: str, code: str) -> bytes:
    picture = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(picture)
    small, cjk = font(24)
    big, _ = font(40)
    draw.rectangle((8, 8, WIDTH - 9, HEIGHT - 9), outline="#1f5fa8", width=4)
    lines = ([(campaign[:26], small, "#333333"), ("诉求受理回执", big, "#1f5fa8"), (f"受理编号：{number}", big, "#000000"),
              (f"查询码：{code}", big, "#b00020"), ("请妥善保存查询码，它只显示这一次。", small, "#333333"),
              ("凭受理编号和查询码在“进展查询”中查看办理情况并评价。", small, "#333333")]
             if cjk else [("Receipt", big, "#1f5fa8"), (f"No. {number}", big, "#000000"),
                          (f"Code {code}", big, "#b00020"), ("Keep the code: it is shown only once.", small, "#333333")])
    y = 32
    for text, face, colour in lines:
        draw.text((36, y), text, font=face, fill=colour)
        y += face.size + 26
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=1)  # speed over size: the picture is made once per submission
    return out.getvalue()
