"""The paths of the account surface: tokens, the caller, and the operator's users."""

from __future__ import annotations

from typing import Any

from web.openapi.operations import list_of, op, path_id
from web.openapi.schemas import DATETIME, INT, STR, nullable, obj, ref

PATHS: dict[str, Any] = {
    "/auth/token": {
        "post": op(
            "Exchange a username and password for a bearer token",
            "anyone",
            ref("Token"),
            body="TokenRequest",
            status=201,
            public=True,
            throttled=True,
        )
    },
    "/auth/tokens": {
        "get": op(
            "My API tokens, with expires_at (30 days after issue by default)",
            "any user",
            obj(
                {
                    "tokens": {
                        "type": "array",
                        "items": obj(
                            {
                                "id": INT,
                                "name": STR,
                                "created_at": DATETIME,
                                "last_used_at": nullable(DATETIME),
                                "expires_at": nullable(DATETIME),
                                "revoked": {"type": "boolean"},
                            },
                            closed=False,
                        ),
                    }
                },
                ["tokens"],
                closed=False,
            ),
        )
    },
    "/auth/tokens/{id}/revoke": {
        "post": op("Revoke one of my tokens", "the token's user", params=[path_id()])
    },
    "/me": {"get": op("The caller, role and organisation", "any user", ref("Me"))},
    "/me/password": {
        "post": op(
            "Change my password; ends my other sessions and tokens (this one stays)",
            "any signed-in user",
            obj({"id": INT, "password_changed": {"type": "boolean"}}, closed=False),
            body="PasswordChange",
        )
    },
    "/me/logins": {
        "get": op(
            "My last 50 logins (time, address, success)", "any user", list_of("logins", "Login")
        )
    },
    "/users": {
        "get": op("Every user, by organisation and role", "operator", list_of("users", "User")),
        "post": op(
            "Create a user (without a password: a one-time password, shown once)",
            "operator",
            ref("User"),
            body="UserCreate",
            status=201,
        ),
    },
    "/users/{id}/deactivate": {
        "post": op(
            "Deactivate a user: their sessions and tokens stop at once",
            "operator",
            ref("User"),
            params=[path_id()],
        )
    },
    "/users/{id}/activate": {
        "post": op("Activate a user again", "operator", ref("User"), params=[path_id()])
    },
    "/users/{id}/reset-password": {
        "post": op(
            "Reset a user's password to a one-time password (to be changed at the next login); "
            "their sessions and tokens stop",
            "operator",
            ref("User"),
            params=[path_id()],
        )
    },
    "/users/{id}/logins": {
        "get": op(
            "A user's last 50 logins (time, address, success)",
            "operator",
            list_of("logins", "Login"),
            params=[path_id()],
        )
    },
}
