"""Read damaged source documents: strip pinyin annotations and convert to simplified Chinese. The conversion is shared
with the imports, which read a name typed in traditional characters as the simplified one it is (imports.cells)."""
import re
from functools import lru_cache

import opencc

TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
# A pinyin syllable in parentheses right after a Chinese character: 穩(wěn) -> 穩
PINYIN_ANNOTATION = re.compile(rf"(?<=[\u3400-\u9fff])\([a-z{TONED}]{{1,7}}\)")


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def strip_annotations(text: str) -> str:
    """Remove parenthesised pinyin that follows Chinese characters."""
    return PINYIN_ANNOTATION.sub("", text)


def simplified(text: str) -> str:
    """The text in simplified Chinese (OpenCC's t2s: 金龍 → 金龙, 發改局 → 发改局); simplified text is left as it is."""
    return _converter().convert(text)


def normalise(text: str) -> str:
    """The text with pinyin annotations removed, in simplified Chinese."""
    return simplified(strip_annotations(text))
