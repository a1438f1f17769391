"""Draw the Teams app icons: ``color.png`` (192x192) and ``outline.png`` (32x32, white on transparent).

Run ``python -m manifest.make_icons`` after changing the design and commit the PNGs; the package
build and the tests only read the committed files, so Pillow is a dev-only dependency.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

MANIFEST_DIR = Path(__file__).resolve().parent
BACKGROUND = (43, 87, 151)  # the manifest's accentColor #2B5797
WHITE = (255, 255, 255)
# Shapes are drawn this many times larger and scaled down, which antialiases the edges.
SUPERSAMPLE = 8


def _circle_of_members_mask(size: int, ring_radius: float, ring_width: float, dot_radius: float) -> Image.Image:
    """An L-mode mask of the glyph: a ring with three member dots on it, centred in a square."""
    big = size * SUPERSAMPLE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    centre = big / 2
    r_out = (ring_radius + ring_width / 2) * SUPERSAMPLE
    r_in = (ring_radius - ring_width / 2) * SUPERSAMPLE
    draw.ellipse((centre - r_out, centre - r_out, centre + r_out, centre + r_out), fill=255)
    draw.ellipse((centre - r_in, centre - r_in, centre + r_in, centre + r_in), fill=0)
    dot = dot_radius * SUPERSAMPLE
    for angle in (-90.0, 30.0, 150.0):  # one dot on top, two below: a circle of three people
        x = centre + ring_radius * SUPERSAMPLE * math.cos(math.radians(angle))
        y = centre + ring_radius * SUPERSAMPLE * math.sin(math.radians(angle))
        draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=255)
    return mask.resize((size, size), Image.Resampling.LANCZOS)


def make_color_icon(size: int = 192) -> Image.Image:
    """The full-colour icon: the white glyph on an accent-coloured rounded square."""
    big = size * SUPERSAMPLE
    background_mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(background_mask).rounded_rectangle((0, 0, big - 1, big - 1), radius=int(big * 0.18), fill=255)
    icon = Image.new("RGBA", (size, size), (*BACKGROUND, 0))
    icon.putalpha(background_mask.resize((size, size), Image.Resampling.LANCZOS))
    # Teams crops colour icons, so the glyph stays within the central 96x96 "safe" square.
    glyph = _circle_of_members_mask(size, ring_radius=size * 0.24, ring_width=size * 0.06, dot_radius=size * 0.075)
    icon.paste(Image.new("RGBA", (size, size), (*WHITE, 255)), (0, 0), glyph)
    return icon


def make_outline_icon(size: int = 32) -> Image.Image:
    """The outline icon: only white pixels, the shape carried by alpha, on a transparent background."""
    glyph = _circle_of_members_mask(size, ring_radius=size * 0.33, ring_width=size * 0.08, dot_radius=size * 0.11)
    icon = Image.new("RGBA", (size, size), (*WHITE, 0))
    icon.putalpha(glyph)
    return icon


def main(out_dir: Path = MANIFEST_DIR) -> None:
    """Write color.png and outline.png into ``out_dir``."""
    make_color_icon().save(out_dir / "color.png", optimize=True)
    make_outline_icon().save(out_dir / "outline.png", optimize=True)
    print(f"wrote {out_dir / 'color.png'} and {out_dir / 'outline.png'}")


if __name__ == "__main__":
    main()
