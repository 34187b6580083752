"""Account and team services: sign-up, verification, passwords, invitations, roles.

Plain functions over the database session, usable from a view, a job, a CLI command
or a test. They add to the session and leave the commit to the caller, so the
change and the emails it causes (outbox rows) commit together.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from billing import plans
from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.i18n import LOCALES, supported
from saas.core.outbox import queue_email, sent_since, sent_to_since
from saas.core.scoping import unscoped
from saas.core.sql import owned
from saas.core.timeutil import DEFAULT_TIMEZONES, utcnow
from saas.core.urls import absolute_url
from tenants import sessions, tokens
from tenants.models import ROLE_RANK, Invitation, Membership, Role, Tenant, TenantStatus, User

INVITATION_LIFETIME = timedelta(days=7)
# Far more than a business hires in an hour; far fewer than a sign-up turned into a mailing service.
INVITATIONS_PER_HOUR = 20
MIN_PASSWORD_LENGTH = 10
_COMMON_PASSWORDS = {
    "password", "password1", "password12", "password123", "passw0rd", "qwerty", "qwertyuiop",
    "qwerty123", "letmein", "welcome", "welcome1", "iloveyou", "admin", "administrator",
    "123456", "1234567", "12345678", "123456789", "1234567890", "0123456789", "abc123",
    "111111", "000000", "monkey", "dragon", "football", "baseball", "sunshine", "princess",
}


# --- validation -----------------------------------------------------------------------


def normalise_email(raw: str) -> str:
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise Refusal(_l("That email address is not valid. Please check it for typos."), field="email") from error


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is too weak, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)
    if len(password) > 200:
        return _l("Use at most 200 characters.")
    lowered = password.lower()
    if lowered in _COMMON_PASSWORDS or len(set(lowered)) < 4:
        return _l("That password is too easy to guess.")
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        return _l("Do not use your email address as your password.")
    return None


def _require_strong(password: str, email: str, field: str = "password") -> None:
    problem = password_problem(password, email)
    if problem:
        raise Refusal(problem, field=field)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


# --- sign-up and verification ---------------------------------------------------------


# A name shown as the sender of emails and on pages: nothing that could pass for an address or a header.
_NOT_IN_NAMES = re.compile(r'[<>"@\x00-\x1f\x7f-\x9f\u2028\u2029]')


def display_name(raw: str) -> str:
    """A business's or a person's name as typed, without the characters of addresses and control
    characters, its spaces collapsed."""
    return " ".join(_NOT_IN_NAMES.sub(" ", raw or "").split())


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60] or "business"


def unique_slug(name: str) -> str:
    base = slugify(name)
    taken = set(db.session.scalars(select(Tenant.slug).where(Tenant.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


class AlreadyRegistered(Refusal):
    """The address of a sign-up link has had an account since the link was sent (it was followed before)."""

    def __init__(self, email: str):
        super().__init__(_l("%(email)s has an account already. Log in instead.", email=email))
        self.email = email


def request_signup(business_name: str, owner_name: str, email: str, locale: str = "en") -> str:
    """The first step of signing up, answered the same way and with the same work whoever owns the
    address: one email, either with a link to finish signing up (a new address) or saying someone
    tried (an address with an account). Nothing is created until that link is followed, so no one can
    take an address they cannot read. Returns the address as normalised."""
    email = normalise_email(email)
    business_name = display_name(business_name)
    if not business_name:
        raise Refusal(_l("Enter your business name."), field="business_name")
    if _account_emails_exhausted(email):
        return email
    user = find_user_by_email(email)
    if user is None:
        details = {"email": email, "business": business_name, "name": display_name(owner_name),
                   "locale": supported(locale)}
        queue_email(
            "signup", email, "signup", locale=details["locale"], business_name=business_name,
            link=absolute_url("auth.finish_signup", token=tokens.sign("signup", details)),
            hours=tokens.VERIFY_EMAIL_MAX_AGE // 3600,
        )
    else:
        queue_email(
            "signup_exists", user.email, "signup_exists", locale=user.locale, user=user,
            login_link=absolute_url("auth.login"), reset_link=absolute_url("auth.forgot_password"),
        )
    return email


def signup_details(token: str) -> dict:
    """What a sign-up link carries (email, business, name, locale), while its address has no account."""
    details = tokens.unsign("signup", token, tokens.VERIFY_EMAIL_MAX_AGE)
    if not isinstance(details, dict) or not all(isinstance(details.get(key), str)
                                                for key in ("email", "business", "name", "locale")):
        raise tokens.InvalidToken("malformed payload")
    if find_user_by_email(details["email"]):
        raise AlreadyRegistered(details["email"])
    return details


def signup(token: str, password: str) -> Membership:
    """The last step of signing up: the tenant, its owner (verified: the link proved the address) and
    the membership."""
    details = signup_details(token)
    _require_strong(password, details["email"])
    locale = supported(details["locale"])
    business_name = display_name(details["business"]) or details["email"]
    tenant = Tenant(name=business_name, slug=unique_slug(business_name), locale=locale, plan=plans.DEFAULT_PLAN,
                    timezone=DEFAULT_TIMEZONES[locale])
    user = User(email=details["email"], name=display_name(details["name"]), locale=locale, verified_at=utcnow())
    user.set_password(password)
    membership = Membership(tenant=tenant, user=user, role=Role.OWNER)
    try:
        with db.session.begin_nested():  # the same link followed twice at once: one account, one refusal
            db.session.add_all([tenant, user, membership])
    except IntegrityError as error:
        raise AlreadyRegistered(details["email"]) from error
    return membership


# How many sign-up and password emails one address receives in an hour, whoever asks: a real person
# needs two or three; more would turn the forms into a way to flood someone's mailbox.
ACCOUNT_EMAILS_PER_ADDRESS_PER_HOUR = 5
ACCOUNT_EMAIL_KINDS = ("signup", "signup_exists", "password_reset", "no_account")


def _account_emails_exhausted(email: str) -> bool:
    return sent_to_since(email, ACCOUNT_EMAIL_KINDS, utcnow() - timedelta(hours=1)) >= ACCOUNT_EMAILS_PER_ADDRESS_PER_HOUR


def send_verification(user: User, tenant_id: int | None = None) -> None:
    token = tokens.sign("verify-email", {"uid": user.id, "email": user.email})
    queue_email(
        "verification", user.email, "verify_email", locale=user.locale, tenant_id=tenant_id,
        user=user, link=absolute_url("auth.verify_email", token=token),
        hours=tokens.VERIFY_EMAIL_MAX_AGE // 3600,
    )


def verification_target(token: str) -> User:
    """The user a verification link is for, while it is valid."""
    payload = tokens.unsign("verify-email", token, tokens.VERIFY_EMAIL_MAX_AGE)
    user = db.session.get(User, payload.get("uid")) if isinstance(payload, dict) else None
    if user is None or user.email != payload.get("email"):
        raise tokens.InvalidToken("no such user or email changed since")
    return user


def verify_email(token: str) -> User:
    user = verification_target(token)
    if user.verified_at is None:
        user.verified_at = utcnow()
    return user


# --- log-in and passwords -------------------------------------------------------------


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password")


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email((email or "").strip())
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password or "")  # same cost as a real check
        return None
    return user if user.check_password(password or "") else None


def password_link(user: User, max_age: int = tokens.RESET_PASSWORD_MAX_AGE) -> str:
    """A single-use link to (re)set the password: it dies once the password changes."""
    token = tokens.sign(
        "password", {"uid": user.id, "fp": tokens.password_fingerprint(user.password_hash), "ttl": max_age}
    )
    return absolute_url("auth.reset_password", token=token)


def request_password_reset(email: str, locale: str = "en") -> None:
    """One email whether or not the address has an account, with the same work either way (no account
    probing, by the answer or by its time): a reset link, or word that this address has no account."""
    try:
        email = normalise_email(email)
    except Refusal:
        return
    if _account_emails_exhausted(email):
        return
    user = find_user_by_email(email)
    if user is None:
        queue_email(
            "no_account", email, "no_account", locale=supported(locale), email=email,
            signup_link=absolute_url("auth.signup"), reset_link=absolute_url("auth.forgot_password"),
        )
        return
    queue_email(
        "password_reset", user.email, "reset_password", locale=user.locale,
        user=user, link=password_link(user), minutes=tokens.RESET_PASSWORD_MAX_AGE // 60,
    )


def user_for_password_token(token: str) -> User:
    payload = tokens.unsign_with_own_ttl("password", token, ceiling=tokens.SET_PASSWORD_MAX_AGE)
    user = db.session.get(User, payload.get("uid"))
    if user is None or payload.get("fp") != tokens.password_fingerprint(user.password_hash):
        raise tokens.InvalidToken("already used")
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_password_token(token)
    _require_strong(new_password, user.email)
    user.set_password(new_password)
    sessions.end_all_sessions(user)
    if user.verified_at is None:
        user.verified_at = utcnow()  # they just proved they read this mailbox
    return user


def set_language(user: User, locale: str) -> None:
    """The user's own language: of their pages and of the emails sent to them."""
    if locale not in LOCALES:
        raise Refusal(_l("Choose one of the languages offered."), field="locale")
    user.locale = locale


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise Refusal(_l("Your current password is not correct."), field="current_password")
    _require_strong(new, user.email, field="new_password")
    user.set_password(new)
    sessions.end_all_sessions(user)  # every other browser is logged out; the caller signs this one in again


