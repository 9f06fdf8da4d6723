"""A byte range of a file as a file of its own, for the WSGI server to send.

Zope hands a response body that is a file object (``io.IOBase``) to the WSGI
server's ``wsgi.file_wrapper``. Waitress hands such a body to its asynchronous
loop, freeing the worker thread at once, only when the file is seekable
(``waitress/task.py``, ``ReadOnlyFileBasedBuffer.prepare`` in
``waitress/buffers.py``); otherwise a worker thread iterates it to the end. The
loop then reads ``get(n)`` from ``tell()``, seeks back, and ``skip``-s forward by
what the socket took. Zope's ``setBody`` measures the body by seeking to its end.

``RangeFile`` is that file for one range of a blob: positions 0 to ``length``
are the blob's bytes ``start`` to ``start + length``, so every reader sees the
range as the whole file and none can read past it. Reads take at most
``CHUNK`` bytes from the disk, and the last chunk read is kept, so the
re-reads of what a slow socket did not take come from memory: each byte of the
range is read from the disk once, and a download holds one chunk of memory.

The kernel's read-ahead does not know where the range ends: asked for the first
MiB of a file not in the page cache, it read 3 MiB from a disk whose
``read_ahead_kb`` is 8192. It is turned off for this open file only
(``POSIX_FADV_RANDOM``), and the file reads ahead itself instead: it asks for
the range's next ``READ_AHEAD`` bytes, read in the background
(``POSIX_FADV_WILLNEED``), and never for a byte past the range's end.

When the server is done with it (all sent, or the client gone) it closes the
file; ``on_close`` is then told how many bytes were sent.
"""

from collections.abc import Callable

import io
import logging
import os


logger = logging.getLogger(__name__)

CHUNK = 1 << 18  # 256 KiB
READ_AHEAD = 8 << 20  # 8 MiB asked of the disk ahead of the reader, at most


class RangeFile(io.RawIOBase):
    """Bytes ``start`` to ``start + length`` of the file at ``path``, seekable."""

    def __init__(
        self,
        path: str,
        start: int,
        length: int,
        on_close: Callable[["RangeFile"], None] | None = None,
        chunk: int = CHUNK,
    ):
        super().__init__()
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self.start = start
        self.length = length
        self.chunk = chunk
        self.read_from_disk = 0
        self._on_close = on_close
        self._position = 0
        self._kept = b""  # the last chunk read from the disk ...
        self._kept_at = 0  # ... and where it starts in the range
        self._asked = 0  # the range's bytes up to here were asked of the disk
        self._advise = getattr(os, "posix_fadvise", None)
        if self._advise is not None:
            self._advise(self._fd, 0, 0, os.POSIX_FADV_RANDOM)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        self._checkClosed()
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move within the range; the end of the range is ``seek(0, SEEK_END)``."""
        self._checkClosed()
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.length}
        if whence not in base:
            raise ValueError(f"invalid whence {whence}")
        position = base[whence] + offset
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._position = position
        return position

    @property
    def sent(self) -> int:
        """The bytes handed to the server so far (read and not sought back)."""
        return min(self._position, self.length)

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (at most one chunk) from here, never past the range."""
        self._checkClosed()
        remaining = self.length - self._position
        if remaining <= 0 or size == 0:
            return b""
        size = min(remaining if size is None or size < 0 else size, remaining)
        size = min(size, self.chunk)
        offset = self._position - self._kept_at
        if 0 <= offset < len(self._kept):
            data = self._kept[offset : offset + size]
        else:
            self._read_ahead()
            data = os.pread(self._fd, size, self.start + self._position)
            self.read_from_disk += len(data)
            self._kept, self._kept_at = data, self._position
        self._position += len(data)
        return data

    def _read_ahead(self) -> None:
        """Ask the disk for the range's next bytes once less than half are asked."""
        if self._advise is None:
            return
        begin = max(self._asked, self._position)
        if begin - self._position >= READ_AHEAD // 2:
            return
        end = min(self._position + READ_AHEAD, self.length)
        if end > begin:
            self._advise(
                self._fd, self.start + begin, end - begin, os.POSIX_FADV_WILLNEED
            )
            self._asked = end

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        """A chunk, for servers without ``wsgi.file_wrapper`` (not lines)."""
        data = self.read(self.chunk)
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        """Close the file, then tell ``on_close`` (once) what was sent."""
        if self.closed:
            return
        try:
            os.close(self._fd)
        finally:
            self._kept = b""
            super().close()
            on_close, self._on_close = self._on_close, None
            if on_close is not None:
                try:
                    on_close(self)
                except Exception:
                    # The server's loop calls this: never let it fail there.
                    logger.exception("after a download of %d bytes", self.sent)
