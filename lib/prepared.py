"""Queries the ORM builds once per process, then runs with new values: `Prepared`.

Every page load asks a few small questions (a gallery's version, the person's running
jobs, what a video's page shows). The database answers each in some 20 µs; the ORM took
1 to 4 ms to build each one's SQL, again on every request. As links.py does for
`reverse()`, the query is built once with stand-in values and the real values go where the
stand-ins were: same SQL, same answer (tests/test_prepared.py holds the two together).

Only for queries whose SQL depends on nothing but the values passed in: no clock, no
setting, no user object's other attributes.

`.rows()` gives the database's raw values; `.values()` and `.objects()` pass them through the
ORM's own converters first (SQLite keeps a DecimalField as a float: the converter gives back
the exact Decimal of the field's places, as the ORM does), for money and whole model rows;
`.instances()` builds what the queryset gives, related objects and annotations included.

On PostgreSQL each statement is also prepared on the server, once per connection: planning
took most of a small query's time there (0.7 ms of planning for 0.13 ms of work for a video
page's facts). Every value but the ones passed in is written into the statement's text, so
that the plan PostgreSQL keeps sees the statuses and flags as constants and only the ids,
dates and keys as parameters (with the statuses as parameters, a kept plan walked all of a
person's rows). PostgreSQL still plans each of the first five runs for their values and
keeps a generic plan only when it costs no more than those.
"""

import re
import threading
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, NamedTuple

import psycopg
from django.db import connections
from django.db.models import Field, Model, QuerySet
from django.db.models.query import get_related_populators


class _Compiled(NamedTuple):
    sql: str
    params: list
    slots: list[tuple[int, int]]
    # The compiler keeps what turns a row into objects (columns, converters, joins).
    compiler: Any
    fetch_mode: Any
    # The ORM's converters of the selected columns: [(position, (converters, expression))].
    converters: list[tuple[int, tuple[list, Any]]]
    # For a query of whole rows of one model: the model and its columns' attribute names.
    model: type[Model] | None
    init_list: list[str]
    # On PostgreSQL: the SQL with every value but the slots' written in, and the positions
    # in `params` of the values it takes, in their order. None: asked as `sql`.
    server_sql: str | None
    server_values: list[int]


