"""Account primitives shared by every area: passwords, roles, initial data."""

from __future__ import annotations

from sqlalchemy import delete, select

from . import audit, params, signals
from .addresses import username_problem
from .extensions import db
from .models import SUPERADMINS, Role, RolePermission, Service, User
from .passwords import hash_password, needs_rehash
from .permissions import ROLE_LABELS, ROLE_LEVELS, ROLE_PERMISSIONS
from .sessions import end_sessions


def set_password(user: User, raw: str, *, is_creation: bool = False, keep_session=None) -> None:
    """Hash *raw* with the current default scheme and end the user's other sessions."""
    user.password = hash_password(
        raw, params.get("core.password_scheme"), params.get("core.rounds_number")
    )
    if user.id is not None and not is_creation:
        end_sessions(user.id, keep_key=keep_session)
    signals.send(signals.password_updated, account=user, raw_password=raw, is_creation=is_creation)


def rehash_if_needed(user: User, raw: str) -> bool:
    """After a successful login, re-hash a password stored with an older scheme."""
    # An LDAP account's password was checked by the directory: never keep a local copy.
    if not user.is_local or not needs_rehash(user.password, params.get("core.password_scheme")):
        return False
    user.password = hash_password(
        raw, params.get("core.password_scheme"), params.get("core.rounds_number")
    )
    return True


def set_role(user: User, role: str) -> None:
    """Give *user* a new role (RoleChanged is sent before the change)."""
    if user.role == role and user.is_superuser == (role == SUPERADMINS):
        return
    signals.send(signals.role_changed, account=user, role=role)
    user.role = role
    user.is_superuser = role == SUPERADMINS


def first_superuser() -> User | None:
    """The oldest active super admin (the actor of CLI commands)."""
    return db.session.scalar(
        select(User).where(User.is_superuser.is_(True), User.is_active.is_(True)).order_by(User.id)
    )


def load_initial_data(admin_username: str = "admin") -> list[str]:
    """Create roles, the default super admin and the relay services; return what was done."""
    done = []
    extra_roles = signals.collect(signals.get_extra_roles, user=None, account=None)
    for name, label in [(r, ROLE_LABELS[r]) for r in ROLE_LEVELS] + list(extra_roles):
        role = db.session.get(Role, name)
        if role is None:
            role = Role(name=name, label=label, level=ROLE_LEVELS.get(name, 1))
            db.session.add(role)
            done.append(f"Created role {name}")
        wanted = set(ROLE_PERMISSIONS.get(name, [])) | set(
            signals.collect(signals.get_extra_role_permissions, rolename=name)
        )
        have = set(
            db.session.scalars(
                select(RolePermission.codename).where(RolePermission.role_name == name)
            )
        )
        for code in sorted(wanted - have):
            db.session.add(RolePermission(role_name=name, codename=code))
        if have - wanted:
            db.session.execute(
                delete(RolePermission).where(
                    RolePermission.role_name == name, RolePermission.codename.in_(have - wanted)
                )
            )
        if wanted != have:
            done.append(f"Updated permissions of role {name}")
    db.session.flush()
    if first_superuser() is None:
        reason = username_problem(admin_username)
        if reason:
            raise ValueError(f"Invalid username '{admin_username}': {reason}")
        if db.session.scalar(select(User).where(User.username == admin_username)):
            raise ValueError(f"A non-super-admin account named {admin_username} already exists")
        admin = User(username=admin_username, role=SUPERADMINS, is_superuser=True)
        set_password(admin, "password", is_creation=True)
        db.session.add(admin)
        db.session.flush()
        audit.record(
            f"Account '{admin_username}' created by load-initial-data",
            action="create",
            obj=admin,
            username="",
        )
        done.append(f"Created super admin '{admin_username}' with password 'password'")
    for name in ("relay", "smtp"):
        if db.session.scalar(select(Service).where(Service.name == name)) is None:
            db.session.add(Service(name=name))
            done.append(f"Created Postfix service '{name}'")
    db.session.commit()
    return done
