"""Error signatures and the masking of personal data, written independently of the dbt
macros (macros/error_signature.sql, macros/personal_data.sql): no regular expression,
only scanners that walk the text a character at a time, each rule finding its matches
leftmost first and resuming after each, as a global replace does. The oracles of the
mart tests use them, so a wrong pattern in a macro shows as a difference.
"""

from __future__ import annotations

from collections.abc import Callable

SPACE = " \t\n\r\f\v"
DIGITS = "0123456789"
HEX = DIGITS + "abcdef"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
WORD = LETTERS + DIGITS + "_"

# A rule: (text lower-cased, position) -> end of a match starting there, or None.
Matcher = Callable[[str, int], "int | None"]


def _run(text: str, i: int, chars: str) -> int:
    """End of the run of `chars` starting at i."""
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _replace_all(
    text: str, match: Matcher, placeholder: Callable[[str], str] | str, ignore_case: bool = True
) -> str:
    seen, out, i = text.lower() if ignore_case else text, [], 0
    while i < len(text):
        end = match(seen, i)
        if end is not None and end > i:
            out.append(placeholder(text[i:end]) if callable(placeholder) else placeholder)
            i = end
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# -- the tokens of METRICS.md's signature --------------------------------------------------
def uuid_at(t: str, i: int) -> int | None:
    for length in (8, 4, 4, 4, 12):
        if _run(t, i, HEX) - i < length:
            return None
        i += length
        if length != 12:
            if i >= len(t) or t[i] != "-":
                return None
            i += 1
    return i


def _domain_end(t: str, i: int) -> int | None:
    """The longest prefix of t[i:] shaped label(.label)*.tld, tld two letters or more."""
    run = t[i : _run(t, i, LETTERS + DIGITS + "-.")]
    for end in range(len(run), 0, -1):
        parts = run[:end].split(".")
        if len(parts) < 2 or any(not p for p in parts):
            continue
        tld = parts[-1]
        if len(tld) >= 2 and all(c in LETTERS for c in tld):
            return i + end
    return None


def email_at(t: str, i: int) -> int | None:
    local_end = _run(t, i, LETTERS + DIGITS + "._%+-")
    if local_end == i or local_end >= len(t) or t[local_end] != "@":
        return None
    return _domain_end(t, local_end + 1)


def url_at(t: str, i: int) -> int | None:
    for scheme in ("http://", "https://"):
        if t.startswith(scheme, i):
            start = i + len(scheme)
            end = start
            while end < len(t) and t[end] not in SPACE:
                end += 1
            return end if end > start else None
    return None


def ipv4_at(t: str, i: int) -> int | None:
    for group in range(4):
        end = _run(t, i, DIGITS)
        if end == i:
            return None
        if group < 3:
            if end - i > 3 or end >= len(t) or t[end] != ".":
                return None
            i = end + 1
        else:
            return i + min(end - i, 3)
    return None


def hex_at(t: str, i: int) -> int | None:
    end = _run(t, i, HEX)
    return end if end - i >= 8 else None


def quoted_at(t: str, i: int) -> int | None:
    if t[i] in "'\"":
        close = t.find(t[i], i + 1)
        return close + 1 if close >= 0 else None
    return None


def number_at(t: str, i: int) -> int | None:
    end = _run(t, i, DIGITS)
    if end == i:
        return None
    if end + 1 < len(t) and t[end] == "." and t[end + 1] in DIGITS:
        end = _run(t, end + 1, DIGITS)
    return end


def signature(message: str | None) -> str | None:
    """METRICS.md: lower-case; UUIDs, e-mails, URLs, IPv4, hex runs, quoted strings and
    numbers replaced in this order; white space collapsed; trimmed; 200 characters.
    Personal data and secrets are masked first (flowmart's privacy rule)."""
    if message is None:
        return None
    text = mask_personal_data(message).lower()
    for match, placeholder in (
        (uuid_at, "<uuid>"),
        (email_at, "<email>"),
        (url_at, "<url>"),
        (ipv4_at, "<ip>"),
        (hex_at, "<hex>"),
        (quoted_at, "<str>"),
        (number_at, "<n>"),
    ):
        text = _replace_all(text, match, placeholder)
    words, word = [], ""
    for c in text:
        if c in SPACE:
            if word:
                words.append(word)
            word = ""
        else:
            word += c
    if word:
        words.append(word)
    return " ".join(words)[:200]


