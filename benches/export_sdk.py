"""The official Python SDK's get_all_uuid_metadata paging loop, for `cargo bench --bench export`.

Usage: export_sdk.py HOST:PORT SUBSCRIBE_KEY

Pages every user (limit 100, custom/status/type included, as `appctx export` asks for)
and prints one JSON line: {"users": N, "loop_seconds": S}. The process's own wall time
(interpreter start and SDK import included) is measured by the caller.
"""

import json
import sys
import time
import warnings

from pubnub.pnconfiguration import PNConfiguration
from pubnub.pubnub import PubNub


def main():
    origin, subscribe_key = sys.argv[1], sys.argv[2]
    # include_custom is deprecated in favour of include objects, which get_all_uuid_metadata
    # does not take; the warning is noise here.
    warnings.simplefilter("ignore", DeprecationWarning)
    config = PNConfiguration()
    config.subscribe_key = subscribe_key
    config.user_id = "bench-python-sdk"
    config.origin = origin
    config.ssl = False
    config.enable_subscribe = False
    pubnub = PubNub(config)

    started = time.perf_counter()
    users = []
    page = None
    while True:
        request = pubnub.get_all_uuid_metadata(include_custom=True, limit=100)
        if page is not None:
            request = request.page(page)
        envelope = request.sync()
        data = envelope.result.data
        users.extend(data)
        if len(data) < 100 or envelope.result.next is None:
            break
        page = envelope.result.next
    seconds = time.perf_counter() - started
    print(json.dumps({"users": len(users), "loop_seconds": seconds}))


if __name__ == "__main__":
    main()