def request_email_change(user: User, new_email: str, password: str) -> str:
    if not user.check_password(password):
        raise Refusal(_l("Your password is not correct."), field="password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise Refusal(_l("That is already your email address."), field="new_email")
    if find_user_by_email(new_email):
        raise Refusal(_l("Another account uses this email address."), field="new_email")
    token = tokens.sign("change-email", {"uid": user.id, "old": user.email, "new": new_email})
    queue_email(
        "email_change", new_email, "change_email", locale=user.locale,
        user=user, new_email=new_email, link=absolute_url("account.confirm_email_change", token=token),
        hours=tokens.VERIFY_EMAIL_MAX_AGE // 3600,
    )
    return new_email


def email_change_target(token: str) -> dict:
    """{"user", "old", "new"} of a valid email change link."""
    payload = tokens.unsign("change-email", token, tokens.VERIFY_EMAIL_MAX_AGE)
    user = db.session.get(User, payload.get("uid")) if isinstance(payload, dict) else None
    if user is None or user.email != payload.get("old") or not isinstance(payload.get("new"), str):
        raise tokens.InvalidToken("no such user, or the email changed since")
    return {"user": user, "old": payload["old"], "new": payload["new"]}


def confirm_email_change(token: str) -> User:
    change = email_change_target(token)
    user = change["user"]
    if find_user_by_email(change["new"]):
        raise Refusal(_l("Another account took this email address in the meantime."))
    user.email = change["new"]
    user.verified_at = utcnow()
    return user


# --- team -------------------------------------------------------------------------------


def memberships_of(user: User) -> list[Membership]:
    """All the tenants a user belongs to (for the switcher): deliberately across tenants."""
    with unscoped():
        return list(
            db.session.scalars(
                select(Membership).where(Membership.user_id == user.id).join(Membership.tenant)
                .where(Tenant.status != TenantStatus.DELETED).order_by(Tenant.name)
            )
        )


def only_in_deleted_businesses(user: User) -> bool:
    """Every business the user belonged to is deleted: their log-in is refused (a platform admin's is not)."""
    if user.is_platform_admin:
        return False
    with unscoped():
        statuses = set(db.session.scalars(select(Tenant.status).join(Membership, Membership.tenant_id == Tenant.id)
                                          .where(Membership.user_id == user.id)))
    return statuses == {TenantStatus.DELETED}


def membership_in(user: User, tenant_id: int | None) -> Membership | None:
    """The user's membership in tenant_id, or their first one when that is not theirs."""
    memberships = memberships_of(user)
    for membership in memberships:
        if membership.tenant_id == tenant_id:
            return membership
    return memberships[0] if memberships else None


def team_members(tenant: Tenant) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership).where(Membership.tenant_id == tenant.id).join(Membership.user).order_by(User.email)
        )
    )


