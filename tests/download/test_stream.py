"""The bounded, seekable file waitress streams (downloads/stream.py)."""

from belspo.pleiades.downloads.stream import CHUNK
from belspo.pleiades.downloads.stream import RangeFile
from waitress.buffers import ReadOnlyFileBasedBuffer

import io
import os
import pytest
import random
import shutil
import subprocess


MIB = 1 << 20


@pytest.fixture
def blob(tmp_path):
    """A 4 MiB file of known bytes."""
    path = tmp_path / "package.zip"
    path.write_bytes(random.Random(7).randbytes(4 * MIB))
    return path


def test_the_range_is_the_whole_file_to_its_readers(blob):
    data = blob.read_bytes()
    body = RangeFile(str(blob), MIB, 100)
    assert body.seekable() and body.readable()
    assert body.seek(0, io.SEEK_END) == 100  # as Zope's setBody measures it
    assert body.seek(0) == 0
    assert body.read(40) == data[MIB : MIB + 40]
    assert body.tell() == 40
    assert body.read() == data[MIB + 40 : MIB + 100]
    assert body.read() == b""  # never past the range
    body.seek(1000)
    assert body.read(10) == b""
    with pytest.raises(ValueError):
        body.seek(-1)
    body.close()


def test_iteration_gives_chunks_not_lines(blob):
    data = blob.read_bytes()
    with RangeFile(str(blob), 0, 3 * MIB) as body:
        chunks = list(body)
    assert b"".join(chunks) == data[: 3 * MIB]
    assert max(map(len, chunks)) == CHUNK


def send_like_waitress(body: RangeFile, accepts: list[int]) -> bytes:
    """What waitress's channel does with a file body: ``get`` from ``tell()``,
    send, ``skip`` what the socket took (here, ``accepts`` bytes in turn)."""
    buffer = ReadOnlyFileBasedBuffer(body)
    remaining = buffer.prepare(body.length)
    sent = []
    for accepted in accepts * (body.length // min(accepts) + 1):
        if not remaining:
            break
        chunk = buffer.get(2_626_560)  # a loopback socket's send buffer
        taken = chunk[:accepted]
        sent.append(taken)
        buffer.skip(len(taken), True)
        remaining -= len(taken)
    buffer.close()
    return b"".join(sent)


def test_waitress_sends_the_range_and_each_byte_is_read_once(blob):
    data = blob.read_bytes()
    closed = []
    body = RangeFile(str(blob), 123, MIB, on_close=closed.append)
    # A slow socket: it takes a little at a time, waitress re-reads the rest.
    assert send_like_waitress(body, [5000, 70_000, 333]) == data[123 : 123 + MIB]
    assert body.read_from_disk == MIB
    assert closed == [body]
    assert body.sent == MIB


def test_a_client_gone_early_is_told_on_close(blob):
    told = []
    body = RangeFile(str(blob), 0, 4 * MIB, on_close=lambda b: told.append(b.sent))
    buffer = ReadOnlyFileBasedBuffer(body)
    buffer.prepare(body.length)
    buffer.get(65536)
    buffer.skip(1000, True)
    buffer.close()  # waitress's handle_close
    body.close()  # closing again does not record twice
    assert told == [1000]


def test_a_failing_hook_does_not_break_the_server(blob, caplog):
    def broken(body):
        raise RuntimeError("disk on fire")

    RangeFile(str(blob), 0, 10, on_close=broken).close()
    assert "disk on fire" in caplog.text


def test_the_file_descriptor_is_closed(blob):
    body = RangeFile(str(blob), 0, 10)
    fd = body._fd
    body.close()
    with pytest.raises(OSError):
        os.fstat(fd)


def cached_bytes(path) -> int:
    """How many bytes of the file are in the page cache (util-linux's fincore)."""
    result = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--output", "RES", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.split()[0])


@pytest.mark.skipif(shutil.which("fincore") is None, reason="needs fincore")
def test_a_range_reads_nothing_past_its_end_from_the_disk(tmp_path):
    path = tmp_path / "package.zip"
    data = random.Random(8).randbytes(32 * MIB)
    path.write_bytes(data)
    descriptor = os.open(path, os.O_RDONLY)
    os.fsync(descriptor)
    os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(descriptor)
    if cached_bytes(path):
        pytest.skip("this filesystem keeps the file in the page cache")
    body = RangeFile(str(path), 4 * MIB, MIB)
    assert send_like_waitress(body, [65536]) == data[4 * MIB : 5 * MIB]
    # The kernel's read-ahead alone would have read megabytes past the range.
    assert cached_bytes(path) == MIB
