"""The official PubNub Python SDK (pubnub==10.8.0) against `appctx serve`.

Every test gets its own subscribe key (fixture `sub_key`), so it starts from an empty
keyset. All 16 App Context operations are driven through the SDK's public API, in both
builder form and named-argument form, and the responses are checked against the wire
contract in docs/app-context-wire.md (sections 3-9 and 11).

Tests that fail because of a server deviation are marked xfail with a reason starting
"SERVER BUG:"; remove the marker once the server is fixed.
"""

import re
from datetime import datetime, timezone

import pytest

from pubnub.endpoints.objects_v2.objects_endpoint import ChannelIncludeEndpoint, UUIDIncludeEndpoint
from pubnub.exceptions import PubNubException
from pubnub.models.consumer.objects_v2.channel_members import PNUUID, PNUserMember
from pubnub.models.consumer.objects_v2.common import MemberIncludes, MembershipIncludes
from pubnub.models.consumer.objects_v2.memberships import PNChannelMembership
from pubnub.models.consumer.objects_v2.page import Next, PNPage, Previous
from pubnub.models.consumer.objects_v2.sort import PNSortKey, PNSortKeyValue

from conftest import SIGNING_PUBLISH_KEY, SIGNING_SECRET_KEY, clear_if_match

# RFC 3339 UTC, at most 6 fractional digits, trailing zeros trimmed (spec 3.6).
UPDATED_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z$")

USER_BASE_KEYS = {"id", "name", "externalId", "profileUrl", "email", "updated", "eTag"}
CHANNEL_BASE_KEYS = {"id", "name", "description", "updated", "eTag"}
RELATION_BASE_KEYS = {"updated", "eTag"}


# --------------------------------------------------------------------------- helpers


def http_error(call):
    """Runs `call` (a zero-argument callable doing `.sync()`), expects a PubNubException
    carrying an HTTP status, and returns it."""
    with pytest.raises(PubNubException) as info:
        call()
    exc = info.value
    assert exc.get_status_code() == exc._status_code
    return exc


def ids(items, key=None):
    """The ids of a list of objects, or of the `key` side of a list of relations."""
    if key is None:
        return [item["id"] for item in items]
    return [item[key]["id"] for item in items]


