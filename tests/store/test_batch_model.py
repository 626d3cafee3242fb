"""Property: a batch ends with the same store as its units committed one by one.

A random sequence of units (creates, updates, the engine's write_changes,
list changes, logged events, effects, workflow runs and their log, reads, a
nested unit, and sometimes a failure at a random point; between units,
sometimes a prefetch) runs three ways: inside one batch, each unit in
its own committed transaction, and against a plain Python model. Every read
must agree with the model as it goes, and the two stores must end identical:
records, lists, each record's history, events, effects, runs and run logs.
"""

from __future__ import annotations

import copy
import datetime as dt

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.errors import InputError
from leadflow.store import SqliteStore
from leadflow.store import batch as batch_module
from leadflow.store.base import Run

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
FIELDS = ["email", "score", "when", "tags"]
EMAILS = ["ann@x.io", "bob@x.io", 1, True, 1.0]  # numbers: 1, True and 1.0 are one email, as in SQL
LISTS = ["vip", "newsletter"]
TYPES = ["contact", "deal"]

values = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.sampled_from([True, 1.0, "1"]),
    st.text(max_size=4),
    st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=2))])),
    st.lists(st.integers(0, 3), max_size=2),
)
emails = st.one_of(st.sampled_from([*EMAILS, None]), values)
changes = st.lists(
    st.one_of(st.tuples(st.just("email"), emails), st.tuples(st.sampled_from(FIELDS[1:]), values)), max_size=3
).map(dict)
record_ref = st.integers(0, 30)
run_ref = st.integers(0, 10)
# Operations the overlay answers come often; those that make a unit flush, less.
simple_ops = st.one_of(
    *[st.tuples(st.just("update"), record_ref, changes)] * 3,
    *[st.tuples(st.just("write"), record_ref, changes)] * 3,
    *[st.tuples(st.just("find"), st.sampled_from(TYPES), st.sampled_from(EMAILS))] * 3,
    *[st.tuples(st.just("log"), st.integers(0, 8), st.one_of(st.none(), record_ref))] * 2,
    *[
        st.tuples(
            st.just("create"),
            st.sampled_from(TYPES),
            st.tuples(st.sampled_from(EMAILS), changes).map(lambda c: {"email": c[0], **c[1]}),
        )
    ]
    * 2,
    st.tuples(st.just("get"), record_ref, st.none()),
    st.tuples(st.just("add"), record_ref, st.sampled_from(LISTS)),
    st.tuples(st.just("remove"), record_ref, st.sampled_from(LISTS)),
    st.tuples(st.just("enqueue"), st.integers(0, 4), st.none()),
    *[st.tuples(st.just("queue"), st.integers(0, 4), st.none())] * 2,
    st.tuples(st.just("history"), record_ref, st.none()),
    st.tuples(st.just("run"), record_ref, st.none()),
    *[st.tuples(st.just("save"), run_ref, st.sampled_from(["active", "completed", "error"]))] * 2,
    *[st.tuples(st.just("log_run"), run_ref, st.none())] * 2,
    st.tuples(st.just("read_run"), run_ref, st.none()),
)
# A unit: its operations, where it fails (None: it does not), whether it runs bare,
# outside any transaction (only units that do not fail), and the emails prefetched
# before it, as the engine does before a batch (a hint: answers must not change).
nested = st.tuples(st.just("nested"), st.lists(simple_ops, max_size=4), st.one_of(st.none(), st.integers(0, 4)))
prefetch = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(TYPES), st.just(["ann@x.io", "bob@x.io", 1])),  # numbers are left to SQL
    st.tuples(st.sampled_from(TYPES), st.lists(st.sampled_from([*EMAILS, "cy@x.io"]))),
)
units = st.lists(
    st.tuples(
        st.lists(st.one_of(simple_ops, nested), max_size=6),
        st.one_of(st.none(), st.integers(0, 6)),
        st.booleans(),
        prefetch,
    ),
    max_size=12,
)


class Failed(Exception):
    pass


