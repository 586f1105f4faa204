"""Links to one job's pages and files, e.g. `job_url("generations:poster", pk)`, and to the
pages every page links (`page_url("generations:index")`, the header's).

A gallery page links each of its 24 cards about nine times; `reverse()` costs about 40 µs
a call (a third of the page's rendering), so each URL name is reversed once per process
with a stand-in id, and the job's id is put in its place. Same answer as `reverse()`
(tests/test_links.py), the script prefix of the request included.
"""

import functools
import uuid

from django.urls import get_script_prefix, reverse

_STAND_IN = uuid.UUID(int=0)


@functools.cache
def _around_the_id(name: str) -> tuple[str, str]:
    """The URL of `name` before and after the id, without the script prefix (a name that
    takes no id raises NoReverseMatch, as reverse() does)."""
    path = reverse(name, args=[_STAND_IN]).removeprefix(get_script_prefix())
    before, _, after = path.partition(str(_STAND_IN))
    return before, after


def job_url(name: str, pk) -> str:
    before, after = _around_the_id(name)
    return f"{get_script_prefix()}{before}{pk}{after}"


@functools.cache
def _page_path(name: str) -> str:
    return reverse(name).removeprefix(get_script_prefix())


def page_url(name: str) -> str:
    """reverse(name) for a URL that takes no arguments, reversed once per process."""
    return f"{get_script_prefix()}{_page_path(name)}"


_NUMBER_STAND_IN = 987_654_321


@functools.cache
def _around_the_number(name: str) -> tuple[str, str]:
    path = reverse(name, args=[_NUMBER_STAND_IN]).removeprefix(get_script_prefix())
    before, _, after = path.partition(str(_NUMBER_STAND_IN))
    return before, after


def numbered_url(name: str, number: int) -> str:
    """reverse(name, args=[number]) for a URL that takes one integer id (an inbox line, a
    sequence), reversed once per process as `job_url` is."""
    before, after = _around_the_number(name)
    return f"{get_script_prefix()}{before}{number}{after}"


@functools.cache
def _around_the_ids(name: str) -> tuple[str, str, str]:
    path = reverse(name, args=[_STAND_IN, _NUMBER_STAND_IN]).removeprefix(get_script_prefix())
    before, _, rest = path.partition(str(_STAND_IN))
    middle, _, after = rest.partition(str(_NUMBER_STAND_IN))
    return before, middle, after


def job_item_url(name: str, pk, number: int) -> str:
    """reverse(name, args=[pk, number]) for a URL of one numbered thing of a job (a
    comment's Edit, Delete, Resolve), reversed once per process as `job_url` is."""
    before, middle, after = _around_the_ids(name)
    return f"{get_script_prefix()}{before}{pk}{middle}{number}{after}"
