"""Notifications: what happened that now waits on somebody, in the app and by mail.

A service that makes such an event calls `notify(uow, kind, ...)` before its commit: one
`notification` row for every active user of the organisations concerned (or of a role, for the
regulators), and for each of them with an e-mail address who wants that kind by mail, one
`mail_outbox` row, in the user's language, in the same transaction. The request never talks to
a mail server: `market.mail` sends the outbox later, and a mail server that is down only delays it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, func, select

from market import fields
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import InvalidInput, NotFound
from market.services.common import get, stamp_once
from market.tables import (
    NOTIFICATION_KINDS,
    MailOutbox,
    MailPreference,
    Notification,
    User,
    utcnow,
)

LANGS = ("zh", "en")

# kind → (English, Chinese) title; {names} are filled from the notification's params
TEXTS: dict[str, tuple[str, str]] = {
    "bid_placed": (
        "New bid on lot #{lot}: {tonnes} t at {price} yuan/t",
        "批次 #{lot} 收到新投标：{tonnes} 吨，{price} 元/吨",
    ),
    "bid_accepted": (
        "Your bid #{bid} was accepted: contract #{contract}, {tonnes} t",
        "您的投标 #{bid} 已被接受：合同 #{contract}，{tonnes} 吨",
    ),
    "bid_rejected": (
        "Your bid #{bid} on lot #{lot} was declined",
        "您对批次 #{lot} 的投标 #{bid} 未被接受",
    ),
    "delivery_dispatched": (
        "Delivery {manifest} dispatched: {tonnes} t under contract #{contract}; "
        "confirm it on arrival",
        "联单 {manifest} 已发运：合同 #{contract} 下 {tonnes} 吨，到货后请确认签收",
    ),
    "delivery_received": (
        "Delivery {manifest} received: {tonnes} t",
        "联单 {manifest} 已签收：{tonnes} 吨",
    ),
    "delivery_disputed": (
        "Delivery {manifest} disputed: {tonnes} t received of {dispatched} t dispatched",
        "联单 {manifest} 有争议：发运 {dispatched} 吨，实收 {tonnes} 吨",
    ),
    "settlement_proposed": (
        "Delivery {manifest}: the other party proposes to settle at {tonnes} t",
        "联单 {manifest}：对方提议按 {tonnes} 吨结算",
    ),
    "delivery_settled": (
        "Delivery {manifest} settled at {tonnes} t",
        "联单 {manifest} 已按 {tonnes} 吨结算",
    ),
    "report_submitted": (
        "Monthly report {period} of {site} submitted for review",
        "{site} {period} 月报已提交，待审核",
    ),
    "report_returned": (
        "Monthly report {period} of {site} returned: {reason}",
        "{site} {period} 月报被退回：{reason}",
    ),
    "report_approved": (
        "Monthly report {period} of {site} approved and sealed",
        "{site} {period} 月报已通过并签章",
    ),
    "correction_requested": (
        "Correction #{correction} asked for {site} {period}",
        "{site} {period} 提交了更正申请 #{correction}",
    ),
    "correction_decided": (
        "Correction #{correction} for {site} {period}: {decision}",
        "{site} {period} 的更正申请 #{correction}：{decision}",
    ),
    "proposals_ready": (
        "Match run #{run}: {count} proposals for your offers",
        "撮合运行 #{run}：为您的收购需求提出 {count} 条方案",
    ),
}
assert set(TEXTS) == set(NOTIFICATION_KINDS)

KIND_NAMES: dict[str, tuple[str, str]] = {
    "bid_placed": ("A bid on my lot", "我的批次收到投标"),
    "bid_accepted": ("My bid accepted", "我的投标被接受"),
    "bid_rejected": ("My bid declined", "我的投标未被接受"),
    "delivery_dispatched": ("A delivery on its way to me", "有货物发往我方"),
    "delivery_received": ("A delivery received", "货物已签收"),
    "delivery_disputed": ("A delivery disputed", "联单有争议"),
    "settlement_proposed": ("A settlement proposed", "收到结算提议"),
    "delivery_settled": ("A delivery settled", "联单已结算"),
    "report_submitted": ("A monthly report to review", "月报待审核"),
    "report_returned": ("A monthly report returned", "月报被退回"),
    "report_approved": ("A monthly report approved", "月报已通过"),
    "correction_requested": ("A correction to review", "更正申请待审核"),
    "correction_decided": ("A correction decided", "更正申请已处理"),
    "proposals_ready": ("New proposals for my offers", "我的收购需求有新方案"),
}

WORDS: dict[str, tuple[str, str]] = {
    "approved": ("approved", "已批准"),
    "rejected": ("rejected", "已驳回"),
}

MAIL_TEXT = {
    "en": (
        "[wastematch] {title}",
        "{title}\n\nOpen it: {link}\n\n--\nwastematch, the industrial solid-waste marketplace "
        "of Yunnan. Choose which notifications come by mail: {prefs}\n",
    ),
    "zh": (
        "【固废撮合】{title}",
        "{title}\n\n查看：{link}\n\n--\n云南工业固体废物资源综合利用撮合平台。"
        "选择哪些通知发送邮件：{prefs}\n",
    ),
}
PREFERENCES_URL = "/account/notifications"


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def title(kind: str, params: Mapping[str, Any], lang: str) -> str:
    """The notification's title in `lang` (`zh` or `en`)."""
    en, zh = TEXTS.get(kind, (kind, kind))
    which = 1 if lang == "zh" else 0
    shown = {
        k: WORDS[v][which] if isinstance(v, str) and v in WORDS else _number(v)
        for k, v in params.items()
    }
    try:
        return (zh if lang == "zh" else en).format(**shown)
    except (KeyError, IndexError):
        return KIND_NAMES.get(kind, (kind, kind))[which]


