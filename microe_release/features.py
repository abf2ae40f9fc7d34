"""The release's columns in the three forms readers need: Arrow schema, datasets features, card YAML."""

# Written out rather than built through ``datasets.Features`` so that a build does not pay the ~1 s import
# of ``datasets``; tests/test_features.py checks every form against the real objects so they cannot drift.

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

#: Column name -> datasets Value dtype for the plain columns, in column order after image and label.
VALUE_COLUMNS = (("id", "string"), ("index", "int64"), ("source", "string"), ("source_ref", "string"),
                 ("license", "string"))

#: The last column: annotators' votes per class (a list in class order), null where a source has none.
VOTES, VOTES_DTYPE = "votes", "int32"


def features_dict(class_names: tuple[str, ...]) -> dict[str, Any]:
    """``datasets.Features.to_dict()`` of a release."""
    features: dict[str, Any] = {"image": {"_type": "Image"}, "label": {"names": list(class_names), "_type": "ClassLabel"}}
    features |= {name: {"dtype": dtype, "_type": "Value"} for name, dtype in VALUE_COLUMNS}
    return features | {VOTES: {"feature": {"dtype": VOTES_DTYPE, "_type": "Value"}, "_type": "List"}}


def arrow_schema(class_names: tuple[str, ...]) -> pa.Schema:
    """The parquet schema, with the ``huggingface`` metadata that ``datasets`` reads features from."""
    fields = [
        pa.field("image", pa.struct([pa.field("bytes", pa.binary()), pa.field("path", pa.string())])),
        pa.field("label", pa.int64()),
    ]
    fields += [pa.field(name, pa.string() if dtype == "string" else pa.int64()) for name, dtype in VALUE_COLUMNS]
    fields.append(pa.field(VOTES, pa.list_(pa.int32())))
    metadata = {"info": {"features": features_dict(class_names)}}
    return pa.schema(fields, metadata={"huggingface": json.dumps(metadata)})


def features_yaml(class_names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The ``dataset_info.features`` list of the card's YAML."""
    features: list[dict[str, Any]] = [
        {"name": "image", "dtype": "image"},
        {"name": "label", "dtype": {"class_label": {"names": {str(i): n for i, n in enumerate(class_names)}}}},
    ]
    return features + [{"name": name, "dtype": dtype} for name, dtype in VALUE_COLUMNS] + [
        {"name": VOTES, "list": VOTES_DTYPE}]
