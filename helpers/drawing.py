"""Turn a digit drawn with the mouse into the kind of input an MNIST network was trained on.

Two steps, NumPy only, shared by the lesson 7 drawing pad (``helpers.widgets.DigitPad``) and its
tests:

- ``render_strokes``: the strokes of a pen (lists of mouse points, in canvas pixels) as a
  grayscale image, white ink (1) on black (0), drawn with a round brush of a given width.
- ``mnist_like``: that image preprocessed the way MNIST's digits were: cropped to the ink, scaled
  so that its longer side is 20 pixels (keeping the aspect ratio, averaging areas), and placed in
  a 28x28 image with the ink's centre of mass at the centre, then flattened to 784 values.

A network trained on MNIST only ever saw digits centred and sized this way, so a digit drawn
small in a corner of the pad must go through the same steps before the network can read it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

MNIST_SIDE = 28  # MNIST images are 28x28 pixels
DIGIT_BOX = 20  # the longer side of the digit inside them
CENTRE = 14.0  # where the centre of mass goes, in pixel indices (row, column)


def render_strokes(
    strokes: Sequence[Sequence[tuple[float, float]]],
    shape: tuple[int, int] = (280, 280),
    width: float = 24.0,
) -> np.ndarray:
    """Draw pen strokes as a grayscale image: white ink (1.0) on black (0.0).

    strokes: a list of strokes, each a list of (x, y) points in canvas pixels (x from the left,
        y from the top, as the mouse gives them; the pixel in row r and column c covers
        [c, c + 1) x [r, r + 1)). Consecutive points of a stroke are joined by straight lines;
        a stroke of one point is a dot. Points outside the image are allowed (what falls
        outside is cut off).
    shape: (H, W) of the image, in pixels.
    width: the pen's diameter in pixels. The pen is round, like a felt pen, with a one-pixel
        anti-aliased edge: a pixel is 1 where its centre lies within width / 2 - 0.5 of a
        stroke, 0 beyond width / 2 + 0.5, and falls linearly in between.

    Returns: (H, W) float32 array in [0, 1]; all zeros when there are no strokes.
    Raises ValueError for a shape that is not two positive integers, a width that is not a
    positive number, or a stroke that is empty or not made of (x, y) pairs of finite numbers.
    """
    height, width_px = _check_shape(shape)
    if isinstance(width, bool) or not isinstance(width, int | float | np.integer | np.floating):
        raise ValueError(f"width should be a number of pixels, got {type(width).__name__}.")
    if not math.isfinite(width) or width <= 0:
        raise ValueError(f"width should be a positive number of pixels, got {width}.")
    image = np.zeros((height, width_px), dtype=np.float64)
    radius = width / 2
    for index, stroke in enumerate(strokes):
        points = stroke_points(stroke, index)
        if len(points) == 1:
            _stamp_segment(image, points[0], points[0], radius)
        for start, end in zip(points[:-1], points[1:], strict=True):
            _stamp_segment(image, start, end, radius)
    return image.astype(np.float32)


def _check_shape(shape) -> tuple[int, int]:
    try:
        height, width = (int(n) for n in shape)
        exact = all(int(n) == n for n in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape should be (H, W), two positive integers, got {shape!r}.") from None
    if not exact or height <= 0 or width <= 0:
        raise ValueError(f"shape should be (H, W), two positive integers, got {shape!r}.")
    return height, width


def stroke_points(stroke, index: int = 0) -> np.ndarray:
    """A stroke as an (n, 2) float64 array of its (x, y) points, n >= 1.

    Raises ValueError, naming the stroke by ``index``, when it is empty or not made of (x, y)
    pairs of finite numbers.
    """
    try:
        points = np.asarray(stroke, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"stroke {index} should be a list of (x, y) points, got {stroke!r:.80}."
        ) from None
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(
            f"stroke {index} should be a non-empty list of (x, y) points: an array of shape"
            f" (n, 2), got shape {points.shape}."
        )
    if not np.isfinite(points).all():
        raise ValueError(f"stroke {index} has a point that is not a finite number (nan or inf).")
    return points


def _stamp_segment(image: np.ndarray, start: np.ndarray, end: np.ndarray, radius: float) -> None:
    """Ink, in place, every pixel near the segment start-end: the pen moved along it.

    A pixel's ink is how far its centre lies inside the pen's edge, plus half a pixel, clipped
    to [0, 1]: 1 inside, 0 beyond radius + 0.5, a linear ramp (anti-aliasing) in between.
    Overlapping strokes keep the larger value, as a pen drawing twice over one place does.
    """
    reach = radius + 1.0
    x_lo, x_hi = min(start[0], end[0]) - reach, max(start[0], end[0]) + reach
    y_lo, y_hi = min(start[1], end[1]) - reach, max(start[1], end[1]) + reach
    height, width = image.shape
    c0, c1 = max(int(math.floor(x_lo)), 0), min(int(math.ceil(x_hi)), width)
    r0, r1 = max(int(math.floor(y_lo)), 0), min(int(math.ceil(y_hi)), height)
    if c0 >= c1 or r0 >= r1:
        return  # entirely outside the image
    xs = np.arange(c0, c1) + 0.5  # pixel centres
    ys = np.arange(r0, r1)[:, None] + 0.5
    direction = end - start
    length_sq = float(direction @ direction)
    if length_sq == 0.0:
        t = 0.0
    else:  # where along the segment each centre projects, kept within the segment
        t = np.clip(((xs - start[0]) * direction[0] + (ys - start[1]) * direction[1]) / length_sq,
                    0.0, 1.0)  # fmt: skip
    distance = np.hypot(xs - (start[0] + t * direction[0]), ys - (start[1] + t * direction[1]))
    ink = np.clip(radius + 0.5 - distance, 0.0, 1.0)
    np.maximum(image[r0:r1, c0:c1], ink, out=image[r0:r1, c0:c1])


def mnist_like(image: np.ndarray) -> np.ndarray:
    """Preprocess a drawn digit the way MNIST's digits were, for a network trained on MNIST.

    image: (H, W) grayscale array, white ink on black, values in [0, 1] (for example 280x280
        from ``render_strokes``). Any real dtype; a pixel above 0 counts as ink.

    The steps, as in MNIST's own preparation:
    1. crop to the bounding box of the ink;
    2. scale it so that its longer side is 20 pixels, keeping the aspect ratio: each new pixel
       is the average of the area of the drawing it covers (so edges come out grey, anti-aliased,
       as in MNIST); the shorter side is ceil(its length * 20 / longer side) pixels, its last
       pixel dimmer when only partly covered;
    3. paste it into a black 28x28 image so that the centre of mass of the ink (the mean of the
       pixel indices weighted by the values) lands on row 14, column 14, shifted by whole pixels
       (rounded); any part pushed past an edge is cut off.

    Returns: (784,) float32 in [0, 1], the 28x28 image flattened row by row (``.reshape(28,
    28)`` gives the picture back). An image with no ink gives 784 zeros.
    Raises ValueError if image is not a 2-D array of finite real numbers in [0, 1] (an 8-bit
    image of 0..255 needs ``/ 255`` first; a flattened MNIST row needs ``.reshape(28, 28)``).
    """
    pixels = _check_image(image)
    ink_rows = np.flatnonzero((pixels > 0).any(axis=1))
    if len(ink_rows) == 0:
        return np.zeros(MNIST_SIDE * MNIST_SIDE, dtype=np.float32)
    ink_cols = np.flatnonzero((pixels > 0).any(axis=0))
    crop = pixels[ink_rows[0] : ink_rows[-1] + 1, ink_cols[0] : ink_cols[-1] + 1]

    step = max(crop.shape) / DIGIT_BOX  # drawing pixels per output pixel, the same both ways
    digit = _area_weights(crop.shape[0], step) @ crop @ _area_weights(crop.shape[1], step).T

    total = digit.sum()
    row_mass = digit.sum(axis=1) @ np.arange(digit.shape[0]) / total
    col_mass = digit.sum(axis=0) @ np.arange(digit.shape[1]) / total
    top, left = round(CENTRE - row_mass), round(CENTRE - col_mass)

    out = np.zeros((MNIST_SIDE, MNIST_SIDE), dtype=np.float64)
    r0, r1 = max(top, 0), min(top + digit.shape[0], MNIST_SIDE)
    c0, c1 = max(left, 0), min(left + digit.shape[1], MNIST_SIDE)
    out[r0:r1, c0:c1] = digit[r0 - top : r1 - top, c0 - left : c1 - left]
    return np.clip(out, 0.0, 1.0).astype(np.float32).ravel()


def _check_image(image) -> np.ndarray:
    """The drawing as float64, or a ValueError that says what is wrong with it."""
    if not isinstance(image, np.ndarray):
        try:
            image = np.asarray(image)
        except (TypeError, ValueError):
            raise ValueError(
                f"image should be a 2-D NumPy array (H, W), got {type(image).__name__}."
            ) from None
    if image.dtype.kind not in "biuf":
        raise ValueError(f"image should hold real numbers in [0, 1], got dtype {image.dtype}.")
    if image.ndim != 2:
        hint = ""
        if image.ndim == 1 and image.size == MNIST_SIDE * MNIST_SIDE:
            hint = " A flattened 28x28 image: pass image.reshape(28, 28)."
        elif image.ndim == 3 and image.shape[-1] in (3, 4):
            hint = " It looks like a colour image: convert it to grayscale first."
        raise ValueError(
            f"image should be a 2-D grayscale array (H, W), got shape {image.shape}.{hint}"
        )
    if image.size == 0:
        raise ValueError(f"image should have at least one pixel, got shape {image.shape}.")
    pixels = image.astype(np.float64)
    if not np.isfinite(pixels).all():
        raise ValueError("image has values that are not finite numbers (nan or inf).")
    low, high = pixels.min(), pixels.max()
    if low < 0 or high > 1:
        hint = " An 8-bit image (0..255) needs / 255 first." if high > 1 else ""
        raise ValueError(
            f"image values should be in [0, 1] (white ink 1 on black 0), got values from"
            f" {low:.4g} to {high:.4g}.{hint}"
        )
    return pixels


def _area_weights(n: int, step: float) -> np.ndarray:
    """The (m, n) matrix that resamples n pixels to m = ceil(n / step) by area averaging.

    Output pixel i covers [i * step, (i + 1) * step) of the input, whose pixel k covers
    [k, k + 1); its value is the mean over that span, with nothing beyond the input's end
    (so the last output pixel is dimmer when the span runs past it). Works for shrinking
    (step > 1) and for enlarging a tiny drawing (step < 1) alike.
    """
    m = max(1, math.ceil(n / step - 1e-9))  # the tolerance: 200 / (200 / 20) is 20, not 21
    starts = np.arange(m)[:, None] * step
    k = np.arange(n)[None, :]
    overlap = np.minimum(starts + step, k + 1) - np.maximum(starts, k)
    return np.clip(overlap, 0.0, None) / step


__all__ = ["mnist_like", "render_strokes", "stroke_points"]
