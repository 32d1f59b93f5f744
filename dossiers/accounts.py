"""Accounts: the password rule, changing and resetting passwords, deactivating accounts.

Every change that should lock a person out (a new password, deactivation) also ends their sessions:
`User.end_sessions` raises the generation each session cookie carries. Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from dossiers.models import User
from workflow.errors import NotPermitted
from workflow.vocabulary import Role

MIN_PASSWORD_LENGTH = 10
#: hashing a very long input costs the server; no one types more
MAX_PASSWORD_LENGTH = 128
#: zxcvbn's scale: 0 too guessable … 4 very unguessable; 3 resists an offline attack on a slow hash
MIN_PASSWORD_SCORE = 3


class PasswordRejectedError(ValueError):
    """The new password does not meet the rule; `problems` says why, in Vietnamese."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


class WrongPasswordError(ValueError):
    def __init__(self) -> None:
        super().__init__("Mật khẩu hiện tại không đúng.")


def password_problems(password: str, *, user_inputs: Iterable[str] = ()) -> list[str]:
    """What is wrong with a new password (empty: it is acceptable)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự."]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"Mật khẩu dài tối đa {MAX_PASSWORD_LENGTH} ký tự."]
    if any(ord(char) < 32 or ord(char) == 127 for char in password):
        return ["Mật khẩu không được chứa ký tự điều khiển."]
    inputs = [part for value in user_inputs for part in (value, *value.replace(".", " ").split()) if part]
    if zxcvbn(password, user_inputs=inputs)["score"] < MIN_PASSWORD_SCORE:
        return [
            "Mật khẩu quá dễ đoán (từ thông dụng, dãy ký tự, ngày tháng hoặc tên tài khoản). "
            "Hãy dùng một cụm vài từ không liên quan, có thể thêm số hoặc ký hiệu."
        ]
    return []


def set_password(user: User, password: str) -> None:
    """Check the rule, store the hash, end the user's sessions."""
    problems = password_problems(password, user_inputs=(user.username, user.full_name, user.email))
    if problems:
        raise PasswordRejectedError(problems)
    user.password_hash = generate_password_hash(password)
    user.end_sessions()


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The person changes their own password; the current one is asked first. Ends every session,
    this one included: the caller signs the person in again."""
    if not user.check_password(current):
        raise WrongPasswordError()
    if current == new:
        raise PasswordRejectedError(["Mật khẩu mới phải khác mật khẩu hiện tại."])
    set_password(user, new)
    session.flush()


def reset_password(session: Session, admin: User | None, user: User, new: str) -> None:
    """An administrator sets a new password (`admin` None: the server's operator, through `ntm users`)."""
    _require_admin(admin, "reset_password")
    set_password(user, new)
    session.flush()


def set_active(session: Session, admin: User | None, user: User, active: bool) -> None:
    """Deactivate (signs the person out everywhere) or reactivate an account."""
    _require_admin(admin, "deactivate" if not active else "activate")
    if admin is not None and admin.id == user.id and not active:
        raise NotPermitted("deactivate", "không thể tự khóa tài khoản của chính mình", action_label="Khóa tài khoản")
    user.active = active
    if not active:
        user.end_sessions()
    session.flush()


#: the `users.username` column
MAX_USERNAME_LENGTH = 80


def find_user(session: Session, username: str) -> User | None:
    """The account with this name. A name no account can have (too long, control characters: PostgreSQL
    refuses a NUL in a query outright) is simply not found."""
    if len(username) > MAX_USERNAME_LENGTH or any(ord(char) < 32 or ord(char) == 127 for char in username):
        return None
    return session.scalars(select(User).where(User.username == username)).first()


def verify_sign_in(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None. An unknown or inactive name costs the same
    hash check as a known one, so the answer's timing does not tell which accounts exist."""
    user = find_user(session, username) if username else None
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password):
        return None
    return user if user.active else None


@cache
def _dummy_hash() -> str:
    # the same method and cost as real hashes (werkzeug's default), computed once per process
    return generate_password_hash("not-a-password-of-anyone")


def _require_admin(admin: User | None, action: str) -> None:
    labels = {"reset_password": "Đặt lại mật khẩu", "deactivate": "Khóa tài khoản", "activate": "Mở khóa tài khoản"}
    if admin is not None and not admin.has_role(Role.ADMIN):
        raise NotPermitted(action, "chỉ quản trị hệ thống mới được làm việc này", action_label=labels[action])
