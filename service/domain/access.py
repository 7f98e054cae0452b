"""Who may do what: the roles an API key carries, and the groups of operations each
route admits (its `security` roles in openapi/openapi.json are these).

- `admin` sees and manages every tenant: any tenant's jobs, the keys, the quotas, the
  metrics.
- `submit` submits and reads its tenant's jobs, cancels them, draws and reviews their
  spot-checks and hands out review links.
- `read` only reads its tenant's jobs, reports and spot-checks (dashboards, exports).
- `review` only does the spot-check of its tenant's jobs (signs in to the review page;
  draws a sample when there is none, reads it, records verdicts, exports them).

A key that is known but lacks the role is a 403 (`forbidden`); another tenant's job is
still a 404 for every non-admin role, so a 403 never confirms that an id exists.
"""

from __future__ import annotations

import re
from typing import Literal

Role = Literal["admin", "submit", "read", "review"]
ROLES: tuple[Role, ...] = ("admin", "submit", "read", "review")

# The operation groups, by the roles each admits.
ADMIN: tuple[Role, ...] = ("admin",)
SUBMIT: tuple[Role, ...] = ("admin", "submit")
READ: tuple[Role, ...] = ("admin", "submit", "read")
SPOTCHECK_READ: tuple[Role, ...] = ("admin", "submit", "read", "review")
SPOTCHECK_WRITE: tuple[Role, ...] = ("admin", "submit", "review")


# A tenant name: it is part of Redis keys and shown in admin listings.
TENANT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_TENANT = re.compile(TENANT_PATTERN, re.ASCII)


def check_tenant(value: str) -> str:
    """`value` if it is a valid tenant name, else a ValueError saying what one is."""
    if not _TENANT.match(value):
        raise ValueError(f"tenant {value!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a "
                         "letter or digit")
    return value


def check_role(value: str) -> Role:
    """`value` as a Role, or a ValueError naming the roles."""
    for role in ROLES:
        if value == role:
            return role
    raise ValueError(f"unknown role {value!r}; one of {', '.join(ROLES)}")