def pending_invitations(tenant: Tenant) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.tenant_id == tenant.id, Invitation.accepted_at.is_(None), Invitation.expires_at > utcnow())
            .order_by(Invitation.created_at.desc())
        )
    )


def seats_in_use(tenant) -> int:
    """Members plus invitations still waiting: an invitation holds its seat until it lapses."""
    members = db.session.scalar(select(func.count(Membership.id)).where(Membership.tenant_id == tenant.id))
    pending = db.session.scalar(
        select(func.count(Invitation.id)).where(
            Invitation.tenant_id == tenant.id,
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    return members + pending


def invite(actor: Membership, email: str, role: Role) -> Invitation:
    """Owners and admins invite; only an owner may invite another owner."""
    if not actor.has_role(Role.ADMIN):
        raise Refusal(_l("Only owners and admins can invite people."))
    if not actor.user.is_verified:
        raise Refusal(_l("Verify your email address before inviting your team."))
    role = Role(role)
    if ROLE_RANK[role] > ROLE_RANK[actor.role]:
        raise Refusal(_l("Only an owner can invite another owner."), field="role")
    email = normalise_email(email)
    tenant = actor.tenant
    if sent_since(tenant.id, ("invitation",), utcnow() - timedelta(hours=1)) >= INVITATIONS_PER_HOUR:
        raise Refusal(_l("You have sent %(count)s invitations in the last hour. Please wait a while before "
                         "inviting more people.", count=INVITATIONS_PER_HOUR), field="email")
    existing_user = find_user_by_email(email)
    if existing_user and any(m.user_id == existing_user.id for m in team_members(tenant)):
        raise Refusal(_l("This person is already in your team."), field="email")
    for stale in _open_invitations_for(tenant, email):
        db.session.delete(stale)  # re-inviting replaces the old link
    db.session.flush()
    plans.require_seat(tenant, seats_in_use(tenant))
    token, token_hash = tokens.new_random_token()
    invitation = Invitation(
        tenant_id=tenant.id, email=email, role=role, token_hash=token_hash,
        invited_by_id=actor.user_id, expires_at=utcnow() + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    queue_email(
        "invitation", email, "invitation", locale=existing_user.locale if existing_user else tenant.locale,
        tenant_id=tenant.id, tenant=tenant, inviter=actor.user, role=role,
        link=absolute_url("team.accept_invitation", token=token), days=INVITATION_LIFETIME.days,
    )
    return invitation


def _open_invitations_for(tenant: Tenant, email: str) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation).where(
                Invitation.tenant_id == tenant.id, Invitation.email == email, Invitation.accepted_at.is_(None)
            )
        )
    )


