from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username=username)


class User(AbstractBaseUser):
    """A person who signed in with Entra, keyed by tenant id and object id.

    UPN and display name can change in Entra, so they are refreshed at every sign-in
    and never used to identify anyone. There are no local passwords.
    """

    username = models.CharField(max_length=80, unique=True, editable=False)
    tenant_id = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    user_principal_name = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant_id", "object_id"], name="user_entra_identity")
        ]

    def __str__(self) -> str:
        return self.display_name or self.user_principal_name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.username = f"{self.tenant_id}.{self.object_id}"
        if not self.password:
            self.set_unusable_password()
        super().save(*args, **kwargs)


class PortalSession(AbstractBaseSession):
    """A server-side session, with the Entra account whose token cache it holds.

    `tenant_id` and `object_id` are filled by `portal.auth.sessions.SessionStore` on every
    save from what sign-in put in the session, and are empty for a session without a token
    cache (anonymous, mid-sign-in, signed out). They let a process acting for a person
    later find that person's token cache without decoding every session.
    """

    tenant_id = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")

    class Meta(AbstractBaseSession.Meta):
        indexes = [
            # Equality on the account, then newest first: one backward range scan.
            models.Index(
                fields=["tenant_id", "object_id", "expire_date"], name="session_entra_account"
            )
        ]

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        # Imported here: the store imports this module for its model.
        from portal.auth.sessions import SessionStore

        return SessionStore


class WriteBudget(models.Model):
    """Graph's write quota for one tenant as this portal spends it (portal.write_budget):
    a token bucket every worker, job and person shares, kept here so that any number of
    processes draw on one account of it."""

    tenant_id = models.CharField(max_length=64, primary_key=True)
    tokens = models.FloatField()
    # Seconds since the epoch: when `tokens` was last brought up to date.
    updated = models.FloatField()
    # Until when Graph said to wait (a 429's Retry-After): nobody sends before then.
    blocked_until = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"Write budget of {self.tenant_id}: {self.tokens:.0f}"
