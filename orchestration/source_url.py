"""Where the platform's source database is: one URL, parsed the same way everywhere.

Demo generation writes to it and extraction reads from it, so both must agree on what a
URL means, relative SQLite paths included.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, NamedTuple
from urllib.parse import unquote

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
MASK = "***"
# Where a libpq connection string holds a secret (mask_url masks all three):
# 1. URL userinfo, scheme://user:PASSWORD@host (where it ends: _userinfo_password).
_USERINFO_HEAD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:")
_QUERY_STRING = re.compile(r"[^=&#\s]+=[^&#\s]*(?:&[^=&#\s]+=[^&#\s]*)*(?:#\S*)?")
_LIBPQ_USERINFO_END = re.compile(r"[@/]")  # libpq: the first @, unless a / comes first
# 2. URL query parameters ?password=...&sslpassword=... (libpq percent-decodes names too).
_QUERY_PARAMETER = re.compile(r"(?P<head>[?&](?P<name>[^=&#\s]*)=)(?P<value>[^&#\s]*)")
# 3. keyword/value strings: host=h password=PASSWORD, or password = 'quoted \' value'.
_KEYWORD_PASSWORD = re.compile(
    r"(?P<head>(?<![^\s'\"(,;])(?:ssl)?password\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'?|\S*)",
    re.IGNORECASE,
)
_SECRET_PARAMETERS = ("password", "sslpassword")


class SourceLocation(NamedTuple):
    """kind 'sqlite': target is an absolute file path; 'postgresql': the URL as given."""

    kind: Literal["sqlite", "postgresql"]
    target: str


def parse_source_url(url: str) -> SourceLocation:
    """`sqlite:///relative/path`, `sqlite:////absolute/path` or `postgresql://...`.

    A relative SQLite path is resolved against the current working directory.
    """
    if url.startswith(SQLITE_PREFIX):
        path = url.removeprefix(SQLITE_PREFIX)
        if not path or path.endswith("/"):
            raise ValueError(f"SQLite source URL without a file name: {url!r}")
        return SourceLocation("sqlite", str(Path(path).resolve()))
    if url.startswith(POSTGRES_PREFIXES):
        _check_postgres_url(url)
        return SourceLocation("postgresql", url)
    raise ValueError(
        f"unsupported source URL {mask_url(url)!r}: expected sqlite:///relative/path.sqlite, "
        "sqlite:////absolute/path.sqlite or postgresql://user:password@host:port/database"
    )


def _check_postgres_url(url: str) -> None:
    """Refuse a URL that libpq would cut elsewhere than mask_url does: it would quote the
    pieces of such a password in its errors, as a "host name" or a "port"."""
    # The errors do not show the URL: where its password ends is anyone's guess.
    if any(c.isspace() for c in url):
        raise ValueError("the PostgreSQL source URL contains white space: percent-encode it")
    head = _USERINFO_HEAD.match(url)
    masked = _userinfo_password(url, head.end()) if head else None
    authority = url.index("://") + 3
    stop = _LIBPQ_USERINFO_END.search(url, authority)
    libpq = None
    if stop and stop[0] == "@" and (colon := url.find(":", authority, stop.start())) >= 0:
        libpq = (colon + 1, stop.start())
    if masked != libpq:
        raise ValueError(
            "the PostgreSQL source URL has an unencoded @ or / in its user name, password or "
            "database name: percent-encode them (%40, %2F)"
        )


def _userinfo_password(text: str, start: int) -> tuple[int, int] | None:
    """Where the password that starts at `start` (after scheme://user:) ends: at the last
    @ before the query string, or else before the next white space. libpq accepts a
    password with unencoded ? : # and more, so its first @ is not necessarily the end."""
    end = start
    while end < len(text) and not text[end].isspace():
        end += 1
    slash = text.find("/", start, end)
    query = text.find("?", slash, end) if slash >= 0 else -1
    if query >= 0 and not _QUERY_STRING.fullmatch(text, query + 1, end):
        query = -1  # a ? of the password's, as in user:pa/ss?word@host
    at = text.rfind("@", start, query if query >= 0 else end)
    return (start, at) if at >= 0 else None


def _mask_userinfo(text: str) -> str:
    pieces, done = [], 0
    for head in _USERINFO_HEAD.finditer(text):
        span = _userinfo_password(text, head.end()) if head.start() >= done else None
        if span:
            pieces += [text[done : span[0]], MASK]
            done = span[1]
    return "".join([*pieces, text[done:]])


def _mask_parameter(match: re.Match[str]) -> str:
    if unquote(match["name"]).lower() in _SECRET_PARAMETERS:
        return match["head"] + MASK
    return match[0]


def mask_url(text: str) -> str:
    """The text with every connection-string password replaced by ***: safe for logs,
    errors and metadata. Masks URL userinfo (postgresql://user:***@host), the
    `?password=***` and `sslpassword` query parameters and the `password=***` of libpq
    keyword/value strings, wherever they appear in the text."""
    text = _mask_userinfo(text)
    text = _QUERY_PARAMETER.sub(_mask_parameter, text)
    return _KEYWORD_PASSWORD.sub(rf"\g<head>{MASK}", text)


def display_url(url: str) -> str:
    """A source URL for output: mask_url's, or only its scheme when it is so malformed
    (white space, unencoded @ or /) that where its password ends is anyone's guess."""
    if url.startswith(POSTGRES_PREFIXES):
        try:
            _check_postgres_url(url)
        except ValueError:
            return f"{url.partition('://')[0]}://(malformed URL, not shown)"
    return mask_url(url)


def url_secrets(url: str) -> list[str]:
    """The passwords a source URL holds, as written and percent-decoded, longest first."""
    found = []
    head = _USERINFO_HEAD.match(url)
    if head and (span := _userinfo_password(url, head.end())):
        found.append(url[span[0] : span[1]])
    found += [
        m["value"]
        for m in _QUERY_PARAMETER.finditer(url)
        if unquote(m["name"]).lower() in _SECRET_PARAMETERS
    ]
    for m in _KEYWORD_PASSWORD.finditer(url):
        value = m["value"]
        if value.startswith("'"):
            value = re.sub(r"\\(.)", r"\1", value[1:].removesuffix("'"))
        found.append(value)
    decoded = [unquote(secret) for secret in found]
    return sorted({s for s in found + decoded if s}, key=len, reverse=True)


def redact(text: str, url: str) -> str:
    """mask_url(text), and every password of `url` removed wherever else it appears:
    drivers quote the parts of a connection string they cannot parse."""
    text = mask_url(text)
    for secret in url_secrets(url):
        text = text.replace(secret, MASK)
    return text


class RedactedError(RuntimeError):
    """An error whose text showed a source password, raised again with it masked."""


def _exception_texts(exc: BaseException) -> Iterator[str]:
    """What a traceback shows of exc and of every exception chained to it."""
    pending: list[BaseException | None] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield "".join(traceback.format_exception_only(type(current), current))
        pending.append(current.__cause__)
        if not current.__suppress_context__:
            pending.append(current.__context__)
        if isinstance(current, BaseExceptionGroup):
            pending += current.exceptions


@contextmanager
def redacted_errors(url: str) -> Iterator[None]:
    """No exception leaves the block showing a password of `url`, in its message or a
    chained one: such an exception is replaced by a RedactedError of its redacted text
    (chain dropped); any other passes untouched."""
    try:
        yield
    except Exception as exc:
        if all(redact(text, url) == text for text in _exception_texts(exc)):
            raise
        raise RedactedError(redact(f"{type(exc).__name__}: {exc}", url)) from None
