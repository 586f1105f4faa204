"""What the jobs tell the layers above them, without importing them."""

from django.dispatch import Signal

# Sent by the New video form once its videos exist (their transaction has committed), with
# `request`, `jobs` (the videos, one per take) and `is_new` (False when the repeat guard
# handed back videos an earlier post made). The prompts app notes the preset they came from.
videos_created = Signal()
