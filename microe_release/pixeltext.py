"""Gray images as FER2013's space-separated pixel text, vectorised."""

from __future__ import annotations

import numpy as np

# Each gray value as a 4-byte token ("7 \0\0", "42 \0", "255 ") read as one uint32: a lookup plus one
# boolean mask turns a batch of images into space-separated text without a Python loop over pixels.
_TOKENS = np.zeros((256, 4), dtype=np.uint8)
for _value in range(256):
    _text = f"{_value} ".encode()
    _TOKENS[_value, : len(_text)] = np.frombuffer(_text, dtype=np.uint8)
_TOKEN_WORDS = _TOKENS.view(np.uint32).ravel()
_TOKEN_LENGTHS = (_TOKENS != 0).sum(axis=1).astype(np.int64)


def pixel_rows(images: np.ndarray) -> list[bytes]:
    """Space-separated, row-major gray values of each image in a ``(n, h, w)`` uint8 batch.

    Examples
    --------
    >>> pixel_rows(np.array([[[0, 7], [42, 255]]], dtype=np.uint8))
    [b'0 7 42 255']
    """
    flat = images.reshape(images.shape[0], -1)
    tokens = _TOKEN_WORDS[flat].view(np.uint8).ravel()
    text = tokens[tokens != 0].tobytes()
    ends = np.cumsum(_TOKEN_LENGTHS[flat].sum(axis=1))
    starts = np.concatenate(([0], ends[:-1]))
    return [text[s:e - 1] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