def kind_name(kind: str, lang: str) -> str:
    en, zh = KIND_NAMES.get(kind, (kind, kind))
    return zh if lang == "zh" else en


def mail_text(kind: str, params: Mapping[str, Any], lang: str, link: str) -> tuple[str, str]:
    """Subject and body of the mail for a notification (the sender completes the links)."""
    lang = lang if lang in LANGS else "zh"
    subject, body = MAIL_TEXT[lang]
    shown = title(kind, params, lang)
    return (
        subject.format(title=shown)[:300],
        body.format(title=shown, link="{site}" + link, prefs="{site}" + PREFERENCES_URL),
    )


# ----------------------------------------------------------------------------- writing


def notify(
    uow: UnitOfWork,
    kind: str,
    *,
    url: str,
    orgs: Iterable[int] = (),
    roles: Iterable[str] = (),
    **params: Any,
) -> int:
    """One notification for every active user of `orgs` (and of every organisation of the
    `roles`), and its mail for those who want it; inside the caller's unit of work. Returns
    how many users were notified."""
    assert kind in TEXTS, kind
    org_ids, role_names = sorted(set(orgs)), sorted(set(roles))
    if uow.batch or (not org_ids and not role_names):
        # a bulk load (the demo data set) replays history: history is not news to anybody
        return 0
    who = []
    if org_ids:
        who.append(col(User.organisation_id).in_(org_ids))
    if role_names:
        who.append(col(User.role).in_(role_names))
    users = uow.session.exec(
        select(User, MailPreference.kinds)
        .outerjoin(MailPreference, col(MailPreference.user_id) == User.id)
        .where(col(User.is_active), or_(*who))
        .order_by(col(User.id))
    ).all()
    rows = [
        (user, Notification(user_id=user.id, kind=kind, params=params, url=url), kinds)
        for user, kinds in users
        if user.id is not None  # a stored row always has one
    ]
    uow.session.add_all([n for _, n, _ in rows])
    uow.flush()
    for user, note, kinds in rows:
        if not user.email or (kinds is not None and kind not in kinds):
            continue
        subject, body = mail_text(kind, params, user.lang, url)
        assert user.id is not None
        uow.session.add(
            MailOutbox(
                user_id=user.id,
                notification_id=note.id,
                to_addr=user.email,
                subject=subject,
                body=body,
                link=url,
            )
        )
    return len(rows)