def invitation_for_token(token: str) -> Invitation:
    """Public lookup by the secret token (the invitee has no tenant yet)."""
    with unscoped():
        invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == tokens.hash_token(token or "")))
        if invitation is None or not invitation.is_pending:
            raise tokens.InvalidToken("unknown, used or expired invitation")
        return invitation


def accept_invitation(token: str, user: User | None, name: str = "", password: str = "") -> Membership:
    """Join the inviting tenant: as the logged-in user (same email), or as a new account."""
    invitation = invitation_for_token(token)
    with unscoped():
        if user is None:
            if find_user_by_email(invitation.email):
                raise Refusal(_l("You already have an account: log in to accept the invitation."))
            _require_strong(password, invitation.email)
            user = User(email=invitation.email, name=display_name(name), locale=invitation.tenant.locale,
                        verified_at=utcnow())
            user.set_password(password)
            db.session.add(user)
        elif user.email != invitation.email:
            raise Refusal(
                _l("This invitation was sent to %(email)s. Log out and accept it with that account.", email=invitation.email)
            )
        elif user.verified_at is None:
            user.verified_at = utcnow()  # the invitation link proves the mailbox
        membership = Membership(tenant_id=invitation.tenant_id, user=user, role=invitation.role)
        invitation.accepted_at = utcnow()
        db.session.add(membership)
        db.session.flush()
        return membership


