"""The numbers the page polls by, defined once: the views honour them and the page gets
them rendered into base.html's poller (gallery_tags.poller_attributes), never a copy."""

# The most of what the page shows that one poll carries: 128 running cards, or 64 waiting
# ones (a card and its place line each). A page showing more takes turns (poll.js).
POLL_LIMIT = 128
# The longest poll URL poll.js sends: what does not fit waits for the next poll. Under
# gunicorn's limit_request_line (veostudio/gunicorn_conf.py: 8,190, its ceiling, for the
# whole "GET <url> HTTP/1.1") and nginx's default 8 KB header buffer, with room to spare.
POLL_URL_LIMIT = 8000
# How often the page's poller asks /status/ while a job on the page or in the header runs,
# and how often it still asks from a hidden tab (so that the tab title and a notification
# still say when a job ended there).
POLL_EVERY_MS = 3000
POLL_HIDDEN_EVERY_MS = 15000
# When nothing runs: the bell's number and a shared video's comments, from a visible tab
# only. Also how often a running page's polls carry the bell.
POLL_IDLE_EVERY_MS = 10000
# The letter each part of a job the page may show has in the poll poll.js sends (a job's id
# once, then each part's letter and the version shown: "<id>cZ3K9W"), and "w" for a job the
# header counts. The page gets them rendered into the poller, so poll.js holds no copy.
POLL_VIEW_LETTERS = {
    "card": "c",
    "status": "s",
    "history": "h",
    "wait-card": "p",  # a waiting job's place in the queue, in its card
    "wait-status": "q",  # ... in a video page's status
}
WATCHED_LETTER = "w"