class Prepared:
    """`Prepared(build, field, …)`: `build(*values)` returns a queryset, each value of the
    type of the matching model field (a primary key: `Model._meta.pk`). `.rows(*values)`
    gives the rows as the database driver answers them, before Django's converters (SQLite
    hands UUIDs back as hex text: turn into Python only what the caller shows)."""

    def __init__(self, build: Callable[..., QuerySet], *fields: Field):
        self.build = build
        self.fields = fields
        self._compiled: dict[str, _Compiled] = {}
        self._builders: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> _Compiled:
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
        columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(columns).items())
        model, init_list = _whole_rows(compiler)
        server_sql: str | None = None
        server_values: list[int] = []
        if connection.vendor == "postgresql":
            server_sql, server_values = _written_in(connection, sql, params, slots)
        return _Compiled(
            sql,
            list(params),
            slots,
            compiler,
            queryset._fetch_mode,
            converters,
            model,
            init_list,
            server_sql,
            server_values,
        )

    def _sql(self, values: list, alias: str):
        queryset = self.build(*values)
        compiler = queryset.query.get_compiler(using=alias)
        return queryset, compiler, compiler.as_sql()

    def _compiled_for(self, using: str) -> _Compiled:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using) or self._compile(using)
                self._compiled[using] = compiled
        return compiled

    def _params(self, compiled: _Compiled, values: tuple, using: str) -> list:
        connection = connections[using]
        params = list(compiled.params)
        for position, index in compiled.slots:
            params[position] = self.fields[index].get_db_prep_value(values[index], connection)
        return params

    def _run(self, compiled: _Compiled, values: tuple, using: str) -> list[tuple]:
        with statement_cursor(using) as cursor:
            cursor.execute(*self._statement(compiled, values, using))
            return cursor.fetchall()

    def _statement(self, compiled: _Compiled, values: tuple, using: str) -> tuple[str, list]:
        params = self._params(compiled, values, using)
        if compiled.server_sql is None:
            return compiled.sql, params
        return compiled.server_sql, [params[n] for n in compiled.server_values]

    def statement(self, *values, using: str = "default") -> tuple[str, list]:
        """The SQL and parameters `.rows(*values)` runs, to ask it inside a larger query
        (one round trip for several questions), with `statement_cursor()`."""
        return self._statement(self._compiled_for(using), values, using)

    def rows(self, *values, using: str = "default") -> list[tuple]:
        return self._run(self._compiled_for(using), values, using)

    def values(self, *values, using: str = "default") -> list[list]:
        """The rows as the ORM's `values_list()` gives them: each column converted by the
        ORM (exact Decimals, UUIDs, aware datetimes)."""
        compiled = self._compiled_for(using)
        return _converted(self._run(compiled, values, using), compiled, using)

    def objects(self, *values, using: str = "default") -> list[Any]:
        """The model instances the ORM's queryset gives (a query of whole rows of one model,
        nothing related or annotated)."""
        compiled = self._compiled_for(using)
        model = compiled.model
        if model is None:
            raise ValueError("not a query of whole rows of one model")
        rows = _converted(self._run(compiled, values, using), compiled, using)
        return [model.from_db(using, compiled.init_list, row) for row in rows]

    def instances(self, *values, using: str = "default") -> list:
        """The model instances the built queryset gives (its annotations, deferred fields
        and select_related objects as the ORM sets them), for a queryset of instances."""
        return self.instances_of(self.rows(*values, using=using), using=using)

    def instances_of(self, rows: list[tuple], using: str = "default") -> list:
        """`instances()` of rows `.rows()` gave: a caller that needs only some of them as
        objects builds only those."""
        if not rows:
            return []
        compiled = self._compiled_for(using)
        model, init_list, start, end, populators, annotations = self._builder_for(using)
        found = []
        for row in _converted(rows, compiled, using):
            obj = model.from_db(using, init_list, row[start:end], fetch_mode=compiled.fetch_mode)
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found

    def _builder_for(self, using: str) -> tuple:
        """What ModelIterable works out from a query's compiler before it builds its rows'
        objects, worked out once: building it took longer than the rows' objects."""
        builder = self._builders.get(using)
        if builder is None:
            compiler = self._compiled_for(using).compiler
            select, klass_info = compiler.select, compiler.klass_info
            select_fields = klass_info["select_fields"]
            start, end = select_fields[0], select_fields[-1] + 1
            builder = self._builders[using] = (
                klass_info["model"],
                [column[0].target.attname for column in select[start:end]],
                start,
                end,
                get_related_populators(
                    klass_info, select, using, self._compiled_for(using).fetch_mode
                ),
                list(compiler.annotation_col_map.items()),
            )
        return builder

    def converted(
        self, rows: list[tuple], positions: list[int], using: str = "default"
    ) -> list[list]:
        """The columns at `positions` of rows `.rows()` gave, each as `.values()` gives it."""
        compiled = self._compiled_for(using)
        connection = connections[using]
        converters = dict(compiled.converters)
        found = []
        for row in rows:
            picked = []
            for position in positions:
                value = row[position]
                converting = converters.get(position)
                if converting is not None:
                    for converter in converting[0]:
                        value = converter(value, converting[1], connection)
                picked.append(value)
            found.append(picked)
        return found

    def positions(self, using: str = "default") -> dict[str, int]:
        """Where each column of a queryset of instances is in its rows: a field by its
        attribute name, an annotation by its name, a `select_related` row's field as
        `relation__attname`."""
        compiler = self._compiled_for(using).compiler
        found = dict(compiler.annotation_col_map)

        def add(info: dict, prefix: str) -> None:
            for position in info["select_fields"]:
                found[prefix + compiler.select[position][0].target.attname] = position
            for related in info.get("related_klass_infos", []):
                add(related, f"{prefix}{related['field'].name}__")

        add(compiler.klass_info, "")
        return found

    def forget(self) -> None:
        """For tests that change the database settings under a running process."""
        self._compiled.clear()
        self._builders.clear()


