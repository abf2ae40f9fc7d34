"""Hand-crafted features on sample images (the paper's Figs. 4-6), with scikit-image."""

from __future__ import annotations

from typing import Any

import numpy as np


def hog_lbp(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """HOG visualisation, LBP codes, and their summary numbers."""
    from skimage.feature import hog, local_binary_pattern

    vector, picture = hog(image, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), visualize=True,
                          feature_vector=True)
    lbp = local_binary_pattern(image, P=8, R=1, method="uniform")
    hist = np.bincount(lbp.astype(int).ravel(), minlength=10)
    return picture, lbp, {"hog_length": int(vector.size), "hog_mean": round(float(vector.mean()), 5),
                          "lbp_method": "uniform, P=8, R=1", "lbp_histogram": hist.tolist()}


def edges(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Canny edges and the Sobel magnitude."""
    from skimage.feature import canny
    from skimage.filters import sobel

    canny_map = canny(image.astype(float) / 255.0, sigma=1.0)
    sobel_map = sobel(image.astype(float) / 255.0)
    return canny_map, sobel_map, {"canny_sigma": 1.0, "edge_pixel_share": round(float(canny_map.mean()), 4),
                                  "sobel_mean": round(float(sobel_map.mean()), 5)}


def region_properties(image: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Otsu segmentation; area, perimeter and bounding box of the largest region (the face)."""
    from skimage.filters import threshold_otsu
    from skimage.measure import label, regionprops

    threshold = threshold_otsu(image)
    mask = image > threshold
    if mask.mean() > 0.5:  # keep the smaller side as foreground
        mask = ~mask
    labelled = label(mask)
    regions = sorted(regionprops(labelled), key=lambda r: r.area, reverse=True)
    if not regions:
        return labelled, {"threshold": float(threshold), "regions": 0}
    top = regions[0]
    return labelled, {"threshold": float(threshold), "regions": len(regions), "area": int(top.area),
                      "perimeter": round(float(top.perimeter), 3), "bbox": [int(v) for v in top.bbox],
                      "centroid": [round(float(v), 2) for v in top.centroid]}
