"""Reads every collection of a khorasan server with OWSLib, the Python
client of OGC web services, and checks paging returns every feature once.

Usage: python3 owslib_client.py BASE_URL  (e.g. http://127.0.0.1:8080/api)
Prints one JSON line per check; exits non-zero on a failure.
"""
import json
import sys

from owslib.ogcapi.features import Features


def main(base):
    api = Features(base)
    collections = api.collections()["collections"]
    ids = [c["id"] for c in collections]
    print(json.dumps({"collections": ids}))
    failures = []
    for cid in ids:
        matched = api.collection_items(cid, limit=1)["numberMatched"]
        # Follow the pages to the end, 25 at a time.
        seen = []
        offset = 0
        while True:
            page = api.collection_items(cid, limit=25, offset=offset)
            feats = page["features"]
            seen += [f["id"] for f in feats]
            nxt = [l for l in page["links"] if l["rel"] == "next"]
            if not nxt:
                break
            offset += 25
        ok = len(seen) == matched and len(set(seen)) == len(seen)
        print(json.dumps({"collection": cid, "matched": matched, "paged": len(seen), "unique": len(set(seen)), "ok": ok}))
        if not ok:
            failures.append(cid)
    # A bbox around Kabul, with a limit.
    page = api.collection_items("attacks", bbox=[68.9, 34.3, 69.4, 34.7], limit=5)
    print(json.dumps({"bbox_kabul_matched": page["numberMatched"], "returned": page["numberReturned"]}))
    if page["numberReturned"] != min(5, page["numberMatched"]):
        failures.append("bbox")
    if failures:
        print(json.dumps({"failed": failures}))
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1])
