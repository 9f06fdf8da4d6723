"""The HTTP rules of a package download: ranges, validators, the file name.

Plain Python: RFC 9110's ``Range``, ``If-Range``, ``If-None-Match`` and
``If-Modified-Since`` as the download view applies them, RFC 6266's
``Content-Disposition`` (with RFC 5987's ``filename*`` for names that are not
ASCII) and the ``sha256sum`` line of the checksum sidecar.

One range only: a ``Range`` header asking for several is answered with the
whole file (200), as RFC 9110 allows a server to ignore ``Range``. Download
managers and ``curl -C -`` / ``wget -c`` ask for one.
"""

from dataclasses import dataclass
from datetime import datetime
from datetime import UTC
from email.utils import format_datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import re
import unicodedata


# bytes=first-last, bytes=first- and bytes=-suffix (whitespace already removed).
SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
# RFC 5987's attr-char, besides letters and digits: kept as is in filename*.
ATTR_CHARS = "!#$&+-.^_`|~"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Unsatisfiable(ValueError):
    """The range starts at or past the end of the file: answer 416."""


@dataclass(frozen=True)
class ByteRange:
    """A satisfiable byte range of a file of ``size`` bytes; ``end`` is exclusive."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start

    def content_range(self) -> str:
        """The ``Content-Range`` value of a 206 answering this range."""
        return f"bytes {self.start}-{self.end - 1}/{self.size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range a ``Range`` header asks of a file, or None for all of it.

    None for no header, a header that is not a byte range (ignored, as RFC 9110
    says) and several ranges (the whole file is the answer, see the module).

    :param size: the file's length in bytes.
    :raises Unsatisfiable: when the range starts at or past the end of the file,
        or is an empty suffix (``bytes=-0``).
    """
    if not header:
        return None
    match = SINGLE_RANGE.fullmatch("".join(header.split()))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last ``last`` bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable(f"bytes=-{suffix} of a file of {size} bytes")
        return ByteRange(max(size - suffix, 0), size, size)
    start = int(first)
    if last and int(last) < start:
        return None  # invalid: ignored
    if start >= size:
        raise Unsatisfiable(f"bytes={start}- of a file of {size} bytes")
    end = min(int(last) + 1, size) if last else size
    return ByteRange(start, end, size)


def http_date(moment: datetime) -> str:
    """``moment`` as an HTTP date: ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date (any of the three formats) in UTC, or None if it is not one."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def whole_seconds(moment: datetime) -> datetime:
    """``moment`` to the second, as HTTP dates carry it."""
    return moment.astimezone(UTC).replace(microsecond=0)


def entity_tag(token: str) -> str:
    """A strong entity tag, quoted, from a token such as a SHA-256."""
    return f'"{token}"'


def _opaque(tag: str) -> str:
    """An entity tag without its weakness, for the weak comparison."""
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def none_match(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names the current file (then 304 Not Modified).

    RFC 9110 compares weakly here: ``W/"x"`` matches ``"x"``; ``*`` matches any.
    """
    if not header:
        return False
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or _opaque(etag) in {_opaque(tag) for tag in tags}


def not_modified_since(header: str | None, last_modified: datetime) -> bool:
    """Whether ``If-Modified-Since`` is at or after the file's last change."""
    since = parse_http_date(header)
    return since is not None and whole_seconds(last_modified) <= since


def if_range_holds(header: str | None, etag: str, last_modified: datetime) -> bool:
    """Whether a range may be sent under ``If-Range`` (else the whole file, 200).

    Without the header it holds. An entity tag must equal the file's, strongly
    (a weak tag never does); a date must equal its ``Last-Modified``.
    """
    if header is None:
        return True
    value = header.strip()
    if value.startswith('"'):
        return value == etag
    if value.startswith("W/"):
        return False
    moment = parse_http_date(value)
    return moment is not None and moment == whole_seconds(last_modified)


def download_name(filename: str | None, fallback: str) -> str:
    """The name a download is saved as: the stored file name without any folder
    or control character (a sidecar line stays one line), else ``fallback``."""
    name = filename or ""
    name = name[max(name.rfind("/"), name.rfind("\\"), name.rfind(":")) + 1 :]
    name = CONTROL.sub("_", name).strip()
    return name or fallback


def ascii_name(name: str) -> str:
    """An ASCII stand-in for ``name`` for clients that ignore ``filename*``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r'["\\%]', "_", plain).strip()
    return plain or "download"


def content_disposition(name: str) -> str:
    """``attachment`` with the file name, RFC 6266 and RFC 5987 for non-ASCII.

    ``filename`` alone when the name is plain ASCII; otherwise an ASCII
    ``filename`` for old clients and the exact name as ``filename*``.
    """
    plain = ascii_name(name)
    if plain == name:
        return f'attachment; filename="{name}"'
    encoded = quote(name, safe=ATTR_CHARS)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}"


def sha256sum_line(digest: str, name: str) -> str:
    """The line ``sha256sum`` prints for a file, so ``sha256sum -c`` checks it.

    ``name`` comes from ``download_name``: no newline or backslash to escape.
    """
    return f"{digest}  {name}\n"
