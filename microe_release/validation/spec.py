"""The release format as the validator knows it, restated from the documentation, never imported from the builder.

``microe validate`` must catch a builder bug, so it shares no code and no constant with the writers:
each fact below is written down again from the format's documentation (``docs/release-folder.md``,
``docs/build.md``) or from the service that defines it (Zenodo's deposit API, ``sha256sum``).
"""

from __future__ import annotations

from typing import Any

from ..labels import CLASS_NAMES

#: The checksum file (``sha256sum -c`` format): it lists every file of the release but itself.
CHECKSUMS = "SHA256SUMS"

#: Files a release folder may hold that SHA256SUMS does not list: the checksum file itself, and
#: ``microe publish``'s record of what it has done (written after the build, never uploaded).
UNLISTED_FILES = (CHECKSUMS, "publish-state.json")

#: Split names in the order a leak is reported (from train to the held-out splits).
SPLIT_ORDER = ("train", "validation", "test")

#: Hex digits of a content id: "the first 16 hex digits of the sha256 of its processed pixels"
#: (docs/build.md), the sha256 taken over ``b"{width}x{height}:"`` followed by the row-major 8-bit
#: gray pixels (the definition in ``microe build``'s fingerprints, restated).
CONTENT_ID_HEX_DIGITS = 16

#: The perceptual hash (docs/build.md): "8x8 lowest DCT frequencies of a 32x32 area-average
#: reduction", each bit set where the frequency is above the 64 frequencies' median.
PHASH_REDUCED_SIDE = 32
PHASH_FREQUENCIES = 8

#: Two images whose pHashes differ in at most this many bits are near-duplicates (docs/design.md,
#: "Near-duplicate threshold"): a release never has two of them in different splits.
NEAR_DUPLICATE_BITS = 6

#: Fields Zenodo's deposit API refuses to publish without (https://developers.zenodo.org/#representation,
#: "required" in the deposit metadata table; ``license`` is required for open access).
ZENODO_REQUIRED = ("upload_type", "publication_date", "title", "creators", "description", "access_right", "license")

#: The plain columns of a parquet shard after ``image`` and ``label``, with their datasets Value dtype
#: (docs/release-folder.md).
VALUE_COLUMNS = (("id", "string"), ("index", "int64"), ("source", "string"), ("source_ref", "string"),
                 ("license", "string"))


def release_features() -> dict[str, Any]:
    """``datasets.Features(...).to_dict()`` of a release's parquet shards, as docs/release-folder.md describes them.

    Examples
    --------
    >>> list(release_features())
    ['image', 'label', 'id', 'index', 'source', 'source_ref', 'license']
    """
    features: dict[str, Any] = {"image": {"_type": "Image"},
                                "label": {"names": list(CLASS_NAMES), "_type": "ClassLabel"}}
    features.update({name: {"dtype": dtype, "_type": "Value"} for name, dtype in VALUE_COLUMNS})
    return features
