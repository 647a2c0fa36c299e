"""统一社会信用代码 (GB 32100-2015) validation."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The 18th (check) character for the first 17 characters of a code."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_error(code: str) -> str | None:
    """A Chinese message saying why `code` is not a valid 统一社会信用代码, or None if it is."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，当前为{len(code)}位"
    bad = [c for c in code if c not in ALPHABET]
    if bad:
        return f"统一社会信用代码含有不允许的字符“{bad[0]}”（只允许数字和除I、O、Z、S、V以外的大写字母）"
    if check_character(code[:17]) != code[17]:
        return f"统一社会信用代码校验位错误：第18位应为“{check_character(code[:17])}”"
    return None
