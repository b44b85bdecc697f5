"""The UI speaks Chinese first; English is one switch away.

Every string a person reads is an English msgid in the gettext catalogue
`web/locale/zh/LC_MESSAGES/messages.po` (docs/translating.md: extract, update, compile):
templates call `_("English")` (jinja2.ext.i18n), Python calls `gettext(text, lang)` or
`pgettext(context, text, lang)`, and a refusal or an engine reason is rendered from its template
and params (`refusal()`, `reason()`), never by reading the English back.

The catalogue is compiled in memory from the `.po` the first time a process needs it (a few
milliseconds), so there is no build step and no compiled file to go stale.

`ZH` is kept for branches written before the catalogue: an entry added there still shows (the
catalogue first, then `ZH`), and `scripts/i18n_import_dict.py` moves such entries into the
catalogue.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from market.errors import ABOUT, DomainError, fill

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LOCALE = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

ZH: dict[str, str] = {}
"""Compatibility only: English → Chinese entries not yet in the catalogue (see the docstring)."""


def N_(text: str) -> str:
    """Marks a msgid for the catalogue where the text is looked up later."""
    return text


def P_(context: str, text: str) -> str:
    """Marks a msgid in a context (`P_("status", "open")`) for the catalogue."""
    return text


@cache
def translations(lang: str) -> Translations | None:
    """The catalogue of `lang`, compiled from its .po; None for English (the msgids)."""
    if lang == "en":
        return None
    path = LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def known(text: str, lang: str = "zh", context: str | None = None) -> bool:
    """Whether the catalogue of `lang` translates `text`."""
    t = translations(lang)
    if t is None:
        return True
    key = f"{context}\x04{text}" if context else text
    return key in t._catalog  # type: ignore[attr-defined]


def gettext(text: str, lang: str) -> str:
    t = translations(lang)
    if t is None:
        return text
    out = t.gettext(text)
    if out == text and lang == "zh":
        return ZH.get(text, text)
    return out


def pgettext(context: str, text: str, lang: str) -> str:
    t = translations(lang)
    if t is None:
        return text
    return t.pgettext(context, text)


def translate(text: str, lang: str) -> str:
    """The old name of `gettext`, kept for callers written before the catalogue."""
    return gettext(text, lang)


def name_of(item: Any, lang: str) -> str:
    """A catalogue entry's own name in `lang` (`name_zh`, `name_en`: data, not a msgid)."""
    get = item.get if isinstance(item, dict) else lambda key: getattr(item, key, None)
    return str(get("name_zh") if lang == "zh" else get("name_en") or get("name_zh"))


def pick_lang(value: str | None) -> str:
    return value if value in LANGS else DEFAULT_LANG


# ----------------------------------------------------------------------------- refusals


def refusal(exc: DomainError, lang: str) -> str:
    """A refusal for a page in `lang`: its template looked up in the catalogue and filled with its
    params, the field by its name on the forms, codes (statuses, roles, materials) by theirs."""
    if lang == "en":
        return exc.message
    t = translations(lang)
    if t is None or not known(exc.template, lang):
        return exc.message
    words = _words(exc, lang)
    text = fill(gettext(exc.template, lang), words)
    if exc.shape == "about":
        return fill(gettext(ABOUT, lang), words) + text
    return text


def _words(exc: DomainError, lang: str) -> dict[str, Any]:
    out = exc.words()
    for name, value in exc.params.items():
        if isinstance(value, DomainError):  # a refusal inside this one, without its field
            inner = refusal(value, lang)
            for prefix in (label(value.field or "body", lang) + "：", value.message):
                inner = inner.removeprefix(prefix)
            out[name] = inner or out[name]
    if exc.shape == "about" and isinstance(exc.params.get("shown"), str):
        out["value"] = _plain("expected")(exc.params["shown"], lang)
    for name, value in list(out.items()):
        if not isinstance(value, str) or name == "value":
            continue
        term = _term_for(name)
        if term is not None:
            out[name] = term(value, lang)
    if exc.field is not None:
        out["field"] = label(exc.field, lang)
    return out

