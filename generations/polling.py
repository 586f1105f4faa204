"""The numbers the page polls by, defined once: the views honour them and the page's
scripts read them from the page (gallery_tags.poll_attributes), never from a copy."""

# Enough for 128 running cards, or 64 waiting ones (a card and its place line each), in a
# URL that gunicorn and nginx accept (veostudio/gunicorn_conf.py, limit_request_line).
POLL_LIMIT = 128
# How often a page asks /status/ (its running cards) and the header asks /jobs/running/, and
# how often the header asks from a hidden tab (the page's own poll pauses there).
POLL_EVERY_MS = 3000
RUNNING_EVERY_MS = 5000
RUNNING_HIDDEN_EVERY_MS = 15000
