# Verifies Parley's `X-Parley-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
# Standard library only. Verify the RAW body bytes, before any JSON parsing.
import hashlib
import hmac
import time

REPLAY_WINDOW_SECONDS = 300


def verify_parley_signature(secret: str, raw_body: bytes, header: str | None, now: int | None = None) -> str | None:
    """Returns None when valid, else 'missing' | 'malformed' | 'expired' | 'mismatch'."""
    if not header:
        return "missing"
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
        v1 = parts["v1"]
    except (KeyError, ValueError):
        return "malformed"
    if abs((now or int(time.time())) - t) > REPLAY_WINDOW_SECONDS:
        return "expired"
    expected = hmac.new(secret.encode(), f"{t}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected, v1) else "mismatch"


if __name__ == "__main__":
    # Self-check: sign like Parley does, then verify.
    secret, body, t = "whsec_example", b'{"hello":"world"}', int(time.time())
    sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert verify_parley_signature(secret, body, f"t={t},v1={sig}") is None
    assert verify_parley_signature(secret, body + b" ", f"t={t},v1={sig}") == "mismatch"
    assert verify_parley_signature(secret, body, f"t={t - 301},v1={sig}") == "expired"
    print("ok")