# accounts (issue 10)
ZH.update(
    {
        "My account": "我的账户",
        "Change password": "修改密码",
        "Your password was reset by an operator: choose a new one to continue.": (
            "您的密码已被运营方重置：请先设置新密码。"
        ),
        "Password changed. Your other sessions and API tokens have ended.": (
            "密码已修改。您的其他登录会话和 API 令牌均已失效。"
        ),
        "Current password": "当前密码",
        "New password": "新密码",
        "New password again": "再次输入新密码",
        "My last logins": "最近登录记录",
        "Time": "时间",
        "Address": "地址",
        "Result": "结果",
        "succeeded": "成功",
        "failed": "失败",
        "Users": "用户管理",
        "One-time password for": "一次性密码，用户",
        "shown once; the user must change it at the next login.": (
            "仅显示一次；用户下次登录时须修改。"
        ),
        "Role": "角色",
        "E-mail": "电子邮件",
        "Last login": "最近登录",
        "Actions": "操作",
        "enabled": "启用",
        "deactivated": "已停用",
        "must change password": "须修改密码",
        "Deactivate": "停用",
        "Activate": "启用",
        "Reset password": "重置密码",
        "New user": "新建用户",
        "Create with a one-time password": "创建（生成一次性密码）",
    }
)

# Confirmations after an action (web/flash.py), the money labels (web/format.py) and the units.
ZH.update(
    {
        "View": "查看",
        "Yard “{name}” added.": "已添加堆场“{name}”。",
        "Plant “{name}” added.": "已添加利用工厂“{name}”。",
        "Lot #{id} posted.": "废物批次 #{id} 已发布。",
        "Lot #{id} updated.": "废物批次 #{id} 已修改。",
        "Lot #{id} withdrawn.": "废物批次 #{id} 已撤回。",
        "Bid accepted: contract #{id} made.": "已接受竞价，合同 #{id} 已生成。",
        "Bid #{id} rejected.": "竞价 #{id} 已拒绝。",
        "Bid #{id} withdrawn.": "竞价 #{id} 已撤回。",
        "Delivery #{id} dispatched on contract #{contract_id}.": (
            "合同 #{contract_id} 的转移联单 #{id} 已发运。"
        ),
        "Dispute on delivery #{id} resolved.": "转移联单 #{id} 的争议已提交处理。",
        "Receipt of delivery #{id} confirmed.": "转移联单 #{id} 已确认收货。",
        "Receipt of delivery #{id} recorded: outside the tolerance, it is now disputed.": (
            "转移联单 #{id} 的收货已记录：超出允许偏差，转为争议。"
        ),
        "Ledger entry #{id} recorded.": "台账记录 #{id} 已登记。",
        "Offer #{id} posted.": "收纳报价 #{id} 已发布。",
        "Offer #{id} withdrawn.": "收纳报价 #{id} 已撤回。",
        "Bid #{id} placed.": "竞价 #{id} 已提交。",
        "Match run #{id} finished.": "撮合运行 #{id} 已完成。",
        "Match schedule saved.": "撮合计划已保存。",
        "Monthly report submitted.": "月报已提交。",
        "Correction requested.": "更正申请已提交。",
        "Report #{id} approved.": "月报 #{id} 已核准。",
        "Report #{id} returned to the producer.": "月报 #{id} 已退回产废单位。",
        "Correction #{id} approved.": "更正 #{id} 已核准。",
        "Correction #{id} rejected.": "更正 #{id} 已驳回。",
        "Own-use claim #{id} decided.": "自行利用声明 #{id} 已评定。",
        "Dispute on delivery #{id} arbitrated.": "转移联单 #{id} 的争议已裁决。",
        "User #{id} updated.": "用户 #{id} 已更新。",
        "Weighbridge tonnes and ticket recorded for delivery #{path_id}.": (
            "转移联单 #{path_id} 的地磅吨数与磅单已记录。"
        ),
        "Trucks dispatched on contract #{path_id}, each under its own manifest.": (
            "合同 #{path_id} 的车辆已发运，每车一张转移联单。"
        ),
        "Lab report attached to lot #{path_id}.": "检测报告已附于废物批次 #{path_id}。",
        "All notifications marked read.": "全部通知已标为已读。",
    }
)
ZH.update(
    {
        "recycler pays producer {amount}": "利用单位向产废单位支付 {amount}",
        "producer pays recycler {amount}": "产废单位向利用单位支付 {amount}",
        "no payment either way": "双方互不付费",
    }
)
ZH.update(
    {
        "Pre-filled with your offer's price: {offer}.": "已预填您收纳报价的价格：{offer}。",
        "The producer asks: {ask}.": "产废单位的要价：{ask}。",
        "The two point opposite ways: check who pays before you bid.": (
            "两者付费方向相反：请先确认由谁付费再出价。"
        ),
    }
)

