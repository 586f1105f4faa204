"""Queries the ORM builds once per process, then runs with new values: `Prepared`.

Every page load asks a few small questions (a gallery's version, the person's running
jobs, what a video's page shows). The database answers each in some 20 µs; the ORM took
1 to 4 ms to build each one's SQL, again on every request. As links.py does for
`reverse()`, the query is built once with stand-in values and the real values go where the
stand-ins were: same SQL, same answer (tests/test_prepared.py holds the two together).

Only for queries whose SQL depends on nothing but the values passed in: no clock, no
setting, no user object's other attributes.
"""

import threading
from collections.abc import Callable

from django.db import connections
from django.db.models import Field, QuerySet


class Prepared:
    """`Prepared(build, field, …)`: `build(*values)` returns a queryset, each value of the
    type of the matching model field (a primary key: `Model._meta.pk`). `.rows(*values)`
    gives what the database answers, as plain rows of database values (SQLite hands UUIDs
    back as hex text and datetimes as text: turn into Python only what the caller shows)."""

    def __init__(self, build: Callable[..., QuerySet], *fields: Field):
        self.build = build
        self.fields = fields
        self._compiled: dict[str, tuple[str, list, list[tuple[int, int]]]] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str):
        connection = connections[alias]
        stand_ins = [_stand_in(field, 0) for field in self.fields]
        sql, params = self._sql(stand_ins, alias)
        # Where each value goes: the positions that move when only that value does.
        slots = []
        for index, field in enumerate(self.fields):
            other = list(stand_ins)
            other[index] = _stand_in(field, 1)
            other_sql, other_params = self._sql(other, alias)
            if other_sql != sql or len(other_params) != len(params):
                raise ValueError("the query's SQL changes with its values: not preparable")
            moved = [n for n, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b]
            expected = field.get_db_prep_value(stand_ins[index], connection)
            if not moved or any(params[n] != expected for n in moved):
                raise ValueError(f"value {index} does not reach the query as itself")
            slots += [(n, index) for n in moved]
        return sql, list(params), slots

    def _sql(self, values: list, alias: str) -> tuple[str, tuple]:
        queryset = self.build(*values)
        return queryset.query.get_compiler(using=alias).as_sql()

    def rows(self, *values, using: str = "default") -> list[tuple]:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using) or self._compile(using)
                self._compiled[using] = compiled
        sql, params, slots = compiled
        connection = connections[using]
        params = list(params)
        for position, index in slots:
            params[position] = self.fields[index].get_db_prep_value(values[index], connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def forget(self) -> None:
        """For tests that change the database settings under a running process."""
        self._compiled.clear()


def _stand_in(field: Field, n: int):
    """Two different values of `field`'s type that no real row or query would hold."""
    import uuid
    from datetime import UTC, datetime

    if field.get_internal_type() == "UUIDField":
        return uuid.UUID(int=0xF00D_0000 + n)
    if field.get_internal_type() == "DateTimeField":
        return datetime(1901, 2, 3, 4, 5, 6 + n, tzinfo=UTC)
    return -7_654_321 - n


class PreparedModels(Prepared):
    """A `Prepared` query answered as its queryset answers: model instances, with the
    queryset's annotations and `select_related()` rows, each value turned into Python as the
    ORM turns it (SQLite's dates and ids read from text). `.objects(*values)`."""

    def __init__(self, build: Callable[..., QuerySet], *fields: Field):
        super().__init__(build, *fields)
        self._makers: dict[str, Callable[[list[tuple]], list]] = {}

    def _sql(self, values: list, alias: str) -> tuple[str, tuple]:
        queryset = self.build(*values)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        # The same shape for every value (Prepared checks the SQL is): the last one serves.
        self._makers[alias] = _instances_maker(queryset, compiler)
        return sql, params

    def objects(self, *values, using: str = "default") -> list:
        rows = self.rows(*values, using=using)
        return self._makers[using](rows)

    def forget(self) -> None:
        super().forget()
        self._makers.clear()


def _instances_maker(queryset: QuerySet, compiler) -> Callable[[list[tuple]], list]:
    """What Django's ModelIterable does with a query's rows, its column layout read once."""
    from django.db.models.query import get_related_populators

    db = compiler.using
    select, klass_info = compiler.select, compiler.klass_info
    annotations = dict(compiler.annotation_col_map or {})
    converters = compiler.get_converters([column[0] for column in select[: compiler.col_count]])
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    names = [column[0].target.attname for column in select[start:end]]
    fetch_mode = queryset._fetch_mode  # type: ignore[attr-defined]
    populators = get_related_populators(klass_info, select, db, fetch_mode)

    def instances(rows: list[tuple]) -> list:
        # The converters take a connection for its settings only (time zone, backend).
        converted = compiler.apply_converters(rows, converters) if converters else rows
        found = []
        for row in converted:
            instance = model.from_db(db, names, row[start:end], fetch_mode=fetch_mode)
            for populator in populators:
                populator.populate(row, instance)
            for name, position in annotations.items():
                setattr(instance, name, row[position])
            found.append(instance)
        return found

    return instances
