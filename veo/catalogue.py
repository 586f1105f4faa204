"""What Veo on CometAPI can make: the models, the sizes, the lengths, the price tiers, and
the 8-second rule. A leaf: facts about the outside service, importing nothing of ours, read
by billing (prices per tier) and generations (forms, jobs, the gallery's facets)."""

from django.db import models


class VideoModel(models.TextChoices):
    FAST = "veo3.1-fast", "Veo 3.1 Fast"
    STANDARD = "veo3.1", "Veo 3.1"


class Size(models.TextChoices):
    LANDSCAPE_720 = "1280x720", "Landscape 720p (1280×720)"
    PORTRAIT_720 = "720x1280", "Portrait 720p (720×1280)"
    LANDSCAPE_1080 = "1920x1080", "Landscape 1080p (1920×1080)"
    LANDSCAPE_4K = "3840x2160", "Landscape 4K (3840×2160)"


class Seconds(models.IntegerChoices):
    FOUR = 4, "4 seconds"
    SIX = 6, "6 seconds"
    EIGHT = 8, "8 seconds"


class Tier(models.TextChoices):
    P720 = "720p", "720p"
    P1080 = "1080p", "1080p"
    K4 = "4k", "4K"


PORTRAIT_SIZES = [Size.PORTRAIT_720]
SIZE_LABELS: dict[str, str] = {
    Size.LANDSCAPE_720: "720p",
    Size.PORTRAIT_720: "720p-portrait",
    Size.LANDSCAPE_1080: "1080p",
    Size.LANDSCAPE_4K: "4k",
}

# Veo renders 1080p and 4K only as 8-second clips. The form and the page script read this.
EIGHT_SECONDS_ONLY = {Size.LANDSCAPE_1080, Size.LANDSCAPE_4K}

# The price tier each size is billed at.
TIERS: dict[str, str] = {
    Size.LANDSCAPE_720: Tier.P720,
    Size.PORTRAIT_720: Tier.P720,
    Size.LANDSCAPE_1080: Tier.P1080,
    Size.LANDSCAPE_4K: Tier.K4,
}


def size_name(size: str) -> str:
    """A size as a sentence names it: "Landscape 1080p", without the pixels."""
    return Size(size).label.split(" (")[0]
