"""App Context events from `appctx serve`, received by the official PubNub Python SDK
(pubnub==10.8.0) through its own subscribe loop and a `SubscribeCallback` listener
(spec section 12).

The SDK subscribes to a user's channel and a channel's channel; writes made with a
second client must reach the listener's `uuid`, `channel` and `membership` callbacks as
`set`/`delete` events with the data the spec describes, and a write that changes nothing
must produce no event at all. Events are delivered in order, so "no event" is checked
without waiting for a timeout: a later real change must be the very next event.

Uses the `server`, `sub_key` and `pn` fixtures of conftest.py.
"""

import queue
import threading
import uuid as uuidlib

import pytest

from pubnub.callbacks import SubscribeCallback
from pubnub.enums import PNStatusCategory
from pubnub.models.consumer.objects_v2.channel import PNChannelMetadataResult
from pubnub.models.consumer.objects_v2.memberships import PNChannelMembership, PNMembershipResult
from pubnub.models.consumer.objects_v2.uuid import PNUUIDMetadataResult
from pubnub.models.subscription import PNEventEmitter
from pubnub.pnconfiguration import PNConfiguration
from pubnub.pubnub import PubNub

from conftest import close_pubnub

EVENT_TIMEOUT_S = 10.0


class Recorder(SubscribeCallback):
    """Collects what the SDK announces, as ("uuid"|"channel"|"membership", event, data)."""

    def __init__(self):
        self.events = queue.Queue()
        self.connected = threading.Event()
        self.errors = []

    def status(self, pubnub, status):
        if status.category == PNStatusCategory.PNConnectedCategory:
            self.connected.set()
        elif status.is_error():
            self.errors.append(status)

    def message(self, pubnub, message):
        self.events.put(("message", None, message.message))

    def presence(self, pubnub, presence):
        pass

    def uuid(self, pubnub, event):
        assert isinstance(event, PNUUIDMetadataResult)
        self.events.put(("uuid", event.event, event.data))

    def channel(self, pubnub, event):
        assert isinstance(event, PNChannelMetadataResult)
        self.events.put(("channel", event.event, event.data))

    def membership(self, pubnub, event):
        assert isinstance(event, PNMembershipResult)
        self.events.put(("membership", event.event, event.data))

    def next(self, what):
        try:
            return self.events.get(timeout=EVENT_TIMEOUT_S)
        except queue.Empty:
            pytest.fail("no event within %.0fs while waiting for %s (status errors: %s)"
                        % (EVENT_TIMEOUT_S, what, [str(e.error_data) for e in self.errors]))

    def assert_quiet(self):
        assert self.events.empty(), "unexpected event: %r" % (self.events.get_nowait(),)


@pytest.fixture
def sdk_object_event_fix(monkeypatch):
    """Works around a bug of pubnub 10.8.0 itself, not of the server.

    `subscribe().channels(...).execute()` registers the SDK's own
    `PNSubscriptionRegistryCallback` as a listener. For App Context events it calls
    `uuid()`/`channel()`/`membership()` on every `PubNubSubscription`, but their base
    class `PNEventEmitter` defines only message/signal/presence/message_action, so the
    first object event raises AttributeError in the SDK's SubscribeMessageWorker thread,
    which dies and delivers nothing more. Give `PNEventEmitter` the missing dispatchers
    (forwarding to the `on_channel_metadata` / `on_user_metadata` / `on_membership`
    handlers it declares), only where the SDK lacks them.
    """
    def dispatcher(handler_name):
        def dispatch(self, event):
            handler = getattr(self, handler_name, None)
            # (Object events carry no channel, so there is nothing to match on.)
            if handler is not None:
                handler(event)
        return dispatch

    for method, handler in (("uuid", "on_user_metadata"), ("channel", "on_channel_metadata"),
                            ("membership", "on_membership")):
        if not hasattr(PNEventEmitter, method):
            monkeypatch.setattr(PNEventEmitter, method, dispatcher(handler), raising=False)


