"""Synthetic demo faces (``--demo``): an identity per subject, an expression per class, random pose, light, noise."""

from __future__ import annotations

import numpy as np

from .labels import CLASS_NAMES

#: Share of each class, close to FER2013 + CK+ (contempt and disgust rare), in CLASS_NAMES order.
CLASS_WEIGHTS = (0.13, 0.05, 0.07, 0.12, 0.20, 0.17, 0.13, 0.13)

#: Consecutive faces drawn from one identity (its subject id).
IMAGES_PER_SUBJECT = 6

#: Side of a rendered face before the build's crop and resize.
RENDER_SIZE = 96

# Expression parameters: mouth half-width, curve (+ = corners up), opening, brow raise,
# inner-brow shift (+ = down, angry), eye opening, smirk, nose wrinkle.
_EXPRESSIONS: dict[str, tuple[float, ...]] = {
    "angry": (0.16, -0.03, 0.00, -0.02, 0.08, 0.035, 0.0, 0.3),
    "contempt": (0.18, 0.00, 0.00, 0.00, 0.00, 0.045, 0.10, 0.0),
    "disgust": (0.17, -0.05, 0.025, -0.01, 0.05, 0.035, 0.0, 1.0),
    "fear": (0.25, -0.02, 0.06, 0.07, -0.06, 0.085, 0.0, 0.0),
    "happy": (0.24, 0.11, 0.035, 0.01, 0.00, 0.035, 0.0, 0.0),
    "neutral": (0.18, 0.00, 0.00, 0.00, 0.00, 0.05, 0.0, 0.0),
    "sad": (0.18, -0.08, 0.00, 0.02, -0.07, 0.04, 0.0, 0.0),
    "surprised": (0.12, 0.00, 0.13, 0.10, 0.00, 0.095, 0.0, 0.0),
}


def plan_faces(count: int, seed: int) -> list[tuple[str, str]]:
    """The (label, subject id) of each of ``count`` demo faces; the same for the same seed."""
    rng = np.random.default_rng([seed, 0xFACE])
    labels = rng.choice(len(CLASS_NAMES), size=count, p=np.array(CLASS_WEIGHTS) / sum(CLASS_WEIGHTS))
    return [(CLASS_NAMES[int(k)], f"s{n // IMAGES_PER_SUBJECT:05d}") for n, k in enumerate(labels)]


def _soft(distance: np.ndarray, edge: float = 0.02) -> np.ndarray:
    """Anti-aliased coverage from a signed distance (negative inside)."""
    return np.clip(0.5 - distance / edge, 0.0, 1.0)


