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
from datetime import UTC, datetime

from django.db import connections
from django.db.models import Field, QuerySet
from django.db.models.query import get_related_populators


class Prepared:
    """`Prepared(build, field, …)`: `build(*values)` returns a queryset, each value of the
    type of the matching model field (a primary key: `Model._meta.pk`). `.rows(*values)`
    gives what the database answers, as plain rows of database values (SQLite hands UUIDs
    back as hex text and datetimes as text: turn into Python only what the caller shows)."""

    def __init__(self, build: Callable[..., QuerySet], *fields: Field):
        self.build = build
        self.fields = fields
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str):
        connection = connections[alias]
        # Each value its own stand-in: `pk__in` drops a value given twice.
        stand_ins = [_stand_in(field, 2 * index) for index, field in enumerate(self.fields)]
        queryset, compiler, (sql, params) = self._sql(stand_ins, alias)
        # Where each value goes: the positions that move when only that value does.
        slots = []
        for index, field in enumerate(self.fields):
            other = list(stand_ins)
            other[index] = _stand_in(field, 2 * index + 1)
            _, _, (other_sql, other_params) = self._sql(other, alias)
            if other_sql != sql or len(other_params) != len(params):
                raise ValueError("the query's SQL changes with its values: not preparable")
            moved = [n for n, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b]
            expected = field.get_db_prep_value(stand_ins[index], connection)
            if not moved or any(params[n] != expected for n in moved):
                raise ValueError(f"value {index} does not reach the query as itself")
            slots += [(n, index) for n in moved]
        # The compiler keeps what turns a row into objects (columns, converters, joins).
        return sql, list(params), slots, (compiler, queryset._fetch_mode)

    def _sql(self, values: list, alias: str):
        queryset = self.build(*values)
        compiler = queryset.query.get_compiler(using=alias)
        return queryset, compiler, compiler.as_sql()

    def _run(self, values, using: str):
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using) or self._compile(using)
                self._compiled[using] = compiled
        sql, params, slots, built = compiled
        connection = connections[using]
        params = list(params)
        for position, index in slots:
            params[position] = self.fields[index].get_db_prep_value(values[index], connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall(), built

    def rows(self, *values, using: str = "default") -> list[tuple]:
        return self._run(values, using)[0]

    def instances(self, *values, using: str = "default") -> list:
        """The model instances the built queryset gives (its annotations, deferred fields
        and select_related objects as the ORM sets them), for a queryset of instances."""
        rows, (compiler, fetch_mode) = self._run(values, using)
        if not rows:
            return []
        # What ModelIterable does with a query's compiler, without building it again.
        select, klass_info = compiler.select, compiler.klass_info
        annotation_col_map = compiler.annotation_col_map
        model_cls = klass_info["model"]
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, using, fetch_mode)
        found = []
        for row in compiler.results_iter(results=[rows]):
            obj = model_cls.from_db(using, init_list, row[start:end], fetch_mode=fetch_mode)
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotation_col_map.items():
                setattr(obj, name, row[position])
            found.append(obj)
        return found

    def forget(self) -> None:
        """For tests that change the database settings under a running process."""
        self._compiled.clear()


def _stand_in(field: Field, n: int):
    """A value of `field`'s type, different for each `n`, that no real row or query holds."""
    import uuid
    from datetime import UTC, date, datetime, timedelta

    if field.get_internal_type() == "UUIDField":
        return uuid.UUID(int=0xF00D_0000 + n)
    if field.get_internal_type() == "DateField":
        return date(1901, 2, 3) + timedelta(days=n)
    if field.get_internal_type() == "DateTimeField":
        return datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC) + timedelta(seconds=n)
    return -7_654_321 - n


def as_aware(value: datetime | str) -> datetime:
    """A datetime column of `Prepared.rows` as the ORM gives it: SQLite's driver hands back
    a naive datetime (or the stored text) in UTC, PostgreSQL's an aware one."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
