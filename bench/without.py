"""Switch one cache layer off in the benchmark's server, to measure what it buys:
`BENCH_WITHOUT=cards,page` (`bench/run.py --without cards,page`). Applied by bench/urls.py,
once the apps are loaded; nothing outside bench/ knows about it.

| layer | what goes |
| --- | --- |
| sections | a gallery page's drawn filters and cards kept under its version (`gallery.gallery_sections`) |
| cards | `{% cache %}` of a finished card (`_card.html`) |
| fragments | `{% fragment %}`: the header, and the parts of a video's page |
| page | a finished video's whole page kept as a string (`video_page.kept_video_page`) |
| counts | the gallery's grouped counts kept under its version (`gallery._grouped`) |
| prepared | `Prepared`: each small query built by the ORM again on every call |
| links | `links.py`: every link through `reverse()` |
| plan | the per-process queue plan (`BILLING_QUEUE_PLAN_SECONDS=0`, see bench/settings.py) |
"""

import os

LAYERS = {"sections", "cards", "fragments", "page", "counts", "prepared", "links", "plan"}


def wanted() -> set[str]:
    names = {name for name in os.environ.get("BENCH_WITHOUT", "").split(",") if name}
    unknown = names - LAYERS
    if unknown:
        raise SystemExit(f"BENCH_WITHOUT: no layer {', '.join(sorted(unknown))}")
    return names


def _swap(owner, name: str, value) -> None:
    """owner.name = value, for a module or class the type checker holds to its types."""
    setattr(owner, name, value)


def apply() -> None:
    off = wanted()
    if "fragments" in off:
        from generations.templatetags import fragments

        def render(self, context):
            with context.push(csrf_token=fragments._MARKER):
                html = self.nodelist.render(context)
            return fragments.with_token(html, context.get("csrf_token", ""))

        _swap(fragments.FragmentNode, "render", render)
    if "page" in off:
        from django.utils.safestring import mark_safe

        from generations import video_page
        from generations.templatetags import fragments

        def kept(key, draw, timeout=0):
            return mark_safe(draw({"csrf_token": fragments._MARKER}))

        _swap(video_page, "kept", kept)
    if "sections" in off:
        from generations import gallery

        def sections(
            request, base, version, action, filterset_class=gallery.GalleryFilter, prepared=None
        ):
            return gallery._draw_sections(request, base, action, filterset_class, prepared)

        _swap(gallery, "gallery_sections", sections)
    if "counts" in off:
        from generations import gallery

        _swap(gallery, "_grouped", lambda rows, version, person: list(rows))
    if "prepared" in off:
        from django.db import connections

        from lib.prepared import Prepared

        def rows(self, *values, using="default"):
            sql, params = self.build(*values).query.get_compiler(using=using).as_sql()
            with connections[using].cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

        _swap(Prepared, "rows", rows)
    if "links" in off:
        from generations import links

        _swap(links, "_around_the_id", links._around_the_id.__wrapped__)
        _swap(links, "_page_path", links._page_path.__wrapped__)
