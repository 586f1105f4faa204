"""Shapes drawn on a paused frame, kept with a comment (`Comment.drawing`).

A drawing is a list of shapes in the frame's own coordinates, 0..1 across and down, so it
lies over the same spot of the picture at any size the player shows it (portrait too):

    {"kind": "pen", "colour": "red", "points": [[0.1, 0.2], [0.12, 0.25], …]}
    {"kind": "arrow", "colour": "yellow", "points": [[x, y] from, [x, y] to]}
    {"kind": "circle", "colour": "blue", "points": [[x, y] corner, [x, y] opposite corner]}

What a browser sends is checked here and rebuilt from checked values only; anything else
is refused with a sentence the person can act on.
"""

import json
import math

from django.core.exceptions import ValidationError

# The colours offered, by name (static/js/drawing.js draws them; team.css has none).
COLOURS = {
    "red": "#e5484d",
    "yellow": "#ffd60a",
    "green": "#30a46c",
    "blue": "#3e8ef7",
    "white": "#ffffff",
}
KINDS = ("pen", "arrow", "circle")
MAX_SHAPES = 20
MAX_PEN_POINTS = 400
# An arrow or a circle shorter than this across (a hundredth of the frame) is a slip.
MIN_SIZE = 0.01
# The raw field's size: a full drawing of MAX_SHAPES long strokes fits with room to spare.
MAX_CHARS = 60_000

INVALID = "The drawing could not be read. Please clear it and draw it again."


def clean_drawing(text: str) -> list[dict]:
    """The shapes in `text` (the form's JSON), checked and rounded; [] for no drawing."""
    text = (text or "").strip()
    if not text:
        return []
    if len(text) > MAX_CHARS:
        raise ValidationError("The drawing is too detailed to keep. Please draw fewer lines.")
    try:
        shapes = json.loads(text)
    except ValueError as error:
        raise ValidationError(INVALID) from error
    if not isinstance(shapes, list):
        raise ValidationError(INVALID)
    if len(shapes) > MAX_SHAPES:
        raise ValidationError(
            f"A drawing holds at most {MAX_SHAPES} shapes. Please remove a few (Undo)."
        )
    return [_shape(shape) for shape in shapes]


def _shape(shape) -> dict:
    if not isinstance(shape, dict):
        raise ValidationError(INVALID)
    kind, colour, points = shape.get("kind"), shape.get("colour"), shape.get("points")
    if kind not in KINDS:
        raise ValidationError("A drawing can hold pen lines, arrows and circles only.")
    if colour not in COLOURS:
        raise ValidationError(f"Please pick one of the colours offered ({', '.join(COLOURS)}).")
    if not isinstance(points, list):
        raise ValidationError(INVALID)
    wanted = (2, MAX_PEN_POINTS) if kind == "pen" else (2, 2)
    if not wanted[0] <= len(points) <= wanted[1]:
        if kind == "pen":
            raise ValidationError(
                f"A pen line needs 2 to {MAX_PEN_POINTS} points. Please draw it again shorter."
            )
        raise ValidationError(
            f"An {kind} needs exactly two points."
            if kind == "arrow"
            else "A circle needs exactly two corners."
        )
    checked = [_point(point) for point in points]
    (x0, y0), (x1, y1) = checked[0], checked[-1]
    if kind != "pen" and math.hypot(x1 - x0, y1 - y0) < MIN_SIZE:
        shape_name = "An arrow" if kind == "arrow" else "A circle"
        raise ValidationError(f"{shape_name} that small cannot be seen. Please draw it larger.")
    return {"kind": kind, "colour": colour, "points": checked}


def _point(point) -> list[float]:
    if not (isinstance(point, list) and len(point) == 2):
        raise ValidationError(INVALID)
    x, y = point
    for value in (x, y):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(INVALID)
        if not math.isfinite(value) or not -0.001 <= value <= 1.001:
            raise ValidationError(
                "Part of the drawing lies outside the frame. Please draw it again."
            )
    return [round(min(max(float(x), 0.0), 1.0), 4), round(min(max(float(y), 0.0), 1.0), 4)]
