"""A local stand-in for CometAPI's Veo 3.1 video route, served over HTTP on loopback.

Three users:

* demo mode: with no API key the app's worker talks to this server instead of CometAPI
  (``python manage.py simulate_cometapi --port 8765``);
* the test suite: ``CometSimulator(render_seconds=0.2).start()`` runs it in a thread,
  and tests steer it;
* the crash and load scripts in ``harness/``, which run it as a separate process.

It serves the routes of CometAPI's video API that the app's client
(``lib/cometapi.py``) calls, as ``docs/cometapi-create-video.txt`` (the vendor's
page) and ``docs/cometapi-notes.md`` describe them:

* ``POST /v1/videos``: multipart form with model, prompt, seconds, size and an optional
  ``input_reference`` file
* ``GET /v1/videos/{id}``: the task; its status moves with time (queued, in_progress,
  completed)
* ``GET /v1/videos/{id}/content``: the MP4 once completed
* ``GET /files/{token}.mp4``: the temporary, unauthenticated ``video_url``
* ``POST /v1/chat/completions``: an OpenAI-compatible chat completion ("Improve my
  prompt"), answered with a deterministic improvement of the prompt it is sent
  (``improved_prompt``), with token usage; faults script it as the ``chat`` endpoint

As in the Go servers such gateways run on, only a part with a filename counts as a file:
an ``input_reference`` sent without one is an ordinary form field, so no image reaches
the render. Bodies that are not multipart/form-data are refused with 400, since the
vendor documents only multipart; a client sending urlencoded text-to-video requests
would be relying on luck.

A prompt containing ``[sim:<outcome>]`` makes its task end that way, for trying failures
by hand in demo mode: ``[sim:failed]``, ``[sim:error]``, ``[sim:unknown]``,
``[sim:cancelled]``, ``[sim:stuck]``, ``[sim:failed_no_error]``, and ``[sim:slow]``
(completes after 60 s).

Tests steer it in-process (``fail_next``, ``outcome``, ``video_payload`` ...); scripts
that run it as a separate process use the ``/_sim/`` control endpoints (only with
``control=True``, no auth): ``GET /_sim/stats``, ``POST /_sim/config``,
``POST /_sim/fail``, ``POST /_sim/reset``.

Modules: ``server`` (task state, faults, HTTP), ``multipart`` (the form parser), ``mp4``
(demo videos). No Django imports anywhere in this package: the ``simulate_cometapi``
management command is a thin Django-aware shim over it.
"""

from .mp4 import make_demo_mp4
from .multipart import UploadedFile, parse_multipart
from .server import CometSimulator, vendor_error

__all__ = [
    "CometSimulator",
    "UploadedFile",
    "make_demo_mp4",
    "parse_multipart",
    "vendor_error",
]
