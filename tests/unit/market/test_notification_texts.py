"""Notification titles and mails read well in both languages; mail settings are checked."""

from __future__ import annotations

import pytest

from market import notifications
from market.settings import Settings, SettingsError
from market.tables import NOTIFICATION_KINDS

ENV = {"WASTEMATCH_SECRET_KEY": "s" * 48}


def test_a_bid_reads_in_chinese_and_in_english_with_numbers_formatted():
    params = {"lot": 12, "tonnes": 12500.5, "price": -5}
    assert (
        notifications.title("bid_placed", params, "zh")
        == "批次 #12 收到新投标：12,500.5 吨，-5 元/吨"
    )
    assert (
        notifications.title("bid_placed", params, "en")
        == "New bid on lot #12: 12,500.5 t at -5 yuan/t"
    )


def test_a_decision_word_is_translated_not_shown_as_a_key():
    params = {"correction": 3, "site": "安宁渣场", "period": "2026-01", "decision": "approved"}
    assert notifications.title("correction_decided", params, "zh").endswith("：已批准")
    assert notifications.title("correction_decided", params, "en").endswith(": approved")


def test_every_kind_has_a_title_and_a_name_in_both_languages():
    for kind in NOTIFICATION_KINDS:
        for lang in ("zh", "en"):
            assert notifications.kind_name(kind, lang)
    assert all(any("\u4e00" <= c <= "\u9fff" for c in zh) for _, zh in notifications.TEXTS.values())


def test_a_title_missing_a_parameter_falls_back_to_the_kinds_name():
    assert notifications.title("bid_placed", {}, "zh") == "我的批次收到投标"


def test_a_chinese_mail_has_a_chinese_subject_and_the_links_left_for_the_sender():
    subject, body = notifications.mail_text(
        "report_returned",
        {"site": "渣场", "period": "2026-02", "reason": "数字不符"},
        "zh",
        "/reports",
    )
    assert subject == "【固废撮合】渣场 2026-02 月报被退回：数字不符"
    assert "查看：{site}/reports" in body and "{site}/account/notifications" in body


@pytest.mark.parametrize("url", ["smtp://127.0.0.1:2525", "smtp://mail.example:25", "smtp://mail"])
def test_an_smtp_url_is_taken(url):
    assert Settings.from_env(ENV | {"WASTEMATCH_SMTP_URL": url}).smtp_url == url


@pytest.mark.parametrize(
    "url", ["http://mail:25", "smtp://:25", "smtp://mail:port", "smtp://mail:25/x", "mail:25"]
)
def test_a_malformed_smtp_url_is_refused_when_the_settings_are_read(url):
    with pytest.raises(SettingsError, match="WASTEMATCH_SMTP_URL"):
        Settings.from_env(ENV | {"WASTEMATCH_SMTP_URL": url})
