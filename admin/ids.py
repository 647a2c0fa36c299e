"""Primary keys from URLs and forms."""

MAX_ID = 2**31 - 1


def parse_id(value) -> int | None:
    """A primary key from user input, or None when it is not a plain positive integer in range."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None