# The papers: manifests, contracts, the statutory 台账, tickets and lab reports (web/papers_*).
ZH.update(
    {
        "Receipt": "接收确认",
        "Transfer manifest": "转移联单",
        "Waste code": "固体废物代码",
        "Weighbridge ticket": "磅单",
        "Manifest PDF": "转移联单 PDF",
        "Contract PDF": "合同 PDF",
        "Confirm at the weighbridge": "地磅确认接收",
        "Photo of the weighbridge ticket": "磅单照片",
        "Attach the weighbridge ticket": "上传磅单",
        "Attach": "上传",
        "One row per truck; a manifest number is made for a row that has none. "
        "All trucks are dispatched, or none.": (
            "每车一行；未填联单编号的自动生成。所有车辆一起发运，任一行有误则都不发运。"
        ),
        "Driver": "驾驶员",
        "Or paste CSV: plate, driver, tonnes[, manifest number] per line": (
            "或粘贴 CSV：每行 车牌, 驾驶员, 吨数[, 联单编号]"
        ),
        "Dispatch the trucks": "发运这些车辆",
        "A day's trucks at once": "一次录入当天车辆",
        "one truck's load": "一车的载重",
        "Lab report": "化验报告",
        "No lab report attached.": "尚未上传化验报告。",
        "Attach the lab report": "上传化验报告",
        "Statutory ledger": "一般工业固体废物管理台账",
        "Statutory ledger (台账)": "法定台账",
        "Guideline": "依据",
        "Year": "年份",
        "whole year": "全年",
        "Download workbook": "下载 Excel 台账",
        "No records in this period.": "本期间无记录。",
        "All yards": "全部贮存场",
        "Papers": "单据",
        "Receipt page": "接收确认页",
    }
)

# Daily work: the to-do, the header's counts, notifications and their mail (web/templates/daily).
ZH.update(
    {
        "To-do": "待办",
        "Nothing waits on you now.": "目前没有待办事项。",
        "Notifications": "通知",
        "unread": "条未读",
        "Unread": "未读",
        "All": "全部",
        "Show all": "显示全部",
        "Show unread only": "只看未读",
        "Mark all read": "全部标为已读",
        "Mark read": "标为已读",
        "No notifications.": "没有通知。",
        "Newer": "较新",
        "Older": "较早",
        "Which notifications come by mail": "哪些通知发送邮件",
        "Notifications by mail": "邮件通知",
        "Saved.": "已保存。",
        "Mail goes to": "邮件发送至",
        "Your account has no e-mail address: notifications show here only. An operator can add "
        "one.": "您的账号没有电子邮箱：通知只在平台内显示。运营人员可为您添加邮箱。",
        "Language of the mail": "邮件语言",
        "Send these by mail": "以下通知发送邮件",
        "Bids to decide": "待决定的投标",
        "Receipts to confirm": "待确认签收",
        "Disputed deliveries to settle": "待协商结算的争议联单",
        "Contracts with tonnes still to dispatch": "尚有吨数待发运的合同",
        "Monthly reports returned to you": "被退回的月报",
        "Monthly reports to submit": "待提交的月报",
        "Monthly reports to review": "待审核的月报",
        "Corrections to review": "待审核的更正申请",
        "Own-use claims to attest": "待核实的自用申报",
        "Offers ending soon": "即将到期的收购需求",
        "Lots ending soon": "即将到期的批次",
    }
)

# long work as jobs (web/jobs_pages.py, web/templates/jobs/)
ZH.update(
    {
        "Job": "后台任务",
        "Jobs": "后台任务",
        "Drawdown plan": "消纳规划",
        "Siting analysis": "选址分析",
        "Tamper check": "防篡改核验",
        "Long work runs in the background: this page follows it and opens the result "
        "when it is ready.": "耗时的计算在后台进行：本页跟踪其进度，完成后自动打开结果。",
        "queued": "排队中",
        "running": "运行中",
        "done": "已完成",
        "queued again": "重新排队",
        "started": "已开始",
        "reading": "读取数据",
        "preparing": "准备问题",
        "building": "构建网络",
        "solving": "求解",
        "explaining": "生成说明",
        "saving": "保存结果",
        "planning": "规划计算",
        "ranking sites": "候选地排序",
        "hashing": "校验哈希链",
        "Cancelling: the work stops at its next stage.": "正在取消：计算将在下一阶段停止。",
        "See the result": "查看结果",
        "Cancel": "取消",
        "Start in the background": "在后台开始",
        "The market is large: the plan is worked out in the background, and its page follows "
        "it.": "市场规模较大：规划将在后台计算，进度页会跟踪其进度。",
        "The ledger is large: the full check runs in the background and this page follows "
        "it.": "台账规模较大：完整核验将在后台进行，本页会跟踪其进度。",
    }
)