class Model:
    """What the store should hold: plain dicts, copied whole to undo a unit."""

    def __init__(self):
        self.records: dict[int, tuple[str, dict]] = {}
        self.lists: dict[int, set[str]] = {}
        self.events: set[str] = set()
        self.effects: set[str] = set()
        self.runs: dict[int, Run] = {}
        self.run_logs: dict[int, int] = {}  # run id -> how many log rows

    def find(self, type_: str, email) -> int | None:
        matches = [
            i
            for i, (t, props) in self.records.items()
            if t == type_ and "email" in props and _scalar(props["email"]) and props["email"] == email
        ]
        return min(matches) if matches else None

    def email_taken(self, type_: str, email, record_id: int | None) -> bool:
        """Whether another contact has this email: the store must refuse it (a unique index)."""
        return type_ == "contact" and _scalar(email) and self.find(type_, email) not in (None, record_id)


def _scalar(value) -> bool:
    return isinstance(value, (str, int, float))


def real_changes(props: dict, updates: dict) -> dict:
    """update_record's notion of a change: equal values of the same type are none."""
    return {
        f: (props.get(f), v) for f, v in updates.items() if not (props.get(f) == v and type(props.get(f)) is type(v))
    }


def run_op(store: SqliteStore, model: Model, op, step: int) -> None:
    kind, target, arg = op
    moment = T0 + dt.timedelta(minutes=step)
    ids = sorted(model.records)
    if kind == "create":
        if model.email_taken(target, arg.get("email"), None):
            with pytest.raises(InputError, match="already belongs to contact"):
                store.create_record(target, arg, moment, "test")
            return
        record = store.create_record(target, arg, moment, "test")
        assert record.id == len(model.records) + 1  # ids of rolled-back records are reused
        model.records[record.id] = (target, {k: v for k, v in arg.items() if v is not None})
        model.lists[record.id] = set()
        return
    if kind == "find":
        found = store.find_by(target, "email", arg)
        assert (found.id if found else None) == model.find(target, arg)
        return
    if kind == "log":
        record_id = None if arg is None or not ids else ids[arg % len(ids)]
        expected = f"k{target}" not in model.events
        assert store.log_event(f"k{target}", "visit", record_id, moment, {"step": step}) is expected
        assert store.has_event(f"k{target}")
        model.events.add(f"k{target}")
        return
    if kind in ("enqueue", "queue"):  # the first effect with a key wins, however it was queued
        enqueue = store.enqueue_effect if kind == "enqueue" else store.queue_effect
        enqueue("email", {"step": step}, f"fx{target}", moment)
        model.effects.add(f"fx{target}")
        return
    if kind in ("save", "log_run", "read_run"):
        workflow_op(store, model, op, moment, step)
        return
    if not ids:
        return
    record_id = ids[target % len(ids)]
    type_, props = model.records[record_id]
    if kind == "run":
        run = store.create_run("w", record_id, "1", moment, {"step": step})
        assert run.id == len(model.runs) + 1  # as records: the ids of rolled-back runs are reused
        model.runs[run.id], model.run_logs[run.id] = run, 0
    elif kind == "get":
        record = store.get_record(record_id)
        assert (record.type, record.props) == (type_, props)
    elif kind == "history":
        assert store.history(record_id)[-1].record_id == record_id
    elif kind in ("update", "write"):
        expected = real_changes(props, arg)
        new_props = {
            k: v for k, v in {**props, **{f: new for f, (_, new) in expected.items()}}.items() if v is not None
        }
        if "email" in expected and model.email_taken(type_, new_props.get("email"), record_id):
            with pytest.raises(InputError, match="already belongs to contact"):
                if kind == "update":
                    store.update_record(record_id, arg, moment, "test")
                else:
                    store.write_changes(
                        record_id, [(f, old, new, "test") for f, (old, new) in expected.items()], moment
                    )
            return
        if kind == "update":
            assert store.update_record(record_id, arg, moment, "test") == expected
        else:  # the engine's way: the changes it made, which it knows to be changes
            store.write_changes(record_id, [(f, old, new, "test") for f, (old, new) in expected.items()], moment)
        model.records[record_id] = (type_, new_props)
        for email in (props.get("email"), new_props.get("email")):  # the old and the new lookup
            if _scalar(email):
                found = store.find_by(type_, "email", email)
                assert (found.id if found else None) == model.find(type_, email)
    else:
        members = model.lists[record_id]
        add = kind == "add"
        change = store.add_to_list if add else store.remove_from_list
        assert change(record_id, arg, moment, "test") is ((arg not in members) if add else (arg in members))
        (members.add if add else members.discard)(arg)


