#!/usr/bin/env python3
"""A trading bot with nothing but Python's standard library, trading on
an Openfish account through clobvault's gateway.  It holds only the
client credentials vaultctl client add printed: it signs its requests
with them as it would sign them to the exchange (HMAC-SHA256 over
timestamp + method + path?query + body, url-safe base64), and sends its
orders unsigned; clobvault signs them with the vault's wallet key.

usage: GW_URL=http://127.0.0.1:PORT CREDS=client.json gateway_bot.py
"""
import base64
import hashlib
import hmac
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request

URL = os.environ["GW_URL"]
with open(os.environ["CREDS"]) as f:
    CREDS = json.load(f)
ADDR = os.environ.get("ADDR", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
CAP_RULE = os.environ.get("CAP_RULE", "notional-cap")
passed = failed = 0


def check(name, ok, detail=None):
    global passed, failed
    if ok:
        passed += 1
        print("ok   py: " + name)
    else:
        failed += 1
        print("FAIL py: %s: %r" % (name, detail))


def call(method, target, body=None, signed=True, creds=CREDS):
    data = json.dumps(body, separators=(",", ":")) if body is not None \
        else ""
    headers = {"Content-Type": "application/json"}
    if signed:
        ts = str(int(time.time()))
        key = base64.urlsafe_b64decode(creds["secret"])
        mac = hmac.new(key, (ts + method + target + data).encode(),
                       hashlib.sha256).digest()
        headers.update({
            "OPENFISH_ADDRESS": ADDR,
            "OPENFISH_API_KEY": creds["apiKey"],
            "OPENFISH_PASSPHRASE": creds["passphrase"],
            "OPENFISH_TIMESTAMP": ts,
            "OPENFISH_SIGNATURE": base64.urlsafe_b64encode(mac).decode(),
        })
    req = urllib.request.Request(URL + target, method=method,
                                 data=data.encode() if data else None,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def order(size_units, price_units):
    # BUY: maker pays collateral, takes shares (6 decimals)
    return {"order": {
        "salt": random.randrange(1, 2 ** 53),
        "maker": ADDR, "signer": ADDR,
        "taker": "0x0000000000000000000000000000000000000000",
        "tokenId": "1234",
        "makerAmount": str(size_units * price_units // 100),
        "takerAmount": str(size_units),
        "expiration": "0", "nonce": "0", "feeRateBps": "0",
        "side": "BUY", "signatureType": 0, "signature": ""},
        "orderType": "GTC", "owner": CREDS["apiKey"]}


try:
    st, tick = call("GET", "/tick-size?token_id=1234", signed=False)
    check("tick size (unsigned)", st == 200 and "minimum_tick_size" in tick,
          (st, tick))
    st, placed = call("POST", "/order", order(10 * 10 ** 6, 50))
    ok = st == 200 and placed.get("success") is True
    check("order placed", ok, (st, placed))
    oid = placed.get("orderID") if ok else None
    st, lst = call("GET", "/data/orders?asset_id=1234")
    ids = [o.get("id") for o in (lst.get("data") or [])] if st == 200 \
        else []
    check("open orders list it", oid in ids, (st, lst))
    st, big = call("POST", "/order", order(1000 * 10 ** 6, 50))
    check("over the notional rule: refused, the rule named",
          st == 403 and CAP_RULE in big.get("error", ""), (st, big))
    st, gone = call("DELETE", "/order", {"orderId": oid})
    check("cancelled", st == 200 and oid in (gone.get("canceled") or []),
          (st, gone))
    bad = dict(CREDS, secret=base64.urlsafe_b64encode(b"\0" * 32).decode())
    st, r = call("GET", "/data/orders", creds=bad)
    check("a wrong client secret is refused",
          st == 401 and r == {"error": "client credentials refused"},
          (st, r))
except Exception as e:  # a crash is a failure, with its story
    check("no exception", False, repr(e))
print("%d passed, %d failed" % (passed, failed))
sys.exit(0 if failed == 0 else 1)