# ----------------------------------------------------------------------------- reading


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
        ).one()
    )


def public(row: Notification, lang: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "title": title(row.kind, row.params, lang),
        "url": row.url,
        "created_at": row.created_at.isoformat(),
        "read_at": row.read_at.isoformat() if row.read_at else None,
    }


def list_for(
    session: Session,
    actor: Actor,
    lang: str,
    *,
    unread_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The actor's notifications, newest first, with the count of unread ones and of all."""
    q = select(Notification).where(Notification.user_id == actor.user_id)
    total_q = (
        select(func.count()).select_from(Notification).where(Notification.user_id == actor.user_id)
    )
    if unread_only:
        q = q.where(col(Notification.read_at).is_(None))
        total_q = total_q.where(col(Notification.read_at).is_(None))
    rows = session.exec(q.order_by(col(Notification.id).desc()).limit(limit).offset(offset)).all()
    return {
        "notifications": [public(r, lang) for r in rows],
        "unread": unread_count(session, actor.user_id),
        "total": int(session.exec(total_q).one()),
    }


def mark_read(uow: UnitOfWork, actor: Actor, notification_id: int) -> Notification:
    """Its owner marks it read (again: nothing changes); anybody else finds nothing."""
    row = get(uow.session, Notification, notification_id, what="notification")
    if row.user_id != actor.user_id:
        raise NotFound(
            "notification: {value} does not exist",
            field="notification",
            value=notification_id,
        )
    return stamp_once(uow, row, "read_at")


def mark_all_read(uow: UnitOfWork, actor: Actor) -> int:
    now: datetime = utcnow()
    result = uow.session.execute(
        update(Notification)
        .where(col(Notification.user_id) == actor.user_id, col(Notification.read_at).is_(None))
        .values(read_at=now)
    )
    uow.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- preferences

PREFERENCE_FIELDS = ("lang", "mail_kinds")


def preferences(session: Session, actor: Actor) -> dict[str, Any]:
    user = session.get(User, actor.user_id)
    assert user is not None
    pref = session.get(MailPreference, actor.user_id)
    return {
        "email": user.email,
        "lang": user.lang,
        "mail_kinds": list(pref.kinds) if pref else list(NOTIFICATION_KINDS),
        "kinds": list(NOTIFICATION_KINDS),
    }


def set_preferences(uow: UnitOfWork, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """The user's mail language and which kinds of notification come by mail."""
    fields.reject_unknown(data, PREFERENCE_FIELDS)
    user = get(uow.session, User, actor.user_id, what="user")
    if "lang" in data:
        user.lang = fields.text(data, "lang", required=True, choices=LANGS)
        uow.session.add(user)
    if "mail_kinds" in data:
        kinds = data["mail_kinds"]
        if not isinstance(kinds, list | tuple) or len(kinds) > len(NOTIFICATION_KINDS):
            raise InvalidInput.about("mail_kinds", kinds, "is not a list of notification kinds")
        unknown = [k for k in kinds if k not in NOTIFICATION_KINDS]
        if unknown:
            raise InvalidInput.about(
                "mail_kinds",
                unknown[0],
                "is not one of {NOTIFICATION_KINDS}",
                NOTIFICATION_KINDS=", ".join(NOTIFICATION_KINDS),
            )
        pref = uow.session.get(MailPreference, actor.user_id)
        if pref is None:
            pref = MailPreference(user_id=actor.user_id)
        pref.kinds = [k for k in NOTIFICATION_KINDS if k in kinds]
        pref.updated_at = utcnow()
        uow.session.add(pref)
    uow.commit()
    return preferences(uow.session, actor)