def _ellipse(u: np.ndarray, v: np.ndarray, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    rx, ry = max(rx, 1e-3), max(ry, 1e-3)
    return _soft((np.sqrt(((u - cx) / rx) ** 2 + ((v - cy) / ry) ** 2) - 1.0) * min(rx, ry))


def _segment(u: np.ndarray, v: np.ndarray, a: tuple[float, float], b: tuple[float, float], width: float) -> np.ndarray:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    t = np.clip(((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return _soft(np.hypot(u - ax - t * dx, v - ay - t * dy) - width)


def _paint(img: np.ndarray, mask: np.ndarray, value: float | np.ndarray) -> np.ndarray:
    return img * (1.0 - mask) + value * mask


def render_face(seed: int, number: int, label: str, size: int = RENDER_SIZE) -> np.ndarray:
    """Render demo face ``number`` (of the plan for ``seed``) showing ``label``, as uint8 ``size`` x ``size``."""
    ident = np.random.default_rng([seed, 1, number // IMAGES_PER_SUBJECT])
    rng = np.random.default_rng([seed, 2, number])
    face_w, face_h = ident.uniform(0.62, 0.74), ident.uniform(0.80, 0.92)
    skin, hair = ident.uniform(110, 215), ident.uniform(10, 90)
    eye_x, hairline = ident.uniform(0.24, 0.32), ident.uniform(-0.70, -0.52)

    # Pose: rotation, scale and shift applied as an inverse map of the pixel grid.
    angle = np.deg2rad(rng.normal(0.0, 7.0))
    scale, shift = rng.uniform(0.9, 1.08), rng.normal(0.0, 0.04, size=2)
    axis = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    y, x = np.meshgrid(axis, axis, indexing="ij")
    x, y = (x - shift[0]) / scale, (y - shift[1]) / scale
    u = np.cos(angle) * x + np.sin(angle) * y
    v = -np.sin(angle) * x + np.cos(angle) * y

    base, neutral = np.array(_EXPRESSIONS[label]), np.array(_EXPRESSIONS["neutral"])
    expression = neutral + (base - neutral) * rng.uniform(0.45, 1.3) + rng.normal(0.0, 0.012, size=base.size)
    mw, curve, opening, raise_, inner, eye_open, smirk, wrinkle = expression
    side = 1.0 if rng.random() < 0.5 else -1.0

    # Background: a level, a gradient and a few random low-frequency waves (scenes differ).
    img = rng.uniform(30, 200) + 40 * (x * rng.uniform(-1, 1) + y * rng.uniform(-1, 1))
    for _ in range(4):
        freq, phase = rng.normal(0.0, 3.0, size=2), rng.uniform(0, 2 * np.pi)
        img = img + rng.uniform(10, 30) * np.cos(freq[0] * x + freq[1] * y + phase)
    shoulders = _ellipse(x, y, rng.normal(0.0, 0.1), 1.25, rng.uniform(0.7, 1.0), rng.uniform(0.35, 0.5))
    img = _paint(img, shoulders, rng.uniform(20, 235))
    img = _paint(img, _ellipse(u, v, 0.0, 0.05, face_w, face_h), skin)
    img = _paint(img, _ellipse(u, v, 0.0, 0.05, face_w, face_h) * _soft(v - hairline, 0.05), hair)
    for sx in (-1.0, 1.0):
        ex = sx * eye_x
        img = _paint(img, _ellipse(u, v, ex, -0.10, 0.11, max(eye_open * 1.3, 0.02)), min(skin + 40, 250))
        img = _paint(img, _ellipse(u, v, ex, -0.10, 0.045, min(max(eye_open * 1.3, 0.02), 0.045)), 25)
        brow_y = -0.25 - raise_
        img = _paint(img, _segment(u, v, (ex - sx * 0.11 + sx * 0.2, brow_y + inner),
                                   (ex + sx * 0.14, brow_y - 0.01), 0.04), hair * 0.6)
    img = _paint(img, _segment(u, v, (0.0, -0.02), (0.015, 0.17), 0.012) * 0.5, skin * 0.6)
    if wrinkle > 0.2:
        for sx in (-1.0, 1.0):
            img = _paint(img, _segment(u, v, (sx * 0.06, 0.06), (sx * 0.14, 0.0), 0.02) * min(wrinkle, 1.0), skin * 0.55)

    mw, curve, opening, smirk = mw * 1.4, curve * 1.6, opening * 1.4, smirk * 1.6
    t = np.clip(u / max(mw, 0.05), -1.5, 1.5)
    lip = 0.40 - curve * t**2 - smirk * np.clip(side * t, 0, None) ** 2 * 1.0 + curve * 0.3
    in_mouth = _soft(np.abs(u) - max(mw, 0.05), 0.02)
    lower = lip + max(opening, 0.0) * np.clip(1.0 - t**2, 0.0, 1.0)
    img = _paint(img, _soft(np.maximum(lip - v, v - lower) - 0.035, 0.02) * in_mouth, 40)

    light = 1.0 + rng.uniform(-0.25, 0.25) * u + rng.uniform(-0.2, 0.2) * v
    img = img * light + rng.normal(0.0, rng.uniform(3.0, 10.0), size=img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)
