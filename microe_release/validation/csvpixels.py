"""The ``pixels`` text of ``microe.csv`` parsed back into pixels, as a user's script reads it.

docs/release-folder.md: "space-separated, row-major, ``image_size`` x ``image_size``" 8-bit gray
values (0..255), FER2013's layout. Each text is parsed by numpy's text reader, never compared with
text the validator formats itself, so a formatting bug in the build shows up as wrong pixels.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .facts import pixel_digest


@dataclass(frozen=True, slots=True)
class ParsedPixels:
    """One CSV row's pixel text: the digest of its pixels (:func:`~.facts.pixel_digest`), or what is wrong."""

    digest: bytes = b""
    problem: str = ""


def parse_pixel_text(text: bytes | None, size: int) -> ParsedPixels:
    """Parse one row's pixel text into ``size`` x ``size`` gray values and digest them.

    Examples
    --------
    >>> from microe_release.validation.facts import content_id_of
    >>> content_id_of(parse_pixel_text(b"0 0 0 0", 2).digest)
    '6721231bea7689c6'
    >>> parse_pixel_text(b"0 0 256 0", 2).problem
    "values must be 0..255, found '256'"
    """
    return parse_pixel_texts([text], size)[0]


def parse_pixel_texts(texts: Sequence[bytes | None], size: int) -> list[ParsedPixels]:
    """:func:`parse_pixel_text` of every row."""
    with warnings.catch_warnings():
        # numpy warns (a future error) where a text stops being numbers: make that an error now
        warnings.simplefilter("error", DeprecationWarning)
        return [_parse(text, size) for text in texts]


def _parse(text: bytes | None, size: int) -> ParsedPixels:
    count = size * size
    if not text:
        return ParsedPixels(problem="the pixel text is empty")
    try:
        values = np.fromstring(text, dtype=np.int64, sep=" ")
    except (ValueError, DeprecationWarning):
        bad = next((t for t in text.split() if not t.isdigit()), text[:20])
        return ParsedPixels(problem=f"'{bad.decode(errors='replace')}' is not a number")
    if len(values) != count:
        return ParsedPixels(problem=f"{len(values)} values, expected {size}x{size} = {count}")
    if values.min() < 0 or values.max() > 255:
        bad_value = values[(values < 0) | (values > 255)][0]
        return ParsedPixels(problem=f"values must be 0..255, found '{bad_value}'")
    if text.count(b" ") != count - 1:
        return ParsedPixels(problem="values are not separated by single spaces")
    return ParsedPixels(digest=pixel_digest(values.astype(np.uint8).tobytes(), size, size))
