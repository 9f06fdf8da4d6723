"""Read deliveries safely and archive packages in one read pass (no Zope imports).

A product's package is one zip file. A delivery zip that holds a single product
*is* its package: it is linked into blob storage, not copied, and read once to
compute the SHA-256 of the package and of every file in it. Otherwise the
product's files are written once into a new stored zip, hashed on the way.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from functools import partial
from pathlib import Path
from pathlib import PurePosixPath

import hashlib
import os
import stat
import struct
import zipfile
import zlib


CHUNK = 1 << 20  # 1 MiB: large enough for hashlib to release the GIL


class DeliveryError(ValueError):
    """A delivery that cannot be archived; the message says why."""


@dataclass(frozen=True)
class Limits:
    """What a delivery zip may hold before it is refused as a bomb."""

    max_members: int = 20_000
    max_total_size: int = 256 << 30  # uncompressed bytes
    max_ratio: int = 200  # uncompressed / compressed, per compressed member
    ratio_floor: int = 1 << 20  # members smaller than this are not ratio-checked


@dataclass
class FileEntry:
    """One file of a package, as the manifest records it."""

    path: str
    size: int
    sha256: str

    def as_dict(self) -> dict:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass
class Package:
    """A package file ready to be archived, with its checksums."""

    path: Path
    size: int
    sha256: str
    manifest: list[FileEntry] = field(default_factory=list)


def safe_member_path(name: str) -> PurePosixPath:
    """The member's path, refused if it could land outside the extraction root.

    :raises DeliveryError: for absolute paths, drive letters, ``..`` and NULs.
    """
    if "\x00" in name or "\\" in name:
        raise DeliveryError(f"zip member {name!r}: invalid characters in its path")
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise DeliveryError(f"zip member {name!r}: absolute path (zip slip)")
    if ".." in path.parts:
        raise DeliveryError(f"zip member {name!r}: '..' in its path (zip slip)")
    return path


def check_zip(path: Path, limits: Limits = Limits()) -> list[zipfile.ZipInfo]:
    """The members of a delivery zip, after checking it is safe to read.

    :raises DeliveryError: for a truncated or invalid zip, zip slip, symbolic
        links, duplicate names, too many members, too much data or a member
        compressed suspiciously well (a zip bomb).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise DeliveryError(f"{path.name}: not a readable zip ({error})") from None
    if len(infos) > limits.max_members:
        raise DeliveryError(f"{path.name}: more than {limits.max_members} members")
    seen, total = set(), 0
    for info in infos:
        name = str(safe_member_path(info.filename))
        if stat.S_ISLNK(info.external_attr >> 16):
            raise DeliveryError(f"zip member {info.filename!r}: a symbolic link")
        if name in seen:
            raise DeliveryError(f"zip member {info.filename!r}: present twice")
        seen.add(name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise DeliveryError(
                f"zip member {info.filename!r}: unsupported compression"
            )
        total += info.file_size
        if total > limits.max_total_size:
            raise DeliveryError(
                f"{path.name}: more than {limits.max_total_size} bytes uncompressed"
            )
        if (
            info.compress_type == zipfile.ZIP_DEFLATED
            and info.file_size > limits.ratio_floor
            and info.file_size > limits.max_ratio * max(info.compress_size, 1)
        ):
            raise DeliveryError(
                f"zip member {info.filename!r}: compressed {info.file_size} to "
                f"{info.compress_size} bytes, a zip bomb"
            )
    return infos


def _data_offset(handle, info: zipfile.ZipInfo) -> int:
    """Where a member's data starts: after its local header."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise DeliveryError(f"zip member {info.filename!r}: damaged local header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_length + extra_length


class _Member:
    """A member being hashed as its bytes stream past."""

    def __init__(self, info: zipfile.ZipInfo, start: int):
        self.info = info
        self.start = start
        self.end = start + info.compress_size
        self.sha = hashlib.sha256()
        self.crc = 0
        self.size = 0
        self.inflate = (
            zlib.decompressobj(-15)
            if info.compress_type == zipfile.ZIP_DEFLATED
            else None
        )

    def feed(self, data: bytes) -> None:
        if self.inflate is not None:
            data = self.inflate.decompress(data)
        self.sha.update(data)
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)

    def entry(self) -> FileEntry:
        if self.inflate is not None:
            self.feed(b"")
            rest = self.inflate.flush()
            self.sha.update(rest)
            self.crc = zlib.crc32(rest, self.crc)
            self.size += len(rest)
        if self.size != self.info.file_size or self.crc != self.info.CRC:
            raise DeliveryError(
                f"zip member {self.info.filename!r}: damaged (checksum mismatch)"
            )
        return FileEntry(self.info.filename, self.size, self.sha.hexdigest())


def hash_zip(path: Path, infos: list[zipfile.ZipInfo]) -> Package:
    """Checksum a zip and every file in it, reading the zip once.

    The package's hash runs in a second thread (hashlib releases the GIL), so
    the pass costs about one SHA-256 of the file on two cores.

    :raises DeliveryError: if a member's data does not match its CRC or size.
    """
    files = [i for i in infos if not i.is_dir()]
    with open(path, "rb") as handle:
        members = sorted(
            (_Member(info, _data_offset(handle, info)) for info in files),
            key=lambda m: m.start,
        )
        handle.seek(0)
        package = hashlib.sha256()
        position, index = 0, 0
        with ThreadPoolExecutor(max_workers=1) as hasher:
            pending = None
            while chunk := handle.read(CHUNK):
                if pending is not None:
                    pending.result()
                pending = hasher.submit(package.update, chunk)
                end = position + len(chunk)
                while index < len(members) and members[index].start < end:
                    member = members[index]
                    low = max(member.start, position) - position
                    high = min(member.end, end) - position
                    if high > low:
                        member.feed(chunk[low:high])
                    if member.end > end:
                        break
                    index += 1
                position = end
            if pending is not None:
                pending.result()
    manifest = [m.entry() for m in members]
    return Package(path, position, package.hexdigest(), sorted(manifest, key=_by_path))


def _by_path(entry: FileEntry) -> str:
    return entry.path


class _HashingWriter:
    """A write-only, unseekable file that hashes what goes through it.

    Unseekable on purpose: zipfile then writes data descriptors instead of
    seeking back to patch headers, so the hash covers the bytes as they are.
    """

    def __init__(self, handle):
        self.handle = handle
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.handle.write(data)

    def tell(self) -> int:
        return self.size

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        self.handle.flush()


def build_package(sources: list[tuple[str, callable]], target: Path) -> Package:
    """Write files into a new stored zip at target, hashing everything once.

    :param sources: (path in the package, a callable opening the file for
        reading in binary), in the order to store them.
    :returns: the package, fsynced to disk.
    """
    manifest = []
    with open(target, "xb") as handle:
        writer = _HashingWriter(handle)
        with zipfile.ZipFile(writer, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            for name, opener in sources:
                sha, size = hashlib.sha256(), 0
                info = zipfile.ZipInfo(name)
                info.compress_type = zipfile.ZIP_STORED
                with opener() as source, zf.open(info, "w", force_zip64=True) as out:
                    while chunk := source.read(CHUNK):
                        sha.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                manifest.append(FileEntry(name, size, sha.hexdigest()))
        handle.flush()
        os.fsync(handle.fileno())
    return Package(
        target, writer.size, writer.sha.hexdigest(), sorted(manifest, key=_by_path)
    )


def folder_sources(folder: Path) -> Iterator[tuple[str, callable]]:
    """Every regular file under folder, as (relative path, opener), sorted."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.is_symlink():
            raise DeliveryError(f"{path.name}: a symbolic link in the delivery")
        yield path.relative_to(folder).as_posix(), partial(open, path, "rb")


def fsync_path(path: Path) -> None:
    """Flush a file, or a directory's entries, to stable storage."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