@pytest.fixture
def subscriber(server, sub_key, sdk_object_event_fix):
    """A subscribing SDK client (its own subscribe manager and listener) for `sub_key`."""
    config = PNConfiguration()
    config.subscribe_key = sub_key
    config.user_id = "sdk-events-listener"
    config.origin = server.origin
    config.ssl = False
    config.enable_subscribe = True
    config.daemon = True
    config.connect_timeout = 5
    config.non_subscribe_request_timeout = 10
    config.suppress_leave_events = False
    listening = PubNub(config)
    recorder = Recorder()
    listening.add_listener(recorder)
    yield listening, recorder
    listening.unsubscribe_all()
    listening.stop()
    close_pubnub(listening)


def test_sdk_listener_receives_set_and_delete_events_and_none_for_noops(pn, subscriber):
    listening, rec = subscriber
    user = "user-%s" % uuidlib.uuid4().hex[:8]
    room = "room-%s" % uuidlib.uuid4().hex[:8]
    listening.subscribe().channels([user, room]).execute()
    assert rec.connected.wait(EVENT_TIMEOUT_S), "the SDK never connected (handshake failed?)"

    # A user set: only the written fields, plus id, updated, eTag.
    written = pn.set_uuid_metadata(uuid=user, name="Ann", status="active",
                                   include_custom=True).sync().result.data
    kind, event, data = rec.next("uuid set")
    assert (kind, event) == ("uuid", "set")
    assert data["id"] == user and data["name"] == "Ann" and data["status"] == "active"
    assert data["eTag"] == written["eTag"] and data["updated"] == written["updated"]
    assert "custom" not in data and "type" not in data
    assert list(data) == sorted(data), "keys in alphabetical order: %r" % list(data)

    # The same data again is a no-op: no event. The next event must be the channel set.
    again = pn.set_uuid_metadata(uuid=user, name="Ann", status="active",
                                 include_custom=True).sync().result.data
    assert again["eTag"] == written["eTag"]
    pn.set_channel_metadata(channel=room, name="Room", description="d").sync()
    kind, event, data = rec.next("channel set")
    assert (kind, event) == ("channel", "set"), "a no-op write emitted %r" % ((kind, event, data),)
    assert data["id"] == room and data["name"] == "Room" and data["description"] == "d"

    # A membership set reaches both the user's and the channel's channel.
    pn.set_memberships(uuid=user, channel_memberships=[
        PNChannelMembership.channel_with_custom(room, {"role": "op"})]).sync()
    got = [rec.next("membership set on %s" % side) for side in ("one side", "other side")]
    for kind, event, data in got:
        assert (kind, event) == ("membership", "set")
        assert data["channel"] == {"id": room} and data["uuid"] == {"id": user}
        assert data["custom"] == {"role": "op"}
        assert "eTag" in data and data["updated"].endswith("Z")

    # Setting the same membership again changes nothing; removing it does.
    pn.set_memberships(uuid=user, channel_memberships=[
        PNChannelMembership.channel_with_custom(room, {"role": "op"})]).sync()
    pn.remove_memberships(uuid=user, channel_memberships=[PNChannelMembership.channel(room)]).sync()
    for side in ("one side", "other side"):
        kind, event, data = rec.next("membership delete on %s" % side)
        assert (kind, event) == ("membership", "delete"), "a no-op write emitted %r" % (
            (kind, event, data),)
        assert data == {"channel": {"id": room}, "uuid": {"id": user}}

    # Removing what is not there changes nothing; removing the user and channel does.
    pn.remove_memberships(uuid=user, channel_memberships=[PNChannelMembership.channel(room)]).sync()
    pn.remove_uuid_metadata(uuid="somebody-else").sync()
    pn.remove_uuid_metadata(uuid=user).sync()
    assert rec.next("uuid delete") == ("uuid", "delete", {"id": user})
    pn.remove_channel_metadata(channel=room).sync()
    assert rec.next("channel delete") == ("channel", "delete", {"id": room})
    rec.assert_quiet()
    assert not rec.errors, [str(e.error_data) for e in rec.errors]
