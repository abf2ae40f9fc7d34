"""The eight Microe classes and the synonyms real sources use for them."""

from __future__ import annotations

from collections.abc import Mapping

#: Fixed class order of every release: ClassLabel ids are positions in this tuple.
CLASS_NAMES: tuple[str, ...] = ("angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprised")

#: FER2013's integer codes (0..6), in the order its authors published.
FER2013_CODES: dict[str, str] = {"0": "angry", "1": "disgust", "2": "fear", "3": "happy", "4": "sad",
                                 "5": "surprised", "6": "neutral"}

#: FER+ vote columns (after image name and face box), in file order.
FERPLUS_COLUMNS: tuple[str, ...] = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                                    "contempt", "unknown", "NF")

# Lower-cased words seen in public sources (CK+, JAFFE, FER+, AffectNet, muxspace, RAF-DB ...).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "angry": ("anger", "angry", "mad", "an", "ang"),
    "contempt": ("contempt", "contemptuous", "co", "con"),
    "disgust": ("disgust", "disgusted", "disgusting", "di", "dis"),
    "fear": ("fear", "fearful", "afraid", "scared", "fe", "fea"),
    "happy": ("happy", "happiness", "joy", "smile", "smiling", "ha", "hap"),
    "neutral": ("neutral", "neutrality", "calm", "ne", "neu"),
    "sad": ("sad", "sadness", "unhappy", "sa"),
    "surprised": ("surprise", "surprised", "surprising", "su", "sur"),
}

SYNONYMS: dict[str, str] = {word: name for name, words in _SYNONYMS.items() for word in words}


def normalize_label(raw: str, overrides: Mapping[str, str] | None = None) -> str | None:
    """The class name of a raw label, or None; a source's ``overrides`` (exact, then any case) beat the synonyms."""
    text = raw.strip()
    overrides = overrides or {}
    if text in overrides:
        return overrides[text]
    lowered = {key.lower(): value for key, value in overrides.items()}
    return lowered.get(text.lower(), SYNONYMS.get(text.lower()))
