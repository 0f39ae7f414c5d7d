"""The audited projections of accounts: what the audit trail keeps of a user and of an API token
(never a password or a token's secret or digest)."""

from __future__ import annotations


def user_record(user) -> dict:
    return {
        "username": user.username,
        "printed_name": user.printed_name,
        "email": user.email,
        "is_active": user.is_active,
        "roles": user.role_names(),
    }


def api_token_record(token) -> dict:
    return {
        "user": token.user.username,
        "name": token.name,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def notification_preference_record(pref) -> dict:
    return {
        "user": pref.user.username,
        "digest": pref.digest,
        "immediate": pref.immediate,
        "language": pref.language,
    }
