from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
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