def workflow_op(store: SqliteStore, model: Model, op, moment: dt.datetime, step: int) -> None:
    kind, target, arg = op
    if not model.runs:
        return
    run_id = sorted(model.runs)[target % len(model.runs)]
    if kind == "save":
        run = attrs.evolve(
            model.runs[run_id],
            status=arg,
            position=str(step),
            vars={"step": step},
            due=moment + dt.timedelta(days=step % 3) if arg == "active" else None,
            updated_at=moment,
        )
        store.save_run(run)
        model.runs[run_id] = run
    elif kind == "log_run":
        store.log_run(run_id, moment, str(step), "step", {"step": step})
        model.run_logs[run_id] += 1
    else:
        assert store.get_run(run_id) == model.runs[run_id]
        assert len(store.run_log(run_id)) == model.run_logs[run_id]
        due = sorted((r.due, r.id) for r in model.runs.values() if r.due is not None)
        assert [r.id for r in store.due_runs(T0 + dt.timedelta(days=99))] == [i for _, i in due]


def run_ops(store, model, ops, fail_at, step) -> int:
    for index, op in enumerate(ops):
        if index == fail_at:
            raise Failed
        step += 1
        if op[0] == "nested":
            step = run_unit(store, model, op[1], op[2], step)
        else:
            run_op(store, model, op, step)
    if fail_at is not None:
        raise Failed
    return step


def run_unit(store, model, ops, fail_at, step) -> int:
    saved = copy.deepcopy(model.__dict__)
    try:
        with store.transaction():
            return run_ops(store, model, ops, fail_at, step)
    except Failed:
        model.__dict__.update(saved)
        return step + len(ops)


def run_all(store, model, plan, step: int = 0) -> int:
    for ops, fail_at, bare, emails in plan:
        if emails is not None:
            store.prefetch(emails[0], "email", emails[1])
        if bare and fail_at is None:
            step = run_ops(store, model, ops, None, step)
        else:
            step = run_unit(store, model, ops, fail_at, step)
    return step


def snapshot(store: SqliteStore) -> dict:
    records = list(store.records())
    return {
        "records": records,
        "lists": {r.id: store.lists_of(r.id) for r in records},
        "history": {
            r.id: [(h.at, h.kind, h.field, h.old, h.new, h.cause) for h in store.history(r.id)] for r in records
        },
        "events": store.events(),
        "effects": store.effects(),
        "runs": store.runs(),
        "run_log": [
            (e.id, e.run_id, e.at, e.step, e.kind, e.detail) for r in store.runs() for e in store.run_log(r.id)
        ],
        "emails": store._conn.execute("SELECT id, email FROM records ORDER BY id").fetchall(),
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(units, st.sampled_from([2, batch_module.OVERLAY_LIMIT]), st.integers(0, 6))
def test_a_batch_equals_its_units_committed_one_by_one(plan, overlay_limit, before):
    """The first `before` units commit one by one ahead of the batch, so that the
    batch also finds records SQL had before it began, as the engine's batches do."""
    saved_limit = batch_module.OVERLAY_LIMIT
    batch_module.OVERLAY_LIMIT = overlay_limit  # 2: the overlay is dropped between most units
    try:
        with SqliteStore(":memory:") as batched, SqliteStore(":memory:") as plain:
            model = Model()
            step = run_all(batched, model, plan[:before])
            with batched.batch():
                run_all(batched, model, plan[before:], step)
                in_batch = snapshot(batched)
            plain_model = Model()
            run_all(plain, plain_model, plan)
            assert plain_model.__dict__ == model.__dict__
            assert snapshot(batched) == in_batch == snapshot(plain)
            for record_id, (type_, props) in model.records.items():
                record = batched.get_record(record_id)
                assert (record.type, record.props) == (type_, props)
                assert batched.lists_of(record_id) == model.lists[record_id]
            assert {e.key for e in batched.events()} == model.events
            assert {e.key for e in batched.effects()} == model.effects
    finally:
        batch_module.OVERLAY_LIMIT = saved_limit
