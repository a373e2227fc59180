"""Access Manager v3 on `appctx serve --secret-key`, driven by the official Python SDK
(spec section 16): `grant_token()` gets tokens from the local server, `parse_token()`
decodes them to exactly what was granted, clients holding a token get 200 or 403 per
the operation -> permission table for every App Context operation, and revoked or
expired tokens are refused.
"""

import json
import time

import pytest

from pubnub.exceptions import PubNubException
from pubnub.models.consumer.objects_v2.channel_members import PNUUID
from pubnub.models.consumer.objects_v2.memberships import PNChannelMembership
from pubnub.models.consumer.v3.channel import Channel
from pubnub.models.consumer.v3.group import Group
from pubnub.models.consumer.v3.uuid import UUID

from conftest import SIGNING_PUBLISH_KEY, SIGNING_SECRET_KEY, AppctxServer, _finish

FLAGS = ("read", "write", "manage", "delete", "get", "update", "join")


def flags(*on):
    return {f: f in on for f in FLAGS}


@pytest.fixture(scope="session")
def pam_server(request):
    srv = AppctxServer(
        "pam", ["--publish-key", SIGNING_PUBLISH_KEY, "--secret-key", SIGNING_SECRET_KEY])
    yield srv
    _finish(srv, request)


@pytest.fixture(scope="session")
def fast_token_server(request):
    # Test hook: a token minute lasts one second, so ttl=2 expires in 2 s.
    srv = AppctxServer(
        "pam-fast-clock", ["--publish-key", SIGNING_PUBLISH_KEY, "--secret-key",
                           SIGNING_SECRET_KEY, "--token-minute-secs", "1"])
    yield srv
    _finish(srv, request)


@pytest.fixture(scope="session")
def disallow_server(request):
    srv = AppctxServer(
        "pam-disallow-get-all", ["--publish-key", SIGNING_PUBLISH_KEY, "--secret-key",
                                 SIGNING_SECRET_KEY, "--disallow-get-all"])
    yield srv
    _finish(srv, request)


def admin(factory, srv, sub_key):
    return factory(srv.origin, sub_key, publish_key=SIGNING_PUBLISH_KEY,
                   secret_key=SIGNING_SECRET_KEY, user_id="admin")


def client(factory, srv, sub_key, token, user_id="client"):
    pn = factory(srv.origin, sub_key, user_id=user_id)
    pn.set_token(token)
    return pn


def status_of(call):
    """200, or the HTTP status of the PubNubException `call` raises."""
    try:
        call()
        return 200
    except PubNubException as e:
        return e.get_status_code()


def error_body(call):
    with pytest.raises(PubNubException) as info:
        call()
    return info.value.get_status_code(), json.loads(info.value._errormsg)


# ------------------------------------------------------------------ grant and parse


def test_grant_token_parses_to_exactly_what_was_granted(pam_server, sub_key, pubnub_factory):
    pn = admin(pubnub_factory, pam_server, sub_key)
    env = (pn.grant_token()
           .ttl(60)
           .channels([Channel.id("room-1").get().update().join(),
                      Channel.pattern("^room-.*$").read().get(),
                      Channel.id("all").read().write().manage().delete().get().update().join()])
           .groups([Group.id("g1").read().manage()])
           .uuids([UUID.id("bob").get().update().delete(), UUID.pattern("^u-[0-9]+$").get()])
           .authorized_uuid("bob")
           .meta({"app": "appctx", "n": 7, "nested": {"ok": True}})
           .sync())
    assert env.status.status_code == 200
    token = env.result.token
    assert token and "=" not in token.rstrip("=")  # base64url, padded like PubNub's
    parsed = pn.parse_token(token)
    before = int(time.time())
    assert parsed["version"] == 2
    assert parsed["ttl"] == 60
    assert abs(parsed["timestamp"] - before) <= 5
    assert parsed["authorized_uuid"] == "bob"
    assert parsed["meta"] == {"app": "appctx", "n": 7, "nested": {"ok": True}}
    assert parsed["resources"] == {
        "channels": {"room-1": flags("get", "update", "join"), "all": flags(*FLAGS)},
        "groups": {"g1": flags("read", "manage")},
        "uuids": {"bob": flags("get", "update", "delete")},
    }
    assert parsed["patterns"] == {
        "channels": {"^room-.*$": flags("read", "get")},
        "groups": {},
        "uuids": {"^u-[0-9]+$": flags("get")},
    }