# A value's place in Django's SQL, or a percent sign written as two.
_PLACES = re.compile(r"(%%|%s)")


def _written_in(connection, sql: str, params, slots) -> tuple[str, list[int]]:
    """`sql` with each value of `params` written in as PostgreSQL reads a constant, but the
    slots' (the values a `Prepared` is asked with), and the positions of those in order."""
    taken = {position for position, _ in slots}
    connection.ensure_connection()
    pieces, order, position = [], [], 0
    with psycopg.ClientCursor(connection.connection) as writer:
        for piece in _PLACES.split(sql):
            if piece != "%s":
                pieces.append(piece)
                continue
            if position in taken:
                pieces.append("%s")
                order.append(position)
            else:
                pieces.append(writer.mogrify("%s", [params[position]]).replace("%", "%%"))
            position += 1
    if position != len(params):
        raise ValueError("the query's SQL and its values do not match")
    return "".join(pieces), order


class _PreparingCursor(psycopg.Cursor):
    """A cursor that binds its values on the server and has PostgreSQL prepare each
    statement it runs, once per connection."""

    def execute(self, query, params=None, *, prepare=None, binary=None) -> "_PreparingCursor":
        super().execute(query, params, prepare=True, binary=binary)
        return self


def _prepares(connection) -> bool:
    """Whether `connection` prepares what its cursors ask it to (settings.py: psycopg
    prepares nothing while the connection's prepare_threshold is None)."""
    return connection.vendor == "postgresql" and connection.connection.prepare_threshold is not None


@contextmanager
def statement_cursor(using: str = "default"):
    """A cursor for `Prepared.statement()`s: on PostgreSQL one that binds the values on the
    server and has it prepare each statement (its plan is kept for the connection); Django's
    own cursor elsewhere. Django's wrapper times and counts what it runs, as any query."""
    connection = connections[using]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if not _prepares(connection):
        with connection.cursor() as cursor:
            yield cursor
        return
    with connection.wrap_database_errors:
        cursor = connection._prepare_cursor(  # type: ignore[attr-defined]
            _PreparingCursor(connection.connection)
        )
    with cursor:
        yield cursor


def _converted(rows: list[tuple], compiled: _Compiled, using: str) -> list[list]:
    """`rows` through the ORM's converters, as its compiler's `apply_converters` does."""
    connection = connections[using]
    converted = [list(row) for row in rows]
    for row in converted:
        for position, (converters, expression) in compiled.converters:
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
    return converted


def _whole_rows(compiler) -> tuple[type[Model] | None, list[str]]:
    """The model and its columns' attribute names when the query selects whole rows of one
    model and nothing else (as `ModelIterable` reads them), else (None, [])."""
    info = compiler.klass_info
    if (
        not info
        or info.get("related_klass_infos")
        or compiler.annotation_col_map
        or compiler.query.values_select
    ):
        return None, []
    fields = info["select_fields"]
    if fields != list(range(compiler.col_count)):
        return None, []
    return info["model"], [column.target.attname for column, _, _ in compiler.select]


def _stand_in(field: Field, n: int):
    """A value of `field`'s type, different for each `n`, that no real row or query holds."""
    import uuid
    from datetime import date, timedelta

    if field.get_internal_type() == "UUIDField":
        return uuid.UUID(int=0xF00D_0000 + n)
    if field.get_internal_type() == "DateField":
        return date(1901, 2, 3) + timedelta(days=n)
    if field.get_internal_type() == "DateTimeField":
        return datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC) + timedelta(seconds=n)
    if "Positive" in field.get_internal_type() or "Small" in field.get_internal_type():
        # Within the column's range: Django drops a comparison with a value past it.
        return 32_000 - n
    return -7_654_321 - n


