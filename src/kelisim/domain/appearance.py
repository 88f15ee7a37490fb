"""How the banner looks on a site: its position, light/dark scheme, colours and logo.

Marketers set it in the admin (it is the optional `appearance` block of vendors.yaml, published like
any catalogue change), so it must never make the banner unreadable: every colour pair the banner
draws text with must reach WCAG AA's 4.5:1 contrast, and a pair below that is refused with the ratio
it has. The runtime (src/kelisim/web/static/cmp/banner.js) turns a palette into custom properties;
without one it keeps the built-in light and dark palettes of src/kelisim/web/static/cmp.css, which
pass with room to spare. This module knows no YAML and no Flask: the catalogue loader and the admin
form both use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

POSITIONS = ("bar", "box", "modal")  # bottom bar, box in the corner, centred modal
THEMES = ("light", "dark", "auto")  # auto follows the visitor's prefers-color-scheme
SCHEMES = ("light", "dark")
COLOR_KEYS = ("background", "text", "accent", "accent_text")
# The pairs the banner draws text with: body text; links, the language switch and outlined
# buttons (accent on the background); the filled choice buttons (their text on the accent).
CONTRAST_PAIRS = (("text", "background"), ("accent", "background"), ("accent_text", "accent"))
MIN_CONTRAST = 4.5
# src/kelisim/web/static/cmp.css's own palettes (what a scheme without colours of its own looks
# like).
BUILT_IN_PALETTES = {
    "light": {
        "background": "#ffffff",
        "text": "#1f2328",
        "accent": "#0b57b0",
        "accent_text": "#ffffff",
    },
    "dark": {
        "background": "#1b1f24",
        "text": "#e6edf3",
        "accent": "#8ab4f8",
        "accent_text": "#0d1117",
    },
}
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours, 1.0 to 21.0."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def contrast_problems(palette: dict[str, str]) -> list[tuple[str, str]]:
    """(colour key, message) for every pair of a complete palette below MIN_CONTRAST."""
    found = []
    for fore, back in CONTRAST_PAIRS:
        ratio = contrast_ratio(palette[fore], palette[back])
        if ratio < MIN_CONTRAST:
            found.append(
                (
                    fore,
                    f"{fore} {palette[fore]} on {back} {palette[back]} has a contrast of "
                    f"{ratio:.2f}:1, below the {MIN_CONTRAST}:1 that text needs (WCAG AA) — "
                    "darken or lighten one of them",
                )
            )
    return found


@dataclass(frozen=True)
class Appearance:
    position: str = "bar"
    theme: str = "light"
    logo_url: str | None = None
    # scheme ("light" | "dark") -> {colour key: "#rrggbb"}; a scheme left out keeps the built-in.
    colors: Any = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_default(self) -> bool:
        return self == Appearance()

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "theme": self.theme,
            "logo_url": self.logo_url,
            "colors": {scheme: dict(palette) for scheme, palette in self.colors.items()},
        }