def test_grant_without_authorized_uuid_has_none(pam_server, sub_key, pubnub_factory):
    pn = admin(pubnub_factory, pam_server, sub_key)
    token = pn.grant_token().ttl(5).channels([Channel.id("c").read()]).sync().result.token
    parsed = pn.parse_token(token)
    assert parsed.get("authorized_uuid") is None
    assert parsed["meta"] == {}


def test_grant_ttl_out_of_range_is_pubnubs_400(pam_server, sub_key, pubnub_factory):
    pn = admin(pubnub_factory, pam_server, sub_key)
    status, body = error_body(
        lambda: pn.grant_token().ttl(43201).channels([Channel.id("c").read()]).sync())
    assert status == 400
    assert body == {"error": {"message": "Invalid ttl", "source": "grant", "details": [
        {"message": "Range should be 1 to 43200 minute(s).", "location": "ttl",
         "locationType": "body"}]}, "service": "Access Manager", "status": 400}


def test_grant_needs_the_secret_key(pam_server, sub_key, pubnub_factory):
    wrong = pubnub_factory(pam_server.origin, sub_key, publish_key=SIGNING_PUBLISH_KEY,
                           secret_key="sec-c-wrong")
    assert status_of(lambda: wrong.grant_token().ttl(5)
                     .channels([Channel.id("c").read()]).sync()) == 403


# --------------------------------------------------- every operation, allowed and denied


def operations(pn):
    """(name, call, needs) for all 16 operations; needs says which grant allows it."""
    ch = lambda cid: PNChannelMembership.channel(cid)  # noqa: E731
    return [
        ("get all uuids", lambda: pn.get_all_uuid_metadata().sync(), "token"),
        ("get uuid", lambda: pn.get_uuid_metadata(uuid="bob").sync(), "uuid bob get"),
        ("set uuid", lambda: pn.set_uuid_metadata(uuid="bob", name="Bob").sync(), "uuid bob update"),
        ("remove uuid", lambda: pn.remove_uuid_metadata(uuid="bob").sync(), "uuid bob delete"),
        ("get all channels", lambda: pn.get_all_channel_metadata().sync(), "token"),
        ("get channel", lambda: pn.get_channel_metadata(channel="room").sync(), "channel room get"),
        ("set channel", lambda: pn.set_channel_metadata(channel="room", name="R").sync(),
         "channel room update"),
        ("remove channel", lambda: pn.remove_channel_metadata(channel="room").sync(),
         "channel room delete"),
        ("get memberships", lambda: pn.get_memberships(uuid="bob").sync(), "uuid bob get"),
        ("set memberships", lambda: pn.set_memberships(
            uuid="bob", channel_memberships=[ch("room")]).sync(),
         "uuid bob update + channel room join"),
        ("remove memberships", lambda: pn.remove_memberships(
            uuid="bob", channel_memberships=[ch("room")]).sync(),
         "uuid bob update + channel room join"),
        ("manage memberships", lambda: pn.manage_memberships(
            uuid="bob", channel_memberships_to_set=[ch("room")],
            channel_memberships_to_remove=[ch("other")]).sync(),
         "uuid bob update + channel room join + channel other join"),
        ("get members", lambda: pn.get_channel_members(channel="room").sync(), "channel room get"),
        ("set members", lambda: pn.set_channel_members(
            channel="room", uuids=[PNUUID.uuid("bob")]).sync(), "channel room manage"),
        ("remove members", lambda: pn.remove_channel_members(
            channel="room", uuids=[PNUUID.uuid("bob")]).sync(), "channel room manage"),
        ("manage members", lambda: pn.manage_channel_members(
            channel="room", uuids_to_set=[PNUUID.uuid("bob")],
            uuids_to_remove=[PNUUID.uuid("eve")]).sync(),
         "channel room manage"),
    ]


