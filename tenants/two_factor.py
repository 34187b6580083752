"""Two-factor log-in with an authenticator app (TOTP, RFC 6238, by pyotp) and one-time recovery codes.

Platform admins must have it before the admin pages open (saas.web.admin). A code is accepted once: the
time step of the last accepted code is kept, so a code seen over a shoulder or replayed from a log fails."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.timeutil import utcnow
from tenants.models import RecoveryCode, User

ISSUER = "Loopline"
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """What the QR code holds: the otpauth:// link an authenticator app adds the account from."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def is_enabled(user: User) -> bool:
    return bool(user.totp_secret)


def enable(user: User, secret: str, code: str) -> list[str]:
    """Turn two-factor on with the secret the user's app shows `code` for; the recovery codes, shown once."""
    if not _is_secret(secret):
        raise Refusal(_l("Start again: the set-up form was changed."), field="code")
    step = _matching_step(secret, code, None)
    if step is None:
        raise Refusal(_l("That code is not right. Enter the six digits your app shows now."), field="code")
    user.totp_secret, user.totp_last_step = secret, step
    return _new_recovery_codes(user)


def verify(user: User, code: str) -> None:
    """Accept a current code from the app, or an unused recovery code (used up by this); Refusal otherwise."""
    code = "".join((code or "").split())
    if not is_enabled(user):
        raise Refusal(_l("Set up two-factor log-in first."), field="code")
    if code.isdigit() and len(code) == 6:
        step = _matching_step(user.totp_secret, code, user.totp_last_step)
        if step is None:
            raise Refusal(_l("That code is not right, or was used already. Wait for the next one."), field="code")
        user.totp_last_step = step
        return
    if not _use_recovery_code(user, code):
        raise Refusal(_l("That code is not right, or was used already."), field="code")


def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step (now, or one either side for a slow clock) whose code this is, if later than the last."""
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp, now = pyotp.TOTP(secret), time.time()
    for offset in (0, -1, 1):
        step = totp.timecode(now) + offset
        if (last_step is None or step > last_step) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _is_secret(secret: str) -> bool:
    try:
        return len(secret) == 32 and bool(pyotp.TOTP(secret).now())
    except (ValueError, TypeError):
        return False


def _hash(code: str) -> str:
    return hashlib.sha256(code.lower().replace("-", "").encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    found = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None)))
    if found is None:
        return False
    found.used_at = utcnow()
    return True


def recovery_codes_left(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())