def parse_updated(value):
    assert UPDATED_RE.match(value), "bad `updated` format: %r" % value
    return datetime.strptime(value.replace("Z", "+0000") if "." in value else
                             value.replace("Z", ".0+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")


def check_user(data, *, custom=False, status_type=True):
    expected = set(USER_BASE_KEYS)
    if custom:
        expected.add("custom")
    if status_type:
        expected |= {"status", "type"}
    assert set(data) == expected, data
    parse_updated(data["updated"])
    assert isinstance(data["eTag"], str) and data["eTag"]


def check_channel(data, *, custom=False, status_type=True):
    expected = set(CHANNEL_BASE_KEYS)
    if custom:
        expected.add("custom")
    if status_type:
        expected |= {"status", "type"}
    assert set(data) == expected, data
    parse_updated(data["updated"])
    assert isinstance(data["eTag"], str) and data["eTag"]


def make_users(pn, specs):
    """specs: list of (id, dict of set_uuid_metadata keyword arguments)."""
    out = {}
    for uid, kwargs in specs:
        out[uid] = pn.set_uuid_metadata(uuid=uid, include_custom=True, **kwargs).sync().result.data
    return out


def make_channels(pn, specs):
    out = {}
    for cid, kwargs in specs:
        out[cid] = pn.set_channel_metadata(channel=cid, include_custom=True, **kwargs).sync().result.data
    return out


def all_pages(make_request, page_size, max_pages=20):
    """Follows `next` until an empty page; returns the non-empty page results."""
    pages = []
    page = None
    for _ in range(max_pages):
        req = make_request()
        if page is not None:
            req = req.page(page)
        res = req.sync().result
        if not res.data:
            assert res.next is None and res.prev is None, "empty page must carry no cursors"
            return pages
        assert len(res.data) <= page_size
        pages.append(res)
        assert res.next is not None, "`next` must be present whenever data is non-empty"
        page = res.next
    pytest.fail("paging did not terminate after %d pages" % max_pages)


# ------------------------------------------------------------------ UUID metadata (1-4)


def test_uuid_metadata_builder_form(pn):
    res = (pn.set_uuid_metadata()
           .uuid("alice")
           .set_name("Alice Liddell")
           .email("alice@example.com")
           .external_id("ext-1")
           .profile_url("https://example.com/alice.png")
           .set_status("active")
           .set_type("admin")
           .custom({"zeta": 1, "alpha": "first", "flag": True})
           .include_custom(True)
           .sync())
    assert res.status.status_code == 200
    data = res.result.data
    check_user(data, custom=True)
    assert data["id"] == "alice"
    assert data["name"] == "Alice Liddell"
    assert data["email"] == "alice@example.com"
    assert data["externalId"] == "ext-1"
    assert data["profileUrl"] == "https://example.com/alice.png"
    assert data["status"] == "active"
    assert data["type"] == "admin"
    assert data["custom"] == {"alpha": "first", "flag": True, "zeta": 1}
    # custom comes back with sorted keys (spec 3.6)
    assert list(data["custom"]) == ["alpha", "flag", "zeta"]

    got = pn.get_uuid_metadata().uuid("alice").include_custom(True).sync().result.data
    assert got == data

    # without include_custom the key is absent, not null (spec 3.2)
    got = pn.get_uuid_metadata().uuid("alice").sync().result.data
    check_user(got, custom=False)
    assert got["updated"] == data["updated"] and got["eTag"] == data["eTag"]

    # without .uuid() the SDK targets the configured user id
    me = pn.set_uuid_metadata().set_name("Me").sync().result.data
    assert me["id"] == pn.config.user_id
    assert pn.get_uuid_metadata().sync().result.data["name"] == "Me"


def test_uuid_metadata_named_arguments(pn):
    data = pn.set_uuid_metadata(uuid="bob", name="Bob", email="bob@example.com", external_id="e-2",
                                profile_url="https://example.com/b", status="away", type="member",
                                custom={"team": "blue", "level": 3}, include_custom=True).sync().result.data
    check_user(data, custom=True)
    assert (data["name"], data["email"], data["externalId"], data["profileUrl"]) == \
        ("Bob", "bob@example.com", "e-2", "https://example.com/b")
    assert (data["status"], data["type"], data["custom"]) == ("away", "member", {"level": 3, "team": "blue"})

    got = pn.get_uuid_metadata(uuid="bob", include_custom=True).sync().result.data
    assert got == data

    # include=status,type is what the SDK sends by default; switched off, both are absent
    got = pn.get_uuid_metadata(uuid="bob", include_status=False, include_type=False).sync().result.data
    check_user(got, custom=False, status_type=False)

    # a user created with nothing but an id: every field null
    bare = pn.set_uuid_metadata(uuid="bare", include_custom=True).sync().result.data
    check_user(bare, custom=True)
    assert [bare[k] for k in ("name", "email", "externalId", "profileUrl", "status", "type", "custom")] == \
        [None] * 7


def test_set_uuid_metadata_merges_and_noop_keeps_etag(pn):
    first = pn.set_uuid_metadata(uuid="carol", name="Carol", status="online", type="QA",
                                 custom={"a": 1}, include_custom=True).sync().result.data
    # The SDK sends no status/type/custom keys when they are not given: those survive
    # (spec 8.1, recorded python if_matches_etag traffic).
    second = pn.set_uuid_metadata(uuid="carol", name="Carol 2", include_custom=True).sync().result.data
    assert second["name"] == "Carol 2"
    assert (second["status"], second["type"], second["custom"]) == ("online", "QA", {"a": 1})
    assert second["eTag"] != first["eTag"]
    assert parse_updated(second["updated"]) > parse_updated(first["updated"])

    # custom, when sent, replaces the whole object (no deep merge)
    third = pn.set_uuid_metadata(uuid="carol", name="Carol 2", custom={"b": 2},
                                 include_custom=True).sync().result.data
    assert third["custom"] == {"b": 2}

    # writing identical data is a no-op: same updated and eTag (spec 8.1)
    again = pn.set_uuid_metadata(uuid="carol", name="Carol 2", custom={"b": 2},
                                 include_custom=True).sync().result.data
    assert (again["updated"], again["eTag"]) == (third["updated"], third["eTag"])


def test_get_missing_objects_raise_404(pn):
    exc = http_error(lambda: pn.get_uuid_metadata(uuid="nobody").sync())
    assert exc.get_status_code() == 404
    assert exc.get_error_message() == {"message": "Requested object was not found.", "source": "objects"}

    exc = http_error(lambda: pn.get_channel_metadata().channel("nowhere").include_custom(True).sync())
    assert exc.get_status_code() == 404
    assert exc.get_error_message()["message"] == "Requested object was not found."


def test_remove_uuid_metadata(pn):
    make_users(pn, [("dave", {"name": "Dave"}), ("erin", {"name": "Erin"})])

    res = pn.remove_uuid_metadata().uuid("dave").sync()
    assert res.status.status_code == 200
    assert res.result.data is None
    assert http_error(lambda: pn.get_uuid_metadata(uuid="dave").sync()).get_status_code() == 404

    res = pn.remove_uuid_metadata(uuid="erin").sync()
    assert res.result.data is None
    assert pn.get_all_uuid_metadata().sync().result.data == []


def test_get_all_uuid_metadata_include_and_total_count(pn, server, sub_key, pubnub_factory):
    make_users(pn, [("u3", {"name": "Three", "custom": {"n": 3}}),
                    ("u1", {"name": "One", "status": "s1", "type": "t1"}),
                    ("u2", {"name": "Two"})])

    res = pn.get_all_uuid_metadata().include_custom(True).include_total_count(True).sync().result
    assert ids(res.data) == ["u1", "u2", "u3"]  # default order: id ascending (spec 6)
    assert res.total_count == 3
    for item in res.data:
        check_user(item, custom=True)
    assert res.data[2]["custom"] == {"n": 3}
    assert res.data[0]["custom"] is None
    assert (res.data[0]["status"], res.data[0]["type"]) == ("s1", "t1")

    res = pn.get_all_uuid_metadata(include_status=False, include_type=False).sync().result
    assert res.total_count is None  # no count requested: no totalCount
    for item in res.data:
        check_user(item, custom=False, status_type=False)

    res = pn.get_all_uuid_metadata(include_custom=True, include_total_count=True, limit=2).sync().result
    assert ids(res.data) == ["u1", "u2"] and res.total_count == 3

    # another subscribe key is another keyset
    other = pubnub_factory(server.origin, sub_key + "-other")
    res = other.get_all_uuid_metadata(include_total_count=True).sync().result
    assert res.data == [] and res.total_count == 0
    assert http_error(lambda: other.get_uuid_metadata(uuid="u1").sync()).get_status_code() == 404


# --------------------------------------------------------------------- paging (spec 5)


def test_paging_next_and_prev_over_25_users(pn):
    all_ids = ["user-%02d" % i for i in range(25)]
    # create out of order so that the default id order is really a sort
    make_users(pn, [(uid, {"name": "N " + uid}) for uid in reversed(all_ids)])

    def request():
        return pn.get_all_uuid_metadata().limit(10).include_total_count(True)

    pages = all_pages(request, 10)
    assert [len(p.data) for p in pages] == [10, 10, 5]
    seen = [uid for p in pages for uid in ids(p.data)]
    assert seen == all_ids, "every id exactly once, in id order"
    assert all(p.total_count == 25 for p in pages)
    assert pages[0].prev is None, "no `prev` on a request without a start cursor"
    assert pages[1].prev is not None and pages[2].prev is not None
    assert isinstance(pages[0].next, Next) and isinstance(pages[1].prev, Previous)

    # prev from page 3 goes back to page 2, prev from page 2 back to page 1
    back = pn.get_all_uuid_metadata().limit(10).page(pages[2].prev).sync().result
    assert ids(back.data) == ids(pages[1].data)
    back = pn.get_all_uuid_metadata().limit(10).page(pages[1].prev).sync().result
    assert ids(back.data) == ids(pages[0].data)
    # and forward again from there
    assert back.next is not None
    fwd = pn.get_all_uuid_metadata().limit(10).page(back.next).sync().result
    assert ids(fwd.data) == ids(pages[1].data)

    # a cursor is opaque but reusable: the same start yields the same page
    again = pn.get_all_uuid_metadata().limit(10).page(pages[1].next).sync().result
    assert ids(again.data) == ids(pages[2].data)


def test_paging_channels_with_named_page_argument(pn):
    all_ids = ["chan-%02d" % i for i in range(12)]
    make_channels(pn, [(cid, {"name": cid.upper()}) for cid in all_ids])

    seen = []
    page = None
    pages = 0
    while True:
        res = pn.get_all_channel_metadata(limit=5, include_total_count=True, page=page).sync().result
        if not res.data:
            break
        pages += 1
        assert res.total_count == 12
        seen += ids(res.data)
        page = res.next
        assert isinstance(page, PNPage)
    assert pages == 3
    assert seen == all_ids

    # paging combined with a filter and a sort
    res = pn.get_all_channel_metadata(limit=3, include_total_count=True, filter="name LIKE 'CHAN-0*'",
                                      sort_keys=[PNSortKey.desc(PNSortKeyValue.ID)]).sync().result
    assert res.total_count == 10
    assert ids(res.data) == ["chan-09", "chan-08", "chan-07"]
    res = pn.get_all_channel_metadata(limit=3, filter="name LIKE 'CHAN-0*'", page=res.next,
                                      sort_keys=[PNSortKey.desc(PNSortKeyValue.ID)]).sync().result
    assert ids(res.data) == ["chan-06", "chan-05", "chan-04"]


def test_default_page_size_is_100(pn):
    channels = ["bulk-%03d" % i for i in range(105)]
    # (the per-call entry cap is not documented; stay well below 100 per request)
    pn.set_memberships(uuid="bulk", channel_memberships=[PNChannelMembership.channel(c)
                                                         for c in channels[::2]]).sync()
    res = pn.set_memberships(uuid="bulk", channel_memberships=[PNChannelMembership.channel(c)
                                                               for c in channels[1::2]],
                             include_total_count=True).sync().result
    # the write answers the first page of the whole list (limit defaults to 100)
    assert ids(res.data, "channel") == channels[:100] and res.total_count == 105
    assert res.next is not None
    res = pn.get_memberships(uuid="bulk", page=res.next).sync().result
    assert ids(res.data, "channel") == channels[100:]
    assert len(pn.get_memberships(uuid="bulk").sync().result.data) == 100


# -------------------------------------------------------------------- sorting (spec 6)


def test_sort_users_by_several_keys(pn):
    make_users(pn, [("u1", {"name": "Dave"}),
                    ("u2", {"name": "alice"}),
                    ("u3", {"name": "Carol"}),
                    ("u4", {"name": "bob"}),
                    ("u5", {"name": "alice"})])

    def sorted_ids(*keys):
        return ids(pn.get_all_uuid_metadata().sort(*keys).sync().result.data)

    assert sorted_ids(PNSortKey.asc(PNSortKeyValue.ID)) == ["u1", "u2", "u3", "u4", "u5"]
    assert sorted_ids(PNSortKey.desc(PNSortKeyValue.ID)) == ["u5", "u4", "u3", "u2", "u1"]
    # creation order is update order
    assert sorted_ids(PNSortKey.desc(PNSortKeyValue.UPDATED)) == ["u5", "u4", "u3", "u2", "u1"]
    assert sorted_ids(PNSortKey.asc(PNSortKeyValue.UPDATED)) == ["u1", "u2", "u3", "u4", "u5"]
    # name ties broken by the second key (names are distinct case-insensitively, see
    # the next test for case handling)
    names_asc = pn.get_all_uuid_metadata(sort_keys=[PNSortKey.asc(PNSortKeyValue.NAME),
                                                    PNSortKey.desc(PNSortKeyValue.ID)]).sync().result.data
    alices = [u["id"] for u in names_asc if u["name"] == "alice"]
    assert alices == ["u5", "u2"]
    names_asc = pn.get_all_uuid_metadata(sort_keys=[PNSortKey.asc(PNSortKeyValue.NAME),
                                                    PNSortKey.asc(PNSortKeyValue.ID)]).sync().result.data
    assert [u["id"] for u in names_asc if u["name"] == "alice"] == ["u2", "u5"]

    # a later update moves a user to the end of updated:asc
    pn.set_uuid_metadata(uuid="u2", name="alice", email="a@example.com").sync()
    assert sorted_ids(PNSortKey.asc(PNSortKeyValue.UPDATED)) == ["u1", "u3", "u4", "u5", "u2"]


def test_sort_by_name_is_case_insensitive(pn):
    # spec 6: string order is case-insensitive (glibc en_US-like), not byte order
    make_users(pn, [("u1", {"name": "Dave"}), ("u2", {"name": "alice"}), ("u3", {"name": "Carol"}),
                    ("u4", {"name": "bob"})])
    res = pn.get_all_uuid_metadata(sort_keys=[PNSortKey.asc(PNSortKeyValue.NAME)]).sync().result
    assert [u["name"] for u in res.data] == ["alice", "bob", "Carol", "Dave"]
    res = pn.get_all_uuid_metadata(sort_keys=[PNSortKey.desc(PNSortKeyValue.NAME)]).sync().result
    assert [u["name"] for u in res.data] == ["Dave", "Carol", "bob", "alice"]


def test_default_order_uses_recorded_collation(pn):
    # spec 6 [R]: ids order case-insensitively and ignoring punctuation at the first level
    expected = ["0aeRHz", "0H1VkY", "0Y5y5L", "2aiuiG", "2aQC4L", "2EEGYCPiuser", "somechannel", "somechannelid",
                "somechannel_with_custom", "test-fix-118-1", "test-fix-118-10", "test-fix-118-14",
                "test-fix-118-2"]
    shuffled = expected[1::2] + expected[0::2]
    make_channels(pn, [(cid, {"name": cid}) for cid in shuffled])
    assert ids(pn.get_all_channel_metadata().sync().result.data) == expected
    assert ids(pn.get_all_channel_metadata(sort_keys=[PNSortKey.asc(PNSortKeyValue.ID)]).sync().result.data) \
        == expected
    assert ids(pn.get_all_channel_metadata(sort_keys=[PNSortKey.asc(PNSortKeyValue.NAME)]).sync().result.data) \
        == expected
    res = pn.set_memberships(uuid="sorter", channel_memberships=[PNChannelMembership.channel(c)
                                                                 for c in shuffled]).sync().result
    assert ids(res.data, "channel") == expected


def test_sort_channels(pn):
    make_channels(pn, [("c-1", {"name": "Beta"}), ("c-2", {"name": "Alpha"}), ("c-3", {"name": "Gamma"}),
                       ("c-4", {"name": "Alpha"})])
    res = (pn.get_all_channel_metadata()
           .sort(PNSortKey.asc(PNSortKeyValue.NAME), PNSortKey.desc(PNSortKeyValue.UPDATED))
           .sync().result)
    assert ids(res.data) == ["c-4", "c-2", "c-1", "c-3"]
    res = pn.get_all_channel_metadata(sort_keys=[PNSortKey.desc(PNSortKeyValue.NAME),
                                                 PNSortKey.asc(PNSortKeyValue.ID)]).sync().result
    assert ids(res.data) == ["c-3", "c-1", "c-2", "c-4"]


# -------------------------------------------------------------------- filters (spec 7)


@pytest.fixture
def filter_users(pn):
    return make_users(pn, [
        ("u1", {"name": "Alice", "status": "active", "type": "admin",
                "custom": {"team": "red", "level": 3, "vip": True}}),
        ("u2", {"name": "Andrew", "status": "inactive", "custom": {"team": "blue", "level": 5}}),
        ("u3", {"name": "bob", "status": "active", "custom": {"team": "red", "level": 7}}),
        ("u4", {"name": "Anna", "email": "anna@example.com",
                "custom": {"team": "green", "employment-status": "full-time"}}),
        ("u5", {"name": "Zed", "email": "star*@example.org"}),
    ])


@pytest.mark.parametrize("expr, expected", [
    ("name LIKE 'A*'", ["u1", "u2", "u4"]),
    ("name like 'A*'", ["u1", "u2", "u4"]),
    ('name LIKE "A*"', ["u1", "u2", "u4"]),
    ("name LIKE '*n*'", ["u2", "u4"]),
    ("email LIKE '*@example.com'", ["u4"]),
    ("id == 'u5'", ["u5"]),
    ("name != 'Zed'", ["u1", "u2", "u3", "u4"]),
    ("custom.team == 'red'", ["u1", "u3"]),
    ("custom.level > 4", ["u2", "u3"]),
    ("custom.team == \"red\" && status == \"active\"", ["u1", "u3"]),
    ("name LIKE 'A*' && custom.team == 'red'", ["u1"]),
    ("custom.team == 'blue' || custom.team == 'green'", ["u2", "u4"]),
    ("(name LIKE 'A*' || name LIKE 'b*') && custom.team == 'red'", ["u1", "u3"]),
    ("type == 'admin' || status == 'inactive'", ["u1", "u2"]),
    ("!(name LIKE 'A*')", ["u3", "u5"]),
    ("custom.vip == true", ["u1"]),
    ("custom[\"employment-status\"] == 'full-time'", ["u4"]),
    (r"email LIKE 'star\*@*'", ["u5"]),
])
def test_filter_users(pn, filter_users, expr, expected):
    res = pn.get_all_uuid_metadata().filter(expr).include_total_count(True).sync().result
    assert ids(res.data) == expected, expr
    assert res.total_count == len(expected)
    # named-argument form sends the same thing
    res = pn.get_all_uuid_metadata(filter=expr, include_custom=True).sync().result
    assert ids(res.data) == expected, expr


def test_filter_on_updated_is_timestamp_aware(pn, filter_users):
    u3 = filter_users["u3"]["updated"]
    res = pn.get_all_uuid_metadata(filter="updated >= '%s'" % u3).sync().result
    assert ids(res.data) == ["u3", "u4", "u5"]
    res = pn.get_all_uuid_metadata(filter="updated > '%s'" % u3).sync().result
    assert ids(res.data) == ["u4", "u5"]
    # truncated to milliseconds: lexically greater, but an earlier instant (spec 7)
    when = parse_updated(u3).astimezone(timezone.utc)
    millis = when.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (when.microsecond // 1000)
    if millis != u3:
        cutoff = when.replace(microsecond=when.microsecond // 1000 * 1000)
        expected = sorted(uid for uid, u in filter_users.items() if parse_updated(u["updated"]) >= cutoff)
        assert "u3" in expected
        res = pn.get_all_uuid_metadata(filter="updated >= '%s'" % millis).sync().result
        assert ids(res.data) == expected, millis


def test_filter_channels(pn):
    make_channels(pn, [
        ("c1", {"name": "General chat", "description": "everyone", "type": "public", "custom": {"tier": "free"}}),
        ("c2", {"name": "Off-topic general", "description": "random", "type": "public"}),
        ("c3", {"name": "Staff", "description": "private room", "type": "private", "custom": {"tier": "paid"}}),
    ])
    cases = [
        ("name LIKE '*general*'", ["c1", "c2"]),
        ("description == 'private room'", ["c3"]),
        ("type == 'public' && custom.tier == 'free'", ["c1"]),
        ("custom.tier == 'paid' || description LIKE 'rand*'", ["c2", "c3"]),
    ]
    for expr, expected in cases:
        res = pn.get_all_channel_metadata(filter=expr, include_total_count=True).sync().result
        assert ids(res.data) == expected, expr
        assert res.total_count == len(expected), expr
        res = pn.get_all_channel_metadata().filter(expr).include_custom(True).sync().result
        assert ids(res.data) == expected, expr


# ----------------------------------------------------------- conditional writes (8.2)


def test_if_matches_etag_on_uuid(pn):
    v1 = pn.set_uuid_metadata(uuid="etag-user", name="v1", status="s").sync().result.data

    v2 = pn.set_uuid_metadata(uuid="etag-user", name="v2").if_matches_etag(v1["eTag"]).sync().result.data
    clear_if_match()
    assert v2["name"] == "v2" and v2["eTag"] != v1["eTag"]

    exc = http_error(lambda: pn.set_uuid_metadata().uuid("etag-user").set_name("v3")
                     .if_matches_etag(v1["eTag"]).sync())
    clear_if_match()
    assert exc.get_status_code() == 412
    assert exc.get_error_message() == {"message": "User to update has been modified after it was read.",
                                       "source": "objects"}
    now = pn.get_uuid_metadata(uuid="etag-user").sync().result.data
    assert (now["name"], now["eTag"], now["status"]) == ("v2", v2["eTag"], "s"), "nothing written on 412"


def test_if_matches_etag_on_channel(pn):
    v1 = pn.set_channel_metadata(channel="etag-chan", name="v1", description="d").sync().result.data

    v2 = (pn.set_channel_metadata().channel("etag-chan").set_name("v2").description("d")
          .if_matches_etag(v1["eTag"]).sync().result.data)
    clear_if_match()
    assert v2["name"] == "v2" and v2["eTag"] != v1["eTag"]

    exc = http_error(lambda: pn.set_channel_metadata(channel="etag-chan", name="v3", description="d")
                     .if_matches_etag(v1["eTag"]).sync())
    clear_if_match()
    assert exc.get_status_code() == 412
    assert exc.get_error_message()["message"] == "Channel to update has been modified after it was read."
    now = pn.get_channel_metadata(channel="etag-chan").sync().result.data
    assert (now["name"], now["eTag"]) == ("v2", v2["eTag"])


# --------------------------------------------------------------- channel metadata (5-8)


def test_channel_metadata_builder_form(pn):
    res = (pn.set_channel_metadata()
           .channel("room-1")
           .set_name("Room One")
           .description("The first room")
           .set_status("open")
           .set_type("public")
           .custom({"topic": "news", "capacity": 50})
           .include_custom(True)
           .sync())
    data = res.result.data
    check_channel(data, custom=True)
    assert (data["id"], data["name"], data["description"], data["status"], data["type"]) == \
        ("room-1", "Room One", "The first room", "open", "public")
    assert data["custom"] == {"capacity": 50, "topic": "news"}

    got = pn.get_channel_metadata().channel("room-1").include_custom(True).sync().result.data
    assert got == data
    got = pn.get_channel_metadata().channel("room-1").sync().result.data
    check_channel(got, custom=False)

    res = pn.get_all_channel_metadata().include_custom(True).include_total_count(True).limit(10).sync().result
    assert res.data == [data] and res.total_count == 1


def test_channel_metadata_named_arguments(pn):
    data = pn.set_channel_metadata(channel="room-2", name="Room Two", description="second", status="closed",
                                   type="private", custom={"k": "v"}, include_custom=True).sync().result.data
    check_channel(data, custom=True)
    assert (data["name"], data["description"], data["status"], data["type"], data["custom"]) == \
        ("Room Two", "second", "closed", "private", {"k": "v"})
    assert pn.get_channel_metadata(channel="room-2", include_custom=True).sync().result.data == data
    got = pn.get_channel_metadata(channel="room-2", include_status=False, include_type=False).sync().result.data
    check_channel(got, custom=False, status_type=False)

    # the SDK sends every channel key on each write; an identical write is a no-op (spec 8.1)
    again = pn.set_channel_metadata(channel="room-2", name="Room Two", description="second", status="closed",
                                    type="private", custom={"k": "v"}, include_custom=True).sync().result.data
    assert again == data

    res = pn.get_all_channel_metadata(include_custom=True, include_status=False, include_type=False).sync().result
    assert len(res.data) == 1
    check_channel(res.data[0], custom=True, status_type=False)


def test_remove_channel_metadata(pn):
    make_channels(pn, [("gone-1", {"name": "G1"}), ("gone-2", {"name": "G2"}), ("stays", {"name": "S"})])
    res = pn.remove_channel_metadata().channel("gone-1").sync()
    assert res.status.status_code == 200 and res.result.data is None
    res = pn.remove_channel_metadata(channel="gone-2").sync()
    assert res.result.data is None
    assert http_error(lambda: pn.get_channel_metadata(channel="gone-1").sync()).get_status_code() == 404
    assert ids(pn.get_all_channel_metadata().sync().result.data) == ["stays"]


# -------------------------------------------------------------- memberships (9-12)


def test_set_memberships_answers_the_whole_list(pn):
    make_channels(pn, [("ch-a", {"name": "A"}), ("ch-b", {"name": "B"}), ("ch-c", {"name": "C"})])

    res = (pn.set_memberships().uuid("mia")
           .channel_memberships([PNChannelMembership.channel("ch-b")])
           .include_custom(True).include_total_count(True)
           .sync().result)
    assert ids(res.data, "channel") == ["ch-b"] and res.total_count == 1
    first_b = res.data[0]
    assert set(first_b) == RELATION_BASE_KEYS | {"channel", "custom"}
    assert first_b["channel"] == {"id": "ch-b"} and first_b["custom"] is None
    parse_updated(first_b["updated"])

    # setting two more answers all three (spec 8.3), in channel id order
    res = pn.set_memberships(
        uuid="mia",
        channel_memberships=[
            PNChannelMembership("ch-c", custom={"role": "admin", "n": 1}, status="active", type="owner"),
            PNChannelMembership.channel_with_custom("ch-a", {"starred": True}),
        ],
        include=MembershipIncludes(custom=True, status=True, type=True),
        include_total_count=True,
    ).sync().result
    assert ids(res.data, "channel") == ["ch-a", "ch-b", "ch-c"]
    assert res.total_count == 3
    by_id = {m["channel"]["id"]: m for m in res.data}
    assert by_id["ch-a"]["custom"] == {"starred": True}
    assert (by_id["ch-c"]["custom"], by_id["ch-c"]["status"], by_id["ch-c"]["type"]) == \
        ({"n": 1, "role": "admin"}, "active", "owner")
    assert (by_id["ch-b"]["status"], by_id["ch-b"]["type"], by_id["ch-b"]["custom"]) == (None, None, None)
    for m in res.data:
        assert set(m) == RELATION_BASE_KEYS | {"channel", "custom", "status", "type"}
    # the untouched relation keeps its updated/eTag
    assert (by_id["ch-b"]["updated"], by_id["ch-b"]["eTag"]) == (first_b["updated"], first_b["eTag"])

    # re-setting a relation with identical content keeps updated/eTag too (spec 8.3)
    res = pn.set_memberships(uuid="mia", channel_memberships=[
        PNChannelMembership("ch-c", custom={"role": "admin", "n": 1}, status="active", type="owner")],
        include=MembershipIncludes(custom=True)).sync().result
    again = {m["channel"]["id"]: m for m in res.data}["ch-c"]
    assert (again["updated"], again["eTag"]) == (by_id["ch-c"]["updated"], by_id["ch-c"]["eTag"])

    # changing it gives a new updated/eTag
    res = pn.set_memberships(uuid="mia", channel_memberships=[
        PNChannelMembership("ch-c", custom={"role": "viewer"}, status="active", type="owner")],
        include_custom=True).sync().result
    changed = {m["channel"]["id"]: m for m in res.data}["ch-c"]
    assert changed["custom"] == {"role": "viewer"}
    assert changed["eTag"] != by_id["ch-c"]["eTag"]
    assert parse_updated(changed["updated"]) > parse_updated(by_id["ch-c"]["updated"])

    got = pn.get_memberships(uuid="mia", include_custom=True, include_total_count=True).sync().result
    assert ids(got.data, "channel") == ["ch-a", "ch-b", "ch-c"] and got.total_count == 3
    assert got.data == res.data


def test_get_memberships_include_variants(pn):
    make_channels(pn, [("ch-x", {"name": "X", "description": "ex", "status": "open", "type": "public",
                                 "custom": {"color": "red"}})])
    make_users(pn, [("max", {"name": "Max"})])
    pn.set_memberships(uuid="max", channel_memberships=[
        PNChannelMembership("ch-x", custom={"r": 1}, status="on", type="t"),
        PNChannelMembership.channel("ch-nometa"),
    ]).sync()

    # no include: only the channel id, no relation custom/status/type
    res = pn.get_memberships().uuid("max").sync().result
    assert res.total_count is None
    for m in res.data:
        assert set(m) == RELATION_BASE_KEYS | {"channel"}
        assert set(m["channel"]) == {"id"}

    # everything through the include object
    res = pn.get_memberships(uuid="max", include=MembershipIncludes(
        custom=True, status=True, type=True, channel=True, channel_custom=True, channel_type=True,
        channel_status=True)).sync().result
    assert ids(res.data, "channel") == ["ch-nometa", "ch-x"]
    nometa, x = res.data
    assert set(x) == RELATION_BASE_KEYS | {"channel", "custom", "status", "type"}
    assert (x["custom"], x["status"], x["type"]) == ({"r": 1}, "on", "t")
    assert set(x["channel"]) == CHANNEL_BASE_KEYS | {"custom", "status", "type"}
    assert (x["channel"]["name"], x["channel"]["description"], x["channel"]["custom"],
            x["channel"]["status"], x["channel"]["type"]) == ("X", "ex", {"color": "red"}, "open", "public")
    # a channel without a metadata object expands to just its id (spec 3.7)
    assert nometa["channel"] == {"id": "ch-nometa"}

    # legacy builders: include_custom + include_channel(CHANNEL) -> include=custom,channel
    res = (pn.get_memberships().uuid("max").include_custom(True)
           .include_channel(ChannelIncludeEndpoint.CHANNEL).sync().result)
    x = res.data[1]
    assert set(x) == RELATION_BASE_KEYS | {"channel", "custom"}
    assert set(x["channel"]) == CHANNEL_BASE_KEYS

    # include_channel(CHANNEL_WITH_CUSTOM) -> channel.custom: expands with the channel's custom
    res = (pn.get_memberships().uuid("max").include_custom(True)
           .include_channel(ChannelIncludeEndpoint.CHANNEL_WITH_CUSTOM).sync().result)
    x = res.data[1]
    assert set(x["channel"]) == CHANNEL_BASE_KEYS | {"custom"}
    assert x["channel"]["custom"] == {"color": "red"}
    assert x["custom"] == {"r": 1}

    # status/type of the relation only
    res = pn.get_memberships(uuid="max", include=MembershipIncludes(status=True, type=True)).sync().result
    x = res.data[1]
    assert set(x) == RELATION_BASE_KEYS | {"channel", "status", "type"}
    assert set(x["channel"]) == {"id"}


def test_total_count_inside_include_is_ignored(pn):
    # spec 3.7 [R]: `totalCount` in `include` does not produce a totalCount; `count` does
    pn.set_memberships(uuid="tc", channel_memberships=[PNChannelMembership.channel("c1")]).sync()
    res = pn.get_memberships(uuid="tc", include=MembershipIncludes(total_count=True)).sync().result
    assert len(res.data) == 1 and res.total_count is None
    res = pn.get_memberships(uuid="tc", include=MembershipIncludes(custom=True),
                             include_total_count=True).sync().result
    assert res.total_count == 1


def test_remove_memberships_answers_what_remains(pn):
    pn.set_memberships(uuid="rita", channel_memberships=[
        PNChannelMembership.channel("r1"), PNChannelMembership.channel("r2"),
        PNChannelMembership.channel_with_custom("r3", {"x": 1})]).sync()

    res = (pn.remove_memberships().uuid("rita")
           .channel_memberships([PNChannelMembership.channel("r2")])
           .include_custom(True).include_total_count(True).sync().result)
    assert ids(res.data, "channel") == ["r1", "r3"] and res.total_count == 2
    assert res.data[1]["custom"] == {"x": 1}

    # removing a relation that does not exist is not an error
    res = pn.remove_memberships(uuid="rita", channel_memberships=[PNChannelMembership.channel("never")],
                                include_total_count=True).sync().result
    assert ids(res.data, "channel") == ["r1", "r3"] and res.total_count == 2

    res = pn.remove_memberships(uuid="rita", channel_memberships=[
        PNChannelMembership.channel("r1"), PNChannelMembership.channel_with_custom("r3", {"x": 1})],
        include_total_count=True).sync().result
    assert res.data == [] and res.total_count == 0
    assert res.next is None and res.prev is None
    assert pn.get_memberships(uuid="rita").sync().result.data == []


def test_manage_memberships(pn):
    pn.set_memberships(uuid="mo", channel_memberships=[
        PNChannelMembership.channel("keep"), PNChannelMembership.channel("drop")]).sync()

    res = (pn.manage_memberships().uuid("mo")
           .set([PNChannelMembership("add", custom={"k": "v"}, status="new", type="t")])
           .remove([PNChannelMembership.channel("drop")])
           .include(MembershipIncludes(custom=True, status=True, type=True))
           .include_total_count(True)
           .sync().result)
    assert ids(res.data, "channel") == ["add", "keep"] and res.total_count == 2
    assert (res.data[0]["custom"], res.data[0]["status"], res.data[0]["type"]) == ({"k": "v"}, "new", "t")

    res = pn.manage_memberships(uuid="mo",
                                channel_memberships_to_set=[PNChannelMembership.channel_with_custom("z", {"a": 1})],
                                channel_memberships_to_remove=[PNChannelMembership.channel("keep")],
                                include_custom=True, limit=10).sync().result
    assert ids(res.data, "channel") == ["add", "z"]
    assert res.data[1]["custom"] == {"a": 1}


@pytest.fixture
def membership_graph(pn):
    make_channels(pn, [
        ("ch-general", {"name": "General", "custom": {"category": "main"}}),
        ("ch-gaming", {"name": "Gaming"}),
        ("ch-random", {"name": "Random"}),
    ])
    pn.set_memberships(uuid="gus", channel_memberships=[
        PNChannelMembership("ch-general", custom={"role": "admin"}, status="active", type="member"),
        PNChannelMembership("ch-random", custom={"role": "member"}, status="active"),
        PNChannelMembership("ch-gaming", status="inactive"),
        PNChannelMembership.channel("ch-nometa"),
    ]).sync()


@pytest.mark.parametrize("expr, expected", [
    ("channel.name LIKE 'G*'", ["ch-gaming", "ch-general"]),
    ("channel.name like 'Ran*'", ["ch-random"]),
    ("status == 'active'", ["ch-general", "ch-random"]),
    ("custom.role == 'admin'", ["ch-general"]),
    ("channel.custom.category == 'main'", ["ch-general"]),
    ("channel.name LIKE 'G*' && status == 'active'", ["ch-general"]),
    ("channel.id == 'ch-nometa' || type == 'member'", ["ch-general", "ch-nometa"]),
    ("!(channel.id == 'ch-general')", ["ch-gaming", "ch-nometa", "ch-random"]),
])
def test_memberships_filter(pn, membership_graph, expr, expected):
    # relation filters work without expanding the channel (spec 7)
    res = pn.get_memberships(uuid="gus", filter=expr, include_total_count=True).sync().result
    assert ids(res.data, "channel") == expected, expr
    assert res.total_count == len(expected)
    res = (pn.get_memberships().uuid("gus").filter(expr)
           .include_channel(ChannelIncludeEndpoint.CHANNEL).sync().result)
    assert ids(res.data, "channel") == expected, expr


def test_memberships_write_answers_filtered_list(pn, membership_graph):
    # the filter limits the returned list, not the write (spec 7)
    res = pn.set_memberships(uuid="gus", channel_memberships=[PNChannelMembership.channel("ch-games2")],
                             filter="channel.id LIKE 'ch-ga*'", include_total_count=True).sync().result
    assert ids(res.data, "channel") == ["ch-games2", "ch-gaming"] and res.total_count == 2
    res = pn.get_memberships(uuid="gus", include_total_count=True).sync().result
    assert res.total_count == 5


def test_memberships_sort_and_paging(pn, membership_graph):
    res = pn.get_memberships(uuid="gus", sort_keys=[PNSortKey.desc(PNSortKeyValue.UPDATED)]).sync().result
    # set in one call: compare against the updated values the server reports
    got = [(m["updated"], m["channel"]["id"]) for m in res.data]
    assert [parse_updated(u) for u, _ in got] == sorted((parse_updated(u) for u, _ in got), reverse=True)

    pages = all_pages(lambda: pn.get_memberships(uuid="gus", limit=3, include_total_count=True), 3)
    assert [len(p.data) for p in pages] == [3, 1]
    assert [c for p in pages for c in ids(p.data, "channel")] == \
        ["ch-gaming", "ch-general", "ch-nometa", "ch-random"]
    assert all(p.total_count == 4 for p in pages)
    back = pn.get_memberships(uuid="gus", limit=3, page=pages[1].prev).sync().result
    assert ids(back.data, "channel") == ids(pages[0].data, "channel")


# --------------------------------------------------------------- channel members (13-16)


def test_set_channel_members_with_helpers_and_expansion(pn):
    make_users(pn, [("kim", {"name": "Kim", "email": "kim@example.com", "status": "online", "type": "staff",
                             "custom": {"dept": "ops"}}),
                    ("serhii", {"name": "Serhii"})])

    res = (pn.set_channel_members().channel("team")
           .uuids([PNUserMember("kim", type="lead", status="active", custom={"can_write": True}),
                   PNUUID.uuid("serhii"),
                   PNUUID.uuid_with_custom("ghost", {"note": "no metadata"})])
           .include(MemberIncludes(custom=True, status=True, type=True, user=True, user_custom=True,
                                   user_type=True, user_status=True))
           .include_total_count(True)
           .sync().result)
    assert ids(res.data, "uuid") == ["ghost", "kim", "serhii"] and res.total_count == 3
    ghost, kim, serhii = res.data
    for m in res.data:
        assert set(m) == RELATION_BASE_KEYS | {"uuid", "custom", "status", "type"}
    assert (kim["custom"], kim["status"], kim["type"]) == ({"can_write": True}, "active", "lead")
    assert set(kim["uuid"]) == USER_BASE_KEYS | {"custom", "status", "type"}
    assert (kim["uuid"]["name"], kim["uuid"]["email"], kim["uuid"]["custom"], kim["uuid"]["status"],
            kim["uuid"]["type"]) == ("Kim", "kim@example.com", {"dept": "ops"}, "online", "staff")
    assert serhii["uuid"]["custom"] is None and serhii["custom"] is None
    assert ghost["uuid"] == {"id": "ghost"} and ghost["custom"] == {"note": "no metadata"}

    # named form, adding one more: the answer is the whole member list
    res = pn.set_channel_members(channel="team", uuids=[PNUserMember("zoe", status="invited")],
                                 include=MemberIncludes(status=True), include_total_count=True).sync().result
    assert ids(res.data, "uuid") == ["ghost", "kim", "serhii", "zoe"] and res.total_count == 4
    assert [m["status"] for m in res.data] == [None, "active", None, "invited"]


def test_get_channel_members_include_variants(pn):
    make_users(pn, [("kim", {"name": "Kim", "custom": {"dept": "ops"}})])
    pn.set_channel_members(channel="crew", uuids=[PNUserMember("kim", custom={"seat": 1}),
                                                  PNUserMember("nometa")]).sync()

    res = pn.get_channel_members().channel("crew").sync().result
    for m in res.data:
        assert set(m) == RELATION_BASE_KEYS | {"uuid"} and set(m["uuid"]) == {"id"}

    res = (pn.get_channel_members().channel("crew").include_custom(True)
           .include_uuid(UUIDIncludeEndpoint.UUID).include_total_count(True).sync().result)
    assert res.total_count == 2
    kim = res.data[0]
    assert set(kim) == RELATION_BASE_KEYS | {"uuid", "custom"} and kim["custom"] == {"seat": 1}
    assert set(kim["uuid"]) == USER_BASE_KEYS and kim["uuid"]["name"] == "Kim"
    assert res.data[1]["uuid"] == {"id": "nometa"}

    res = (pn.get_channel_members().channel("crew")
           .include_uuid(UUIDIncludeEndpoint.UUID_WITH_CUSTOM).sync().result)
    kim = res.data[0]
    assert set(kim["uuid"]) == USER_BASE_KEYS | {"custom"} and kim["uuid"]["custom"] == {"dept": "ops"}

    res = pn.get_channel_members(channel="crew", include=MemberIncludes(custom=True, user=True)).sync().result
    assert set(res.data[0]) == RELATION_BASE_KEYS | {"uuid", "custom"}
    assert set(res.data[0]["uuid"]) == USER_BASE_KEYS


def test_membership_and_member_are_one_relation(pn):
    pn.set_memberships(uuid="ann", channel_memberships=[
        PNChannelMembership("hall", custom={"seat": "A1"}, status="here", type="guest")]).sync()
    mine = pn.get_memberships(uuid="ann", include=MembershipIncludes(custom=True, status=True, type=True)) \
        .sync().result.data[0]
    theirs = pn.get_channel_members(channel="hall", include=MemberIncludes(custom=True, status=True, type=True)) \
        .sync().result.data[0]
    assert theirs["uuid"] == {"id": "ann"} and mine["channel"] == {"id": "hall"}
    for k in ("custom", "status", "type", "updated", "eTag"):
        assert mine[k] == theirs[k], k

    # removing it from the channel side removes the membership
    res = pn.remove_channel_members(channel="hall", uuids=[PNUUID.uuid("ann")]).sync().result
    assert res.data == []
    assert pn.get_memberships(uuid="ann").sync().result.data == []

    # a relation's eTag depends on its content only (spec 3.6): same content, same eTag
    res = pn.set_memberships(uuid="bea", channel_memberships=[
        PNChannelMembership("hall-2", custom={"seat": "A1"}, status="here", type="guest"),
        PNChannelMembership("lobby-2", custom={"seat": "B2"}, status="here", type="guest")]).sync().result
    tags = {m["channel"]["id"]: m["eTag"] for m in res.data}
    assert tags["hall-2"] == mine["eTag"] and tags["lobby-2"] != mine["eTag"]


def test_remove_channel_members_answers_what_remains(pn):
    pn.set_channel_members(channel="room", uuids=[PNUserMember("a"), PNUserMember("b"),
                                                  PNUserMember("c", custom={"x": 1})]).sync()
    res = (pn.remove_channel_members().channel("room").uuids([PNUUID.uuid("b")])
           .include_custom(True).include_total_count(True).sync().result)
    assert ids(res.data, "uuid") == ["a", "c"] and res.total_count == 2
    assert res.data[1]["custom"] == {"x": 1}

    res = pn.remove_channel_members(channel="room", uuids=[PNUserMember("a"), PNUserMember("c")],
                                    include_total_count=True).sync().result
    assert res.data == [] and res.total_count == 0


def test_manage_channel_members(pn):
    pn.set_channel_members(channel="club", uuids=[PNUserMember("old"), PNUserMember("stay")]).sync()
    res = (pn.manage_channel_members().channel("club")
           .set([PNUserMember("new", status="joined", type="vip", custom={"since": 2024})])
           .remove([PNUserMember("old")])
           .include(MemberIncludes(custom=True, status=True, type=True))
           .include_total_count(True).sync().result)
    assert ids(res.data, "uuid") == ["new", "stay"] and res.total_count == 2
    assert (res.data[0]["custom"], res.data[0]["status"], res.data[0]["type"]) == ({"since": 2024}, "joined", "vip")

    res = pn.manage_channel_members(channel="club", uuids_to_set=[PNUUID.uuid_with_custom("third", {"n": 3})],
                                    uuids_to_remove=[PNUUID.uuid("stay")], include_custom=True).sync().result
    assert ids(res.data, "uuid") == ["new", "third"]
    assert res.data[1]["custom"] == {"n": 3}


def test_channel_members_filter_sort_and_paging(pn):
    make_users(pn, [("m%02d" % i, {"name": ("K" if i % 3 == 0 else "S") + "-member-%02d" % i})
                    for i in range(8)])
    res = pn.set_channel_members(channel="big", uuids=[PNUserMember("m%02d" % i, status="s%d" % (i % 2))
                                                       for i in range(8)],
                                 filter="uuid.name LIKE 'K*'", include_total_count=True).sync().result
    # written 8, answered only the filtered ones (spec 7, objc recording)
    assert ids(res.data, "uuid") == ["m00", "m03", "m06"] and res.total_count == 3

    res = pn.get_channel_members(channel="big", filter="uuid.name like 'K*' && status == 's0'",
                                 include_total_count=True).sync().result
    assert ids(res.data, "uuid") == ["m00", "m06"] and res.total_count == 2

    pages = all_pages(lambda: pn.get_channel_members(channel="big", limit=3, include_total_count=True), 3)
    assert [len(p.data) for p in pages] == [3, 3, 2]
    assert [u for p in pages for u in ids(p.data, "uuid")] == ["m%02d" % i for i in range(8)]
    back = pn.get_channel_members(channel="big", limit=3, page=pages[2].prev).sync().result
    assert ids(back.data, "uuid") == ids(pages[1].data, "uuid")

    res = pn.get_channel_members(channel="big", sort_keys=[PNSortKey.desc(PNSortKeyValue.UPDATED)],
                                 limit=8).sync().result
    stamps = [parse_updated(m["updated"]) for m in res.data]
    assert stamps == sorted(stamps, reverse=True)


# ------------------------------------------------------------------ signing (spec 11)


def test_signing_server_accepts_signed_sdk_and_rejects_wrong_secret(signing_server, sub_key, pubnub_factory):
    good = pubnub_factory(signing_server.origin, sub_key, publish_key=SIGNING_PUBLISH_KEY,
                          secret_key=SIGNING_SECRET_KEY)
    # writes (signed body), reads, lists with filter/sort/count (signed query encoding)
    data = good.set_uuid_metadata(uuid="signed-user", name="Signed User", custom={"k": "a b/c"},
                                  include_custom=True).sync().result.data
    assert data["custom"] == {"k": "a b/c"}
    assert good.get_uuid_metadata(uuid="signed-user").sync().result.data["name"] == "Signed User"
    res = good.get_all_uuid_metadata(filter="name LIKE 'Signed*' && custom.k == 'a b/c'",
                                     sort_keys=[PNSortKey.asc(PNSortKeyValue.NAME),
                                                PNSortKey.desc(PNSortKeyValue.UPDATED)],
                                     include_total_count=True, limit=5).sync().result
    assert ids(res.data) == ["signed-user"] and res.total_count == 1
    good.set_channel_metadata(channel="signed-chan", name="Signed channel", description="(x)!").sync()
    res = good.set_memberships(uuid="signed-user", channel_memberships=[
        PNChannelMembership("signed-chan", custom={"r": "w"})], include_custom=True,
        include_total_count=True).sync().result
    assert res.total_count == 1
    res = good.get_channel_members(channel="signed-chan", include=MemberIncludes(user=True)).sync().result
    assert res.data[0]["uuid"]["name"] == "Signed User"
    assert good.remove_memberships(uuid="signed-user", channel_memberships=[
        PNChannelMembership.channel("signed-chan")]).sync().result.data == []
    assert good.remove_uuid_metadata(uuid="signed-user").sync().result.data is None

    wrong = pubnub_factory(signing_server.origin, sub_key, publish_key=SIGNING_PUBLISH_KEY,
                           secret_key="sec-c-wrong")
    assert http_error(lambda: wrong.get_all_uuid_metadata().sync()).get_status_code() == 403
    assert http_error(lambda: wrong.set_uuid_metadata(uuid="x", name="x").sync()).get_status_code() == 403

    wrong_pub = pubnub_factory(signing_server.origin, sub_key, publish_key="pub-c-other",
                               secret_key=SIGNING_SECRET_KEY)
    assert http_error(lambda: wrong_pub.get_channel_metadata(channel="signed-chan").sync()) \
        .get_status_code() == 403

    unsigned = pubnub_factory(signing_server.origin, sub_key, publish_key=SIGNING_PUBLISH_KEY)
    assert http_error(lambda: unsigned.get_channel_metadata(channel="signed-chan").sync()) \
        .get_status_code() == 403

    # nothing was written by the rejected clients
    assert http_error(lambda: good.get_uuid_metadata(uuid="x").sync()).get_status_code() == 404


# ------------------------------------------------- relations and object deletion (8.3)


def test_relations_survive_object_deletion_without_referential_integrity(pn):
    make_users(pn, [("ursula", {"name": "Ursula"})])
    make_channels(pn, [("cove", {"name": "Cove"})])
    pn.set_memberships(uuid="ursula", channel_memberships=[PNChannelMembership.channel("cove")]).sync()

    assert pn.remove_uuid_metadata(uuid="ursula").sync().result.data is None
    res = pn.get_channel_members(channel="cove", include=MemberIncludes(user=True, user_custom=True)).sync().result
    assert res.data[0]["uuid"] == {"id": "ursula"}, "relation kept, expansion falls back to the id"

    assert pn.remove_channel_metadata(channel="cove").sync().result.data is None
    res = pn.get_memberships(uuid="ursula", include=MembershipIncludes(channel=True)).sync().result
    assert res.data[0]["channel"] == {"id": "cove"}


def test_referential_integrity_server(ri_server, sub_key, pubnub_factory):
    ri = pubnub_factory(ri_server.origin, sub_key)

    # relations to missing users/channels are refused, and nothing is written
    exc = http_error(lambda: ri.set_memberships(uuid="nobody", channel_memberships=[
        PNChannelMembership.channel("nowhere")]).sync())
    assert 400 <= exc.get_status_code() < 500
    make_users(ri, [("ina", {"name": "Ina"})])
    make_channels(ri, [("c1", {"name": "One"}), ("c2", {"name": "Two"})])
    exc = http_error(lambda: ri.set_memberships(uuid="ina", channel_memberships=[
        PNChannelMembership.channel("c1"), PNChannelMembership.channel("missing")]).sync())
    assert 400 <= exc.get_status_code() < 500
    assert ri.get_memberships(uuid="ina").sync().result.data == []

    res = ri.set_memberships(uuid="ina", channel_memberships=[PNChannelMembership.channel("c1"),
                                                              PNChannelMembership.channel("c2")]).sync().result
    assert ids(res.data, "channel") == ["c1", "c2"]
    exc = http_error(lambda: ri.set_channel_members(channel="c1", uuids=[PNUserMember("ghost")]).sync())
    assert 400 <= exc.get_status_code() < 500
    assert ids(ri.get_channel_members(channel="c1").sync().result.data, "uuid") == ["ina"]

    # deleting a channel or a user deletes its relations
    ri.remove_channel_metadata(channel="c1").sync()
    assert ids(ri.get_memberships(uuid="ina").sync().result.data, "channel") == ["c2"]
    ri.remove_uuid_metadata(uuid="ina").sync()
    assert ri.get_channel_members(channel="c2").sync().result.data == []