def _term_for(name: str) -> Callable[[str, str], str] | None:
    if name in ("field", "other", "path") or name.endswith("_field"):
        return label
    if name.endswith("status"):
        return _coded("status")
    if name.endswith("state"):
        return _coded("state")
    if name in ("role", "roles") or name.endswith("_role"):
        return _roles
    if name.endswith("site_kind"):
        return _coded("site kind")
    if name in ("entry", "entry_kind"):
        return _coded("entry kind")
    if name in ("what", "expected", "shown", "got"):
        return _plain("expected")
    if name in ("material", "material_code"):
        return _material
    if name in ("axis",):
        return _plain("axis")
    return None


def _coded(context: str) -> Callable[[str, str], str]:
    """`已拒绝（rejected）`: the word, with the code the English message shows."""

    def word(code: str, lang: str) -> str:
        if not known(code, lang, context):
            return code
        return f"{pgettext(context, code, lang)}（{code}）"

    return word


def _plain(context: str) -> Callable[[str, str], str]:
    def word(text: str, lang: str) -> str:
        return pgettext(context, text, lang) if known(text, lang, context) else text

    return word


def _roles(text: str, lang: str) -> str:
    return gettext(" or ", lang).join(_coded("role")(r, lang) for r in text.split(" or "))


def _material(code: str, lang: str) -> str:
    from market.catalogue import catalogue

    material = catalogue().materials.get(code)
    return f"{material.name_zh}（{code}）" if material and lang == "zh" else code


def label(path: str, lang: str = "zh") -> str:
    """A field as the forms name it, the path itself kept: `吨数（tonnes）`; the path alone when
    no name is known."""
    if lang == "en":
        return path
    name = _field_name(path, lang)
    return f"{name}（{path}）" if name else path


def field_name(path: str, lang: str) -> str:
    """The field's name alone (`吨数`), or the path when it has none."""
    return _field_name(path, lang) or path


def _field_name(path: str, lang: str) -> str:
    if known(path, lang, "field"):
        return pgettext("field", path, lang)
    head, _, rest = path.partition(".")
    if head in ("quality", "spec") and rest:
        # quality.so3_pct, spec.caso4_2h2o_pct.min
        from market.catalogue import catalogue

        code, _, bound = rest.partition(".")
        parameter = catalogue().parameters.get(code)
        name = pgettext("field", head, lang) + (f"·{parameter.name_zh}" if parameter else "")
        if bound in ("min", "max"):
            name += pgettext("bound", bound, lang)
        return name
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    return pgettext("field", head, lang) if known(head, lang, "field") else ""


# ----------------------------------------------------------------------------- engine reasons


def reason(text: Any, detail: Any, lang: str) -> str:
    """An engine reason in `lang`, from its detail (code and params) through the catalogue; the
    engine's English when the page is in English or the reason has no detail."""
    from matching.explain import phrase_text, reason_phrase

    if lang == "en" or not isinstance(detail, dict) or "code" not in detail:
        return str(text)
    try:
        phrase = reason_phrase(detail)
    except (KeyError, TypeError, ValueError):  # a detail of an older engine: its English
        return str(text)
    text = phrase_text(phrase, lambda t: gettext(t, lang), lambda n, v: _reason_word(n, v, lang))
    return spaced(text) if lang == "zh" else text


_HAN = "\u4e00-\u9fff"
_LATIN = "A-Za-z0-9\u0370-\u03ff"  # and Greek: 外照射指数 Iγ
_GAP = re.compile(f"(?<=[{_LATIN}])(?=[{_HAN}])|(?<=[{_HAN}])(?=[{_LATIN}])")


def spaced(text: str) -> str:
    """A space where a name in Latin letters meets Chinese (`内照射指数 IRa 的化验值`), as the
    catalogue's own names and the rest of the UI write it (typography, not translation)."""
    return _GAP.sub(" ", text)


def _reason_word(name: str, value: Any, lang: str) -> Any:
    from market.catalogue import catalogue

    if name in ("parameter", "parameters", "needs") and isinstance(value, str):
        parameter = catalogue().parameters.get(value)
        return parameter.name_zh if parameter and lang == "zh" else value
    if name in ("material", "lot_material") and isinstance(value, str):
        material = catalogue().materials.get(value)
        return material.name_zh if material and lang == "zh" else value
    return value


# lists: paging, filters, sorting (web/paging.py, _pager.html)
ZH.update(
    {
        "Pages": "分页",
        "first": "首页",
        "last": "末页",
        "page": "页",
        "all": "全部",
        "From": "起始日期",
        "To": "截止日期",
        "Summary": "汇总",
        "Lot posted": "批次发布日期",
        "Stock after (t)": "结存（吨）",
        "Export the entries shown by these filters": "导出当前筛选出的条目",
    }
)