# Each grant, and the operations (by name) it allows; every other operation must be 403.
GRANTS = [
    ("nothing useful", lambda: [Channel.id("elsewhere").get()], []),
    ("uuid get", lambda: [UUID.id("bob").get()],
     ["get uuid", "get memberships"]),
    ("uuid update", lambda: [UUID.id("bob").update()], ["set uuid"]),
    ("uuid delete", lambda: [UUID.id("bob").delete()], ["remove uuid"]),
    ("channel get", lambda: [Channel.id("room").get()], ["get channel", "get members"]),
    ("channel update", lambda: [Channel.id("room").update()], ["set channel"]),
    ("channel delete", lambda: [Channel.id("room").delete()], ["remove channel"]),
    ("channel manage", lambda: [Channel.id("room").manage()],
     ["set members", "remove members", "manage members"]),
    ("join without uuid update", lambda: [Channel.id("room").join(), Channel.id("other").join()],
     []),
    ("uuid update + join room", lambda: [UUID.id("bob").update(), Channel.id("room").join()],
     ["set uuid", "set memberships", "remove memberships"]),
    ("uuid update + join by pattern", lambda: [UUID.id("bob").update(),
                                              Channel.pattern("^(room|other)$").join()],
     ["set uuid", "set memberships", "remove memberships", "manage memberships"]),
    ("read and write are not get and update",
     lambda: [Channel.id("room").read().write(), UUID.id("bob")], []),
]


def grant_with(pn, resources):
    req = pn.grant_token().ttl(10)
    chans = [r for r in resources if isinstance(r, Channel)]
    uuids = [r for r in resources if isinstance(r, UUID)]
    if chans:
        req = req.channels(chans)
    if uuids:
        req = req.uuids(uuids)
    return req.sync().result.token


@pytest.mark.parametrize("label,resources,allowed", GRANTS, ids=[g[0] for g in GRANTS])
def test_every_operation_is_allowed_or_denied_per_the_table(
        pam_server, sub_key, pubnub_factory, label, resources, allowed):
    pn = admin(pubnub_factory, pam_server, sub_key)
    # What the reads read exists, so an allowed call is a 200 (never a 404).
    pn.set_uuid_metadata(uuid="bob", name="Bob").sync()
    pn.set_channel_metadata(channel="room", name="Room").sync()
    token = grant_with(pn, resources())
    user = client(pubnub_factory, pam_server, sub_key, token)
    got = {}
    for name, call, _needs in operations(user):
        if name.startswith("remove uuid") or name.startswith("remove channel"):
            continue  # last, below: they delete what the others read
        got[name] = status_of(call)
    for name, call, _needs in operations(user):
        if name in ("remove uuid", "remove channel"):
            got[name] = status_of(call)
    expected = {name: 200 if (name in allowed or needs == "token") else 403
                for name, _call, needs in operations(user)}
    assert got == expected


def test_a_denial_is_access_managers_403_naming_the_resource(pam_server, sub_key, pubnub_factory):
    pn = admin(pubnub_factory, pam_server, sub_key)
    token = grant_with(pn, [UUID.id("bob").get()])
    user = client(pubnub_factory, pam_server, sub_key, token)
    status, body = error_body(lambda: user.set_uuid_metadata(uuid="bob", name="B").sync())
    assert status == 403
    assert body == {"status": 403, "service": "Access Manager", "error": True,
                    "message": "Forbidden", "payload": {"uuids": ["bob"]}}
    status, body = error_body(lambda: user.get_channel_metadata(channel="room").sync())
    assert body["payload"] == {"channels": ["room"]}
    # Nothing was written by the refused call.
    assert status_of(lambda: pn.get_uuid_metadata(uuid="bob").sync()) == 404


def test_no_token_and_a_foreign_token_are_refused(pam_server, sub_key, pubnub_factory):
    anonymous = pubnub_factory(pam_server.origin, sub_key)
    assert status_of(lambda: anonymous.get_all_uuid_metadata().sync()) == 403
    # A token made with another secret (say, another keyset's) is not ours.
    other = pubnub_factory(pam_server.origin, sub_key, publish_key=SIGNING_PUBLISH_KEY,
                           secret_key=SIGNING_SECRET_KEY)
    token = grant_with(other, [UUID.id("bob").get()])
    forged = token[:-8] + ("A" * 8 if not token.endswith("A" * 8) else "B" * 8)
    user = client(pubnub_factory, pam_server, sub_key, forged)
    status, body = error_body(lambda: user.get_uuid_metadata(uuid="bob").sync())
    assert (status, body["message"]) == (403, "Token is invalid")


