"""Property: SqliteStore agrees with a plain Python model of records and lists.

Random sequences of create / update / add / remove, some of them run inside
a unit that then fails, are applied both to a store and to dicts. Afterwards
the props, list memberships, email lookups and the history (replayed from
scratch) must all agree with the model.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.errors import InputError
from leadflow.store import SqliteStore
from leadflow.values import Duration

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
FIELDS = ["email", "name", "score", "when", "tags"]
LISTS = ["vip", "newsletter", "churned"]
TYPES = ["contact", "deal"]

offsets = st.integers(-12 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["ann@x.io", "bob@x.io", "cy@x.io"]),
    st.dates(),
    st.times(),
    st.datetimes(timezones=offsets),
    st.builds(Duration, st.integers(-24, 24), st.integers(-400, 400), st.integers(-86400, 86400)),
)
values = st.one_of(
    scalars,
    st.lists(scalars.filter(lambda v: v is not None), max_size=3),
    st.dictionaries(st.sampled_from(["city", "zip"]), scalars, max_size=2),
)
changes = st.dictionaries(st.sampled_from(FIELDS), values, max_size=3)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(TYPES), changes),
        st.tuples(st.just("update"), st.integers(0, 20), changes),
        st.tuples(st.just("add"), st.integers(0, 20), st.sampled_from(LISTS)),
        st.tuples(st.just("remove"), st.integers(0, 20), st.sampled_from(LISTS)),
    ).flatmap(lambda op: st.tuples(st.just(op), st.booleans())),  # (operation, aborted?)
    max_size=30,
)


class Aborted(Exception):
    pass


def changed_fields(old: dict, updates: dict) -> dict:
    """The model of update_record's change detection (None clears)."""
    return {
        field: (old.get(field), value)
        for field, value in updates.items()
        if not (old.get(field) == value and type(old.get(field)) is type(value))
    }


def email_taken(model_props, types, ids, record_type, record_id, email) -> bool:
    """Whether another contact has this email: the store must refuse it (unique index)."""
    if record_type != "contact" or not isinstance(email, (str, int, float)):
        return False
    return any(
        types.get(i) == "contact"
        and i != record_id
        and model_props[i].get("email") == email
        and isinstance(model_props[i].get("email"), (str, int, float))
        for i in ids
    )


def apply(store, model_props, model_lists, ids, op, step, types):
    """Apply one operation to store and model; return what the store returned."""
    kind, target, arg = op
    moment = T0 + dt.timedelta(minutes=step)
    if kind == "create":
        if email_taken(model_props, types, ids, target, None, arg.get("email")):
            try:
                store.create_record(target, arg, moment, "test")
            except InputError as error:
                return "already belongs to contact" in error.message
            return False
        rec = store.create_record(target, arg, moment, "test")
        ids.append(rec.id)
        model_props[rec.id] = {k: v for k, v in arg.items() if v is not None}
        model_lists[rec.id] = set()
        return rec.props == model_props[rec.id]
    record_id = ids[target % len(ids)]
    if kind == "update":
        expected = changed_fields(model_props[record_id], arg)
        if "email" in expected and email_taken(model_props, types, ids, types[record_id], record_id, arg["email"]):
            try:
                store.update_record(record_id, arg, moment, "test")
            except InputError as error:
                return "already belongs to contact" in error.message
            return False
        got = store.update_record(record_id, arg, moment, "test")
        for field, (_, new) in expected.items():
            if new is None:
                model_props[record_id].pop(field, None)
            else:
                model_props[record_id][field] = new
        return got == expected
    members = model_lists[record_id]
    if kind == "add":
        expected = arg not in members
        members.add(arg)
        return store.add_to_list(record_id, arg, moment, "test") is expected
    expected = arg in members
    members.discard(arg)
    return store.remove_from_list(record_id, arg, moment, "test") is expected


def replay_history(entries) -> tuple[dict, set]:
    props: dict = {}
    lists: set = set()
    for entry in entries:
        if entry.kind == "created":
            props = dict(entry.new)
        elif entry.kind == "set":
            assert props.get(entry.field) == entry.old
            if entry.new is None:
                props.pop(entry.field, None)
            else:
                props[entry.field] = entry.new
        elif entry.kind == "list_add":
            lists.add(entry.field)
        else:
            lists.discard(entry.field)
    return props, lists


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_store_agrees_with_dict_model(ops):
    model_props: dict[int, dict] = {}
    model_lists: dict[int, set[str]] = {}
    ids: list[int] = []
    types: dict[int, str] = {}
    with SqliteStore(":memory:") as store:
        with store.batch():
            for step, (op, aborted) in enumerate(ops):
                if op[0] != "create" and not ids:
                    continue
                if aborted:  # run it against a throwaway copy of the model, then fail the unit
                    copies = (
                        {k: dict(v) for k, v in model_props.items()},
                        {k: set(v) for k, v in model_lists.items()},
                        list(ids),
                    )
                    try:
                        with store.transaction():
                            assert apply(store, *copies, op, step, types)
                            raise Aborted
                    except Aborted:
                        continue
                created = len(ids)
                with store.transaction():
                    assert apply(store, model_props, model_lists, ids, op, step, types)
                if len(ids) > created:
                    types[ids[-1]] = op[1]
        check_against_model(store, model_props, model_lists, ids, types)


def check_against_model(store, model_props, model_lists, ids, types):
    assert store.count_records() == len(ids)
    for record_id in ids:
        record = store.get_record(record_id)
        assert record.type == types[record_id]
        assert record.props == model_props[record_id]
        assert store.lists_of(record_id) == model_lists[record_id]
        assert replay_history(store.history(record_id)) == (model_props[record_id], model_lists[record_id])
    for name in LISTS:
        assert store.list_members(name) == sorted(i for i in ids if name in model_lists[i])
    for type_ in TYPES:
        for email in ["ann@x.io", "bob@x.io", "cy@x.io"]:
            owners = [i for i in ids if types[i] == type_ and model_props[i].get("email") == email]
            found = store.find_by(type_, "email", email)
            assert (found.id if found else None) == (owners[0] if owners else None)
