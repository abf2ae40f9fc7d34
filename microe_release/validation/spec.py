"""The release format, restated from docs/release-folder.md and docs/build.md (never imported from the builder)."""

from __future__ import annotations

from typing import Any

from ..labels import CLASS_NAMES

#: The checksum file (``sha256sum -c`` format): it lists every file of the release but itself.
CHECKSUMS = "SHA256SUMS"

#: Files SHA256SUMS does not list: itself, and ``microe publish``'s record (written after the build, never uploaded).
UNLISTED_FILES = (CHECKSUMS, "publish-state.json")

#: Split names in the order a leak is reported (from train to the held-out splits).
SPLIT_ORDER = ("train", "validation", "test")

#: A content id is the first 16 hex digits of the sha256 of ``b"{width}x{height}:"`` + the row-major 8-bit gray pixels.
CONTENT_ID_HEX_DIGITS = 16

#: The pHash: "8x8 lowest DCT frequencies of a 32x32 area-average reduction", each bit set above their median.
PHASH_REDUCED_SIDE = 32
PHASH_FREQUENCIES = 8

#: pHashes at most this many bits apart are near-duplicates (docs/design.md), never in two splits.
NEAR_DUPLICATE_BITS = 6

#: Fields Zenodo's deposit API refuses to publish without (https://developers.zenodo.org/#representation).
ZENODO_REQUIRED = ("upload_type", "publication_date", "title", "creators", "description", "access_right", "license")

#: ``datasets.Features(...).to_dict()`` of a release's parquet shards (docs/release-folder.md).
RELEASE_FEATURES: dict[str, Any] = {
    "image": {"_type": "Image"},
    "label": {"names": list(CLASS_NAMES), "_type": "ClassLabel"},
    **{name: {"dtype": dtype, "_type": "Value"}
       for name, dtype in (("id", "string"), ("index", "int64"), ("source", "string"), ("source_ref", "string"),
                           ("license", "string"))},
    "votes": {"feature": {"dtype": "int32", "_type": "Value"}, "_type": "List"},
}

#: The Arrow type of each parquet column, as :func:`arrow_type_name` writes it.
RELEASE_ARROW_TYPES = {"image": "struct<bytes: binary, path: string>", "label": "int64", "id": "string",
                       "index": "int64", "source": "string", "source_ref": "string", "license": "string",
                       "votes": "list<int32>"}


def arrow_type_name(arrow_type: Any) -> str:
    """An Arrow type as text, a list's item name left out (parquet readers name it ``item`` or ``element``)."""
    import pyarrow as pa

    if pa.types.is_list(arrow_type):
        return f"list<{arrow_type_name(arrow_type.value_type)}>"
    return str(arrow_type)