def test_an_authorized_uuid_binds_the_token_to_that_user(pam_server, sub_key, pubnub_factory):
    pn = admin(pubnub_factory, pam_server, sub_key)
    token = (pn.grant_token().ttl(10).uuids([UUID.pattern(".*").get().update()])
             .authorized_uuid("carol").sync().result.token)
    carol = client(pubnub_factory, pam_server, sub_key, token, user_id="carol")
    mallory = client(pubnub_factory, pam_server, sub_key, token, user_id="mallory")
    assert status_of(lambda: carol.set_uuid_metadata(uuid="carol", name="C").sync()) == 200
    assert status_of(lambda: mallory.get_uuid_metadata(uuid="carol").sync()) == 403


# ------------------------------------------------------------------ revoke and expiry


def test_a_revoked_token_is_refused(pam_server, sub_key, pubnub_factory):
    pn = admin(pubnub_factory, pam_server, sub_key)
    token = grant_with(pn, [UUID.id("bob").get().update()])
    user = client(pubnub_factory, pam_server, sub_key, token)
    assert status_of(lambda: user.set_uuid_metadata(uuid="bob", name="Bob").sync()) == 200
    res = pn.revoke_token(token).sync()
    assert res.status.status_code == 200
    status, body = error_body(lambda: user.get_uuid_metadata(uuid="bob").sync())
    assert status == 403
    assert body == {"error": True, "status": 403, "service": "Access Manager",
                    "message": "Token is revoked"}
    # Revoking again is fine; another token is untouched.
    assert pn.revoke_token(token).sync().status.status_code == 200
    other = client(pubnub_factory, pam_server, sub_key, grant_with(pn, [UUID.id("bob").get()]))
    assert status_of(lambda: other.get_uuid_metadata(uuid="bob").sync()) == 200


def test_an_expired_token_is_refused_and_cannot_be_revoked(fast_token_server, sub_key, pubnub_factory):
    pn = admin(pubnub_factory, fast_token_server, sub_key)
    token = pn.grant_token().ttl(2).uuids([UUID.id("bob").get()]).sync().result.token
    assert pn.parse_token(token)["ttl"] == 2
    user = client(pubnub_factory, fast_token_server, sub_key, token)
    assert status_of(lambda: user.get_uuid_metadata(uuid="bob").sync()) == 404  # allowed
    time.sleep(2.2)
    status, body = error_body(lambda: user.get_uuid_metadata(uuid="bob").sync())
    assert (status, body["message"]) == (403, "Token is expired")
    status, body = error_body(lambda: pn.revoke_token(token).sync())
    assert status == 400
    assert body == {"error": {"message": "Invalid token", "source": "revoke", "details": [
        {"message": "Token is expired.", "location": "token", "locationType": "path"}]},
        "service": "Access Manager", "status": 400}


# ------------------------------------------------------------------ Disallow Get All


def test_disallow_get_all_refuses_lists_to_tokens_but_not_to_the_secret(
        disallow_server, sub_key, pubnub_factory):
    pn = admin(pubnub_factory, disallow_server, sub_key)
    pn.set_uuid_metadata(uuid="bob", name="Bob").sync()
    assert [u["id"] for u in pn.get_all_uuid_metadata().sync().result.data] == ["bob"]
    token = grant_with(pn, [UUID.pattern(".*").get(), Channel.pattern(".*").get()])
    user = client(pubnub_factory, disallow_server, sub_key, token)
    assert status_of(lambda: user.get_all_uuid_metadata().sync()) == 403
    assert status_of(lambda: user.get_all_channel_metadata().sync()) == 403
    # Opening one by id, and its relations, still works.
    assert user.get_uuid_metadata(uuid="bob").sync().result.data["name"] == "Bob"
    assert user.get_memberships(uuid="bob").sync().result.data == []
