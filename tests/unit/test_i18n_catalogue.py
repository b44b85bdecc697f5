"""The gettext catalogue (web/locale/zh/LC_MESSAGES/messages.po) against the sources: every msgid
the code and the templates use has a Chinese translation, and nothing is left in it that nothing
uses (docs/translating.md)."""

from __future__ import annotations

from scripts.i18n import extracted, problems
from scripts.i18n_import_dict import dict_entries, strip
from web import i18n


def test_every_msgid_in_code_and_templates_has_chinese_and_the_catalogue_is_up_to_date():
    assert problems("zh") == []


def test_the_extraction_finds_templates_refusals_reasons_and_terms():
    ids = {(m.context, m.id) for m in extracted()}
    assert (None, "Log in") in ids  # a template's _("...")
    assert (None, "is below the minimum {minimum:g}") in ids  # a refusal's template
    assert (None, "no plant accepts {material}") in ids  # an engine reason
    assert ("status", "rejected") in ids  # a word looked up by value
    assert (None, "{field}: {value} ") in ids  # how a refusal about a field begins


def test_a_string_with_no_translation_shows_in_english_not_broken():
    assert i18n.gettext("a string nobody translated", "zh") == "a string nobody translated"
    assert i18n.gettext("Log in", "zh") == "登录"
    assert i18n.gettext("Log in", "en") == "Log in"


def test_an_entry_added_to_the_old_zh_dict_still_shows_until_it_is_imported():
    i18n.ZH["A string from another branch"] = "另一分支的字符串"
    try:
        assert i18n.gettext("A string from another branch", "zh") == "另一分支的字符串"
    finally:
        del i18n.ZH["A string from another branch"]


SOURCE = '''"""doc"""
ZH: dict[str, str] = {
    "Old": "旧",
}

def f():
    return 1


# notifications (issue 12)
ZH.update(
    {
        "Bell": "铃",
        "Mark read": "标为已读",
    }
)
'''


def test_the_import_reads_every_zh_entry_and_strips_them_from_the_module():
    entries, spans = dict_entries(SOURCE)
    assert entries == {"Old": "旧", "Bell": "铃", "Mark read": "标为已读"}
    stripped = strip(SOURCE, spans)
    assert dict_entries(stripped)[0] == {}
    assert "ZH: dict[str, str] = {}" in stripped
    assert "def f():" in stripped and "ZH.update" not in stripped
    compile(stripped, "i18n.py", "exec")