def tenant_ids_and_slugs(slug: str | None = None) -> list[tuple[int, str]]:
    """(id, slug) of every business, or of the one with this slug (for commands run across tenants)."""
    query = select(Tenant.id, Tenant.slug).order_by(Tenant.id)
    return [tuple(row) for row in db.session.execute(query.where(Tenant.slug == slug) if slug else query)]


def owners(tenant: Tenant) -> list[Membership]:
    """The business's owners, first first."""
    return list(db.session.scalars(
        select(Membership).where(Membership.tenant_id == tenant.id, Membership.role == Role.OWNER).order_by(Membership.id)
    ))


def require_verified_owner(tenant: Tenant) -> None:
    """A business writes to its customers only once an owner has proved their mailbox: a sign-up with
    someone else's address cannot turn the app into its mail server."""
    verified = db.session.scalar(
        select(Membership.id).join(Membership.user)
        .where(Membership.tenant_id == tenant.id, Membership.role == Role.OWNER, User.verified_at.is_not(None))
        .limit(1)
    )
    if verified is None:
        raise Refusal(_l("An owner of this business must verify their email address before it writes to customers."))


def _owner_count(tenant_id: int) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(Membership.tenant_id == tenant_id, Membership.role == Role.OWNER)
    )


def _member(actor: Membership, membership_id: int) -> Membership:
    member = owned(Membership, actor.tenant_id, membership_id)
    db.session.refresh(member)  # as it is now, after _lock_team's wait
    return member


def _lock_team(actor: Membership) -> None:
    """Changes to a business's owners happen one at a time: its row stays locked until the commit,
    and the actor's role is read again after the wait (two owners demoting each other at once would
    otherwise both pass the last-owner check)."""
    db.session.execute(select(Tenant.id).where(Tenant.id == actor.tenant_id).with_for_update())
    db.session.refresh(actor)


def change_role(actor: Membership, membership_id: int, role: Role) -> Membership:
    _lock_team(actor)
    if not actor.has_role(Role.OWNER):
        raise Refusal(_l("Only owners can change roles."))
    member = _member(actor, membership_id)
    role = Role(role)
    if member.role == Role.OWNER and role != Role.OWNER and _owner_count(actor.tenant_id) == 1:
        raise Refusal(_l("A business needs at least one owner. Make someone else an owner first."))
    member.role = role
    return member


def remove_member(actor: Membership, membership_id: int) -> None:
    _lock_team(actor)
    if not actor.has_role(Role.OWNER):
        raise Refusal(_l("Only owners can remove members."))
    member = _member(actor, membership_id)
    if member.role == Role.OWNER and _owner_count(actor.tenant_id) == 1:
        raise Refusal(_l("You cannot remove the last owner."))
    db.session.delete(member)


def revoke_invitation(actor: Membership, invitation_id: int) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Refusal(_l("Only owners and admins can revoke invitations."))
    db.session.delete(owned(Invitation, actor.tenant_id, invitation_id))


# --- platform admins ----------------------------------------------------------------------


def create_platform_admin(email: str) -> tuple[User, str]:
    """Make (or promote) a platform admin; returns a one-time set-password link (72 h)."""
    email = normalise_email(email)
    user = find_user_by_email(email)
    if user is None:
        user = User(email=email, name="", verified_at=utcnow())
        db.session.add(user)
    user.is_platform_admin = True
    db.session.flush()
    return user, password_link(user, max_age=tokens.SET_PASSWORD_MAX_AGE)