def as_aware(value: datetime | str) -> datetime:
    """A datetime column of `Prepared.rows` as the ORM gives it: SQLite's driver hands back
    a naive datetime (or the stored text) in UTC, PostgreSQL's an aware one."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class PreparedModels(Prepared):
    """A `Prepared` query answered as its queryset answers: model instances, with the
    queryset's annotations and `select_related()` rows, each value turned into Python as the
    ORM turns it (SQLite's dates and ids read from text). `.objects(*values)`."""

    def objects(self, *values, using: str = "default") -> list:
        return self.instances(*values, using=using)


def side_by_side(
    many: tuple[str, list] | None,
    *singles: tuple[str, list],
    ordered_by: tuple[str, ...] = (),
    using: str = "default",
) -> tuple[list[tuple], list[tuple | None]]:
    """Several prepared statements (`Prepared.statement`) asked in one round trip: `many`'s
    rows (any number, None: no such statement) and the one row of each of `singles` (None
    when it found none). Each is joined to a single row, so that no statement's lack of rows
    hides the others' (a marker column says which found one). `many`'s rows come in no
    given order unless `ordered_by` names its columns to sort them by (its own ordering,
    ending with a unique column, gives its own order: the same database sorts them)."""
    statements = ([] if many is None else [many]) + list(singles)
    joins, params = [], []
    for index, (sql, values) in enumerate(statements):
        joins.append(
            f' LEFT JOIN (SELECT 1 AS "found_{index}", q.* FROM ({sql}) AS q) AS s{index} ON 1 = 1'
        )
        params += values
    quote = connections[using].ops.quote_name
    order = ", ".join(f"s0.{quote(column)}" for column in ordered_by if many is not None)
    with statement_cursor(using) as cursor:
        cursor.execute(
            "SELECT * FROM (SELECT 1 AS one) AS one_row"
            + "".join(joins)
            + (f" ORDER BY {order}" if order else ""),
            params,
        )
        rows = cursor.fetchall()
        names = [column[0] for column in cursor.description]
    # Where each statement's columns start (after its marker) and end.
    starts = [names.index(f"found_{index}") for index in range(len(statements))]
    bounds = list(zip(starts, [*starts[1:], len(names)], strict=True))

    def part(row: tuple, index: int) -> tuple | None:
        start, end = bounds[index]
        return None if row[start] is None else tuple(row[start + 1 : end])

    found_many = []
    if many is not None:
        found_many = [found for row in rows if (found := part(row, 0)) is not None]
    offset = 0 if many is None else 1
    return found_many, [part(rows[0], offset + n) for n in range(len(singles))]


def asked_together(statements: list[tuple[str, list]], using: str = "default") -> list[list]:
    """The rows of each (SQL, values) (`Prepared.statement()`s), in one round trip where the
    database can (PostgreSQL: each statement prepared, sent in one pipeline, answered in
    turn), else one after the other: each of a page's small reads cost a round trip more
    than the database takes to answer it."""
    connection = connections[using]
    if len(statements) > 1:
        connection.ensure_connection()
        if _prepares(connection):
            return _pipelined(connection, statements)
    with statement_cursor(using) as cursor:
        found = []
        for sql, params in statements:
            cursor.execute(sql, params)
            found.append(cursor.fetchall())
        return found


def _pipelined(connection, statements: list[tuple[str, list]]) -> list[list]:
    """asked_together() on PostgreSQL, timed and counted by Django's cursor wrapper as one
    query (the statements' text joined by semicolons)."""
    found: list[list] = []

    def ask(sql, params, many, context):
        connection.validate_no_broken_transaction()
        with connection.wrap_database_errors:
            raw = connection.connection
            cursors = [_PreparingCursor(raw) for _ in statements]
            with raw.pipeline():
                for cursor, (sql_of_one, params_of_one) in zip(cursors, statements, strict=True):
                    cursor.execute(sql_of_one, params_of_one)
            for cursor in cursors:
                found.append(cursor.fetchall())
                cursor.close()

    joined = "; ".join(sql for sql, _ in statements)
    params = [param for _, values in statements for param in values]
    with connection.cursor() as wrapper:
        logged = getattr(wrapper, "debug_sql", None)
        with logged(joined, params) if logged else nullcontext():
            wrapper._execute_with_wrappers(joined, params, many=False, executor=ask)
    return found