# -- personal data and secrets ---------------------------------------------------------
def _word_start(t: str, i: int) -> bool:
    return i == 0 or t[i - 1] not in WORD


def credentials_at(t: str, i: int) -> int | None:
    """scheme://user:password@ : the userinfo, scheme kept."""
    if t[i] not in LETTERS:
        return None
    scheme_end = _run(t, i, LETTERS + DIGITS + "+.-")
    if not t.startswith("://", scheme_end):
        return None
    start = end = scheme_end + 3
    while end < len(t) and t[end] not in "/@" + SPACE:
        end += 1
    return end + 1 if end > start and end < len(t) and t[end] == "@" else None


def bearer_at(t: str, i: int) -> int | None:
    if not _word_start(t, i):
        return None
    for word in ("bearer", "basic"):
        if t.startswith(word, i):
            gap = _run(t, i + len(word), SPACE)
            if gap == i + len(word):
                return None
            end = _run(t, gap, LETTERS + DIGITS + "._~+/=-")
            return end if end - gap >= 8 else None
    return None


def jwt_at(original: str, i: int) -> int | None:
    chars = LETTERS + LETTERS.upper() + DIGITS + "_-"
    if not original.startswith("eyJ", i):
        return None
    end = _run(original, i + 3, chars)
    if end == i + 3 or end >= len(original) or original[end] != ".":
        return None
    second = _run(original, end + 1, chars)
    if second == end + 1 or second >= len(original) or original[second] != ".":
        return None
    return _run(original, second + 1, chars)


API_KEY_SHAPES = (  # prefix, characters after it, fewest of them, exactly that many
    ("akia", LETTERS + DIGITS, 16, True),
    ("ghp_", LETTERS + DIGITS, 20, False),
    ("gho_", LETTERS + DIGITS, 20, False),
    ("ghu_", LETTERS + DIGITS, 20, False),
    ("ghs_", LETTERS + DIGITS, 20, False),
    ("ghr_", LETTERS + DIGITS, 20, False),
    ("xoxa-", LETTERS + DIGITS + "-", 10, False),
    ("xoxb-", LETTERS + DIGITS + "-", 10, False),
    ("xoxp-", LETTERS + DIGITS + "-", 10, False),
    ("xoxr-", LETTERS + DIGITS + "-", 10, False),
    ("xoxs-", LETTERS + DIGITS + "-", 10, False),
    ("aiza", LETTERS + DIGITS + "_-", 30, False),
    ("glpat-", LETTERS + DIGITS + "_-", 20, False),
)


def api_key_at(t: str, i: int) -> int | None:
    if not _word_start(t, i):
        return None
    if t[i : i + 2] in ("sk", "pk", "rk") and i + 2 < len(t) and t[i + 2] in "-_":
        start = i + 3
        for env in ("live", "test", "proj"):
            if t.startswith(env, start) and start + 4 < len(t) and t[start + 4] in "-_":
                end = _run(t, start + 5, LETTERS + DIGITS)
                if end - (start + 5) >= 16:
                    return end
        end = _run(t, start, LETTERS + DIGITS)
        return end if end - start >= 16 else None
    for prefix, chars, fewest, exact in API_KEY_SHAPES:
        if t.startswith(prefix, i):
            start = i + len(prefix)
            end = _run(t, start, chars)
            if end - start >= fewest:
                return start + fewest if exact else end
    return None


SECRET_KEYS = (  # in the macro's order: the first with which the whole rule fits wins
    *("password", "passwd", "pwd", "pass", "secret", "client_secret", "token"),
    *("access_token", "refresh_token", "id_token", "api_key", "api-key", "apikey"),
    *("access_key", "access-key", "accesskey", "secret_key", "secret-key", "secretkey"),
    *("private_key", "private-key", "privatekey", "auth_token", "auth-token", "authtoken"),
    *("session_id", "session-id", "sessionid"),
)


