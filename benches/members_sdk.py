"""The official Python SDK's set_channel_members loop, 100 members per call, for
`cargo bench --bench relations`.

Usage: members_sdk.py HOST:PORT SUBSCRIBE_KEY CHANNEL N

Adds the N members `m-0000000` … of CHANNEL with the same fields the bench's import
file gives them (status, type, custom), 100 per call as the SDK's documentation does
it, and prints one JSON line: {"members": N, "loop_seconds": S}. The process's own
wall time (interpreter start and SDK import included) is measured by the caller.
"""

import json
import sys
import time
import warnings

from pubnub.models.consumer.objects_v2.channel_members import PNUserMember
from pubnub.pnconfiguration import PNConfiguration
from pubnub.pubnub import PubNub


def member(i):
    """The fields of member i: the same as the bench's import file."""
    return PNUserMember(
        f"m-{i:07}",
        type="member",
        status="active" if i % 3 else "invited",
        custom={"role": "owner" if i % 1000 == 0 else "member", "n": i % 7},
    )


def main():
    origin, subscribe_key, channel, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    warnings.simplefilter("ignore", DeprecationWarning)
    config = PNConfiguration()
    config.subscribe_key = subscribe_key
    config.user_id = "bench-python-sdk"
    config.origin = origin
    config.ssl = False
    config.enable_subscribe = False
    pubnub = PubNub(config)

    started = time.perf_counter()
    for start in range(0, n, 100):
        batch = [member(i) for i in range(start, min(start + 100, n))]
        envelope = pubnub.set_channel_members().channel(channel).uuids(batch).sync()
        if envelope.status.is_error():
            raise SystemExit(f"set_channel_members failed at {start}: {envelope.status.error_data}")
    seconds = time.perf_counter() - started
    print(json.dumps({"members": n, "loop_seconds": seconds}))


if __name__ == "__main__":
    main()
