"""Quicklooks and thumbnails with Pillow, refusing decompression bombs."""

from belspo.pleiades.ingest.package import DeliveryError
from io import BytesIO
from PIL import Image
from PIL import ImageOps
from PIL import UnidentifiedImageError

import math
import warnings


QUICKLOOK_SIZE = 1024
THUMBNAIL_SIZE = 256
# Decoded at most: a JPEG 2000 tile is decoded at a reduced resolution to fit.
MAX_DECODED_PIXELS = 64_000_000
# What an image may claim at all; above it, it is a decompression bomb.
MAX_CLAIMED_PIXELS = 2_000_000_000


def _open(source, name: str, max_size: int) -> Image.Image:
    """Open and decode an image small enough to make a preview of."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source)
            width, height = image.size
            pixels = width * height
            if pixels > MAX_CLAIMED_PIXELS:
                raise DeliveryError(
                    f"{name}: claims {width}x{height} pixels (a decompression bomb?)"
                )
            if pixels > MAX_DECODED_PIXELS:
                if image.format != "JPEG2000":
                    raise DeliveryError(
                        f"{name}: {width}x{height} pixels, too large to preview"
                    )
                # Decode only the resolution level the preview needs.
                image.reduce = math.ceil(math.log2(max(width, height) / max_size))
            image.load()
            return image
    except DeliveryError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
    ) as error:
        raise DeliveryError(f"{name}: not a readable image ({error})") from None


def _displayable(image: Image.Image) -> Image.Image:
    """An 8-bit RGB or grey image, stretched if it has more bits."""
    if image.mode in ("I;16", "I;16B", "I", "F"):
        image = image.point(lambda value: value * (1 / 256)).convert("L")
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    return ImageOps.autocontrast(image, cutoff=1)


def preview(source, max_size: int, name: str = "") -> bytes:
    """A JPEG of an image (a path or a binary file), at most max_size on a side.

    :raises DeliveryError: if it is not an image, or one too large to decode.
    """
    image = _open(source, name or str(source), max_size)
    try:
        result = _displayable(image)
        result.thumbnail((max_size, max_size))
        out = BytesIO()
        result.save(out, "JPEG", quality=85)
        return out.getvalue()
    finally:
        image.close()