def _secret_value(t: str, i: int) -> tuple[int, int] | None:
    """key=value, key: value, "key": "value" at i: (where the value starts, its end)."""
    if i > 0 and t[i - 1] in LETTERS + DIGITS:
        return None
    for key in SECRET_KEYS:
        if not t.startswith(key, i):
            continue
        j = i + len(key)
        if j < len(t) and t[j] in "\"'":
            j += 1
        j = _run(t, j, SPACE)
        if j >= len(t) or t[j] not in ":=":
            continue
        j = _run(t, j + 1, SPACE)
        if j < len(t) and t[j] in "\"'":
            j += 1
        end = j
        while end < len(t) and t[end] not in SPACE + "\"'&,;)}":
            end += 1
        if end > j:
            return j, end
    return None


def secret_value_at(t: str, i: int) -> int | None:
    found = _secret_value(t, i)
    return found[1] if found else None


def _secret_placeholder(matched: str) -> str:
    """The key and its separator as they were, the value masked."""
    value_start, _ = _secret_value(matched.lower(), 0)
    return matched[:value_start] + "<secret>"


def _hex_groups(t: str, i: int, count_max: int) -> list[int]:
    """Ends of successive `hhhh:` groups from i (at most count_max)."""
    ends = []
    while len(ends) < count_max:
        end = _run(t, i, HEX)
        if not 1 <= end - i <= 4 or end >= len(t) or t[end] != ":":
            break
        ends.append(end + 1)
        i = end + 1
    return ends


def _boundary_after(t: str, end: int) -> bool:
    return end >= len(t) or t[end] not in WORD


def ipv6_at(t: str, i: int) -> int | None:
    if not _word_start(t, i):
        return None
    groups = _hex_groups(t, i, 7)
    if len(groups) == 7:  # eight groups
        end = _run(t, groups[-1], HEX)
        if 1 <= end - groups[-1] <= 4 and _boundary_after(t, end):
            return end
    for used in range(min(len(groups), 6), 0, -1):  # h:h::h:h, a "::" inside
        j, tail = groups[used - 1], 0
        while tail < 6 and j < len(t) and t[j] == ":":
            end = _run(t, j + 1, HEX)
            if not 1 <= end - (j + 1) <= 4:
                break
            j, tail = end, tail + 1
        if tail and _boundary_after(t, j):
            return j
    return None


def loopback_ipv6_at(t: str, i: int) -> int | None:
    """::1, ::ffff:a00:1 (a "::" first), not preceded by a letter, digit or colon."""
    if not t.startswith("::", i) or (i > 0 and t[i - 1] in LETTERS + DIGITS + ":"):
        return None
    groups = _hex_groups(t, i + 2, 6)
    for start in [*reversed(groups), i + 2]:  # the most groups first, as a greedy match
        run_end = _run(t, start, HEX)
        for end in range(min(run_end, start + 4), start, -1):
            if _boundary_after(t, end):
                return end
    # nothing after the "::": a match only when a word starts right after it
    return i + 2 if i + 2 < len(t) and t[i + 2] in WORD else None


def mask_personal_data(text: str | None) -> str | None:
    """macros/personal_data.sql's rules, in its order (JWTs only where case matters)."""
    if text is None:
        return None
    for match, placeholder, ignore_case in (
        (credentials_at, lambda m: m[: m.index("://") + 3] + "<credentials>@", True),
        (bearer_at, lambda m: m[: 6 if m.lower().startswith("bearer") else 5] + " <token>", True),
        (jwt_at, "<token>", False),
        (api_key_at, "<key>", True),
        (secret_value_at, _secret_placeholder, True),
        (email_at, "<email>", True),
        (ipv4_at, "<ip>", True),
        (ipv6_at, "<ip>", True),
        (loopback_ipv6_at, "<ip>", True),
    ):
        text = _replace_all(text, match, placeholder, ignore_case)
    return text


PLACEHOLDERS = ("<credentials>", "<token>", "<key>", "<secret>", "<email>", "<ip>")


def remove_personal_data(text: str | None) -> str | None:
    """Masked, then without the placeholders: for text cut into words (feedback)."""
    masked = mask_personal_data(text)
    if masked is None:
        return None
    for placeholder in PLACEHOLDERS:
        masked = masked.replace(placeholder, " ")
    return masked
