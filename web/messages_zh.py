"""Refusals in Chinese for the pages.

The services refuse in English, and the JSON API and the CLI pass that text on unchanged (scripts
and tests rely on it). A page in Chinese shows the same refusal translated here, pattern by
pattern, with the field name and the value kept exactly as the English message spelled them, so
the user still sees what to fix: `tonnes: -5 is negative` → `吨数（tonnes）：-5 为负数`.

A message no pattern knows is shown in English: a refusal half understood is worse than one in
the other language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from market.catalogue import catalogue

# the words the forms use (web/i18n.py), without units: the message already carries the number
FIELDS: dict[str, str] = {
    "address": "客户端地址",
    "current_password": "当前密码",
    "email": "电子邮件",
    "new_password": "新密码",
    "new_password_again": "再次输入的新密码",
    "user": "用户",
    "login": "登录",
    "planning": "规划计算",
    "accepted_tonnes": "认可吨数",
    "asking_price_cny_t": "报价",
    "available_from": "可供起始",
    "available_until": "可供截止",
    "bid": "出价",
    "body": "请求体",
    "buffer_km": "避让缓冲距离",
    "candidates": "候选厂址",
    "capacity_t": "产能",
    "capacity_t_per_year": "产能",
    "contract": "合同",
    "correction": "更正申请",
    "county": "县区",
    "csrf_token": "CSRF 令牌",
    "database": "数据库",
    "decision": "认定结论",
    "delivery": "转移联单",
    "dispatched_at": "发运时间",
    "document": "凭证",
    "entry": "台账条目",
    "evidence": "证明材料",
    "every_hours": "定时运行间隔",
    "file": "文件",
    "ticket": "磅单",
    "ticket_file": "磅单照片",
    "lab_report_file": "化验报告文件",
    "driver": "驾驶员",
    "trucks": "车辆",
    "year": "年份",
    "month": "月份",
    "format": "格式",
    "heads": "链头",
    "horizon_months": "规划期",
    "id": "编号",
    "job": "后台任务",
    "idempotency_key": "幂等键",
    "input": "输入文件",
    "kind": "类型",
    "lab_report": "检测报告编号",
    "lat": "纬度",
    "lat/lon": "经纬度",
    "limit": "条数",
    "lon": "经度",
    "lot": "批次",
    "lots": "批次",
    "manifest_no": "联单编号",
    "match run": "撮合运行",
    "material": "物料",
    "materials": "物料",
    "max_haul_km": "运距上限",
    "metric": "指标",
    "name": "名称",
    "note": "备注",
    "occurred_on": "日期",
    "offer": "收纳报价",
    "offset": "起始位置",
    "org": "单位",
    "organisation": "单位",
    "output": "输出文件",
    "params": "参数",
    "params.time_limit_s": "求解时限",
    "password": "密码",
    "path": "路径",
    "period": "期间",
    "period_end": "期间止",
    "period_start": "期间起",
    "plant": "工厂",
    "prefecture": "州市",
    "price_cny_t": "价格",
    "problem": "撮合问题",
    "proposal": "撮合方案",
    "quality": "化验指标",
    "reason": "原因",
    "received_at": "收货时间",
    "received_tonnes": "实收吨数",
    "renew_offers": "报价续签",
    "report": "月报",
    "role": "角色",
    "run": "撮合运行",
    "sampled_on": "取样日期",
    "settled_tonnes": "结算吨数",
    "site": "场地",
    "site_id": "场地",
    "source": "消纳对象",
    "spec": "质量限值",
    "token": "令牌",
    "tonnes": "吨数",
    "truck_plate": "车牌号",
    "use": "用途",
    "username": "用户名",
    "yard": "堆场",
    "zones": "保护区",
}
STATUSES = {
    "open": "待决定",
    "on_hold": "挂起",
    "accepted": "已接受",
    "rejected": "已拒绝",
    "withdrawn": "已撤回",
    "expired": "已过期",
    "reserved": "已预留",
    "active": "执行中",
    "closed": "已完成",
    "cancelled": "已取消",
    "dispatched": "已发运",
    "received": "已收货",
    "disputed": "有争议",
}
# a reporting month's state, a correction's and a claim's (market/services/reports.py,
# corrections.py)
STATES = {
    "open": "未报送",
    "submitted": "已报送",
    "approved": "已通过",
    "returned": "已退回",
    "pending": "待审核",
    "rejected": "已驳回",
    "attested": "已认定",
    "not_required": "无需认定",
}
ROLES = {
    "producer": "产废单位",
    "recycler": "利用单位",
    "regulator": "主管部门",
    "operator": "平台运营",
    "evaluator": "第三方评价机构",
}
SITE_KINDS = {"yard": "堆场", "plant": "工厂"}
ENTRY_KINDS = {
    "opening": "期初测绘",
    "generation": "产生",
    "dispatch": "外运",
    "utilisation": "利用",
    "treatment": "无害化处理",
    "disposal": "处置",
    "correction": "更正",
    "p2o5_output": "P2O5 产量",
}
# what a value should have been (`is not a number`, `expected a list, got …`)
EXPECTED = {
    "a whole number": "整数",
    "a number": "数字",
    "a string": "字符串",
    "text": "文本",
    "an object": "对象",
    "a list": "列表",
    "a JSON object": " JSON 对象",
    "a GeoJSON object": " GeoJSON 对象",
    "a geometry object": "几何对象",
    "a non-empty list of rings": "非空的环列表",
    "a list of positions": "坐标点列表",
    "a position [lon, lat]": "坐标点 [lon, lat]",
    "'Feature'": " 'Feature'",
    "'Polygon' or 'MultiPolygon'": " 'Polygon' 或 'MultiPolygon'",
    "FeatureCollection, Feature, Polygon or MultiPolygon": (
        " FeatureCollection、Feature、Polygon 或 MultiPolygon"
    ),
    "a site id": "场地编号",
    "an entry number": "条目序号",
}
# a JSON array or object a checkpoint refusal names rather than shows (market/audit.py `_refuse`)
SHOWN = {"an array": "数组", "an object": "对象"}
AXES = {"longitude": "经度", "latitude": "纬度"}

_FIELD = r"(?P<field>[^\s:][^:\n]*?)"
_STATUS = "|".join(STATUSES)
_STATE = "|".join(STATES)
_WHAT = "|".join(re.escape(k) for k in EXPECTED)


@dataclass(frozen=True)
class Rule:
    """One family of messages: `pattern` matches a whole English message, `template` (str.format,
    by the pattern's group names) writes it in Chinese."""

    pattern: re.Pattern[str]
    template: str


def _about(problem: str, template: str) -> Rule:
    """`field: problem`, as `DomainError.about` and most hand-written messages are built."""
    return Rule(re.compile(f"{_FIELD}: {problem}", re.S), "{field}：" + template)


def _whole(pattern: str, template: str) -> Rule:
    return Rule(re.compile(pattern, re.S), template)


_V = r"(?P<value>.+?)"  # a value as the message showed it (repr for text), up to the problem
_SHOWN = r"(?P<shown>.+?)"  # the same, or `an array`/`an object` in its place
_N = r"(?P<value>\S+)"  # a number, or an id

# First match wins: the specific before the general.
RULES: tuple[Rule, ...] = (
    # --- the papers (market/papers, market/statutory.py): a truck's refusal names its row
    _whole(r"(?P<field>trucks\[\d+\]): (?P<inner>.+)", "{field}：{inner}"),
    # jobs (market/services/jobs.py, market/jobs.py)
    _about(
        _N + r" was started by someone else; only they may cancel it",
        "{value} 由他人发起，只有发起人可以取消",
    ),
    _about(_N + r" is already (?P<state>done|failed|cancelled)", "{value} 已结束（{state}）"),
    _about(_V + r" has no (?P<kind>\w+) result", "{value} 没有可显示的结果"),
    # --- whole messages (no field in front, or a field that must not be read as one)
    _whole(r"username or password is wrong", "用户名或密码错误"),
    _whole(
        r"authentication required: log in or send a bearer token",
        "需要登录：请登录，或在请求中提供 Bearer 令牌",
    ),
    _whole(
        r"lot (?P<lot>\d+): (?P<asked>\S+) t asked, (?P<open>\S+) t open",
        "批次 {lot}：申请 {asked} 吨，仅剩 {open} 吨可供",
    ),
    _whole(
        r"offer (?P<offer>\d+): (?P<asked>\S+) t asked, (?P<open>\S+) t of capacity open",
        "收纳报价 {offer}：申请 {asked} 吨，仅剩 {open} 吨产能",
    ),
    _whole(r"duplicate key (?P<key>.+) in an object", "对象中有重复的键 {key}"),
    # a checkpoint's key, shown as given (a repr may hold a colon)
    _whole(
        r"(?P<field>.+?): is not a key of a verify answer \(the checkpoint is its heads\)",
        "{field}：不是校验结果中的键（检查点即校验结果中的链头）",
    ),
    _whole(
        r"(?P<field>.+?): is not a field of a head \((?P<keys>site_id, seq, hash)\)",
        "{field}：不是链头的字段（应为 {keys}）",
    ),
    # a checkpoint file the verify page could not read: the body's own refusal, then a hint
    _whole(
        r"(?P<inner>(?P<field>file): .+); "
        r"choose the JSON of an earlier check, not its CSV or Excel export",
        "{inner}；请选择此前一次校验的 JSON 导出，而不是它的 CSV 或 Excel 导出",
    ),
    # a protected-zone file: its own path and problem follow the field
    _whole(r"(?P<field>zones): (?P<inner>\$.*)", "{field}：{inner}"),
    _whole(
        r"(?P<field>contract): (?P<value>\d+) is (?P<status>" + _STATUS + ")",
        "{field}：{value} 当前为{status}",
    ),
    # --- accounts and sessions
    _about(
        r"(?P<value>.+?) may not do this \(needs (?P<roles>.+)\)",
        "{value} 无权执行此操作（需要{roles}）",
    ),
    _about(
        _V + r" has (?P<n>\d+) failed logins; try again in a few minutes",
        "{value} 已连续登录失败 {n} 次，请几分钟后再试",
    ),
    _about(
        _V + r" tried (?P<n>\d+) logins in a minute; try again in a minute",
        "{value} 一分钟内已尝试登录 {n} 次，请一分钟后再试",
    ),
    _about(
        r"(?P<n>\d+) logins are waiting on this server; try again in a few seconds",
        "本服务器已有 {n} 个登录在排队，请几秒后再试",
    ),
    _about(
        r"(?P<n>\d+) requests are waiting on this server; try again in a minute",
        "本服务器已有 {n} 个请求在排队，请一分钟后再试",
    ),
    _about(r"is wrong", "不正确"),
    _about(r"is the current password", "与当前密码相同"),
    _about(r"differs from new_password", "与新密码不一致"),
    _about(r"an operator cannot deactivate their own account", "运营方不能停用自己的账户"),
    _about(_V + r" is not an e-mail address", "{value} 不是电子邮件地址"),
    _about(
        r"was reset by an operator; choose a new one first",
        "已被运营方重置，请先设置新密码",
    ),
    _about(r"expired; log in for a new one", "已过期，请重新登录获取新令牌"),
    _about(
        r"another request changed the same thing at the same time; try again",
        "另一个请求同时修改了同一内容，请重试",
    ),
    _about(r"unknown or revoked", "未知或已吊销"),
    _about(r"its user is inactive", "所属用户已停用"),
    _about(r"missing or wrong; reload the page and try again", "缺失或错误，请刷新页面后重试"),
    _about(
        r"has (?P<n>\d+) characters, at least (?P<min>\d+) needed",
        "只有 {n} 个字符，至少需要 {min} 个",
    ),
    _about(
        _V + r" is a (?P<role>\w+) organisation, not a (?P<role2>\w+) one",
        "{value} 是{role}，不是{role2}",
    ),
    _about(_V + r" is taken", "{value} 已被占用"),
    _about(_V + r" must be (?P<a>\d+) to (?P<b>\d+) characters", "{value} 应为 {a} 至 {b} 个字符"),
    _about(
        _V + r" must be (?P<a>\d+)–(?P<b>\d+) letters, digits, or \. _ @ - \(no spaces\)",
        "{value} 应为 {a}–{b} 个字母、数字或 . _ @ -（不含空格）",
    ),
    # --- sites
    _about(
        r"a (?P<role>\w+) registers (?P<site>yard|plant)s, not (?P<site2>.+)s",
        "{role}登记的是{site}，不是{site2}",
    ),
    _about(r"\((?P<value>[^()]*)\) is outside Yunnan province", "({value}) 不在云南省境内"),
    _about(_V + r" is already one of your sites", "{value} 与您已登记的场地重名"),
    _about(
        _V + r" is a (?P<site>yard|plant), not a (?P<site2>yard|plant)",
        "{value} 是{site}，不是{site2}",
    ),
    _about(_V + r" is a plant; ledgers are kept at yards", "{value} 是工厂；台账只在堆场登记"),
    # --- lots, offers, the ledger
    _about(_V + r" is withdrawn and can no longer be edited", "{value} 已撤回，不能再修改"),
    _about(
        _N + r" is below the (?P<reserved>\S+) t already under contract",
        "{value} 低于已签合同的 {reserved} 吨",
    ),
    _about(_V + r" is more than (?P<n>\d+) days after the start", "{value} 距期间起始超过 {n} 天"),
    _about(
        _V + r" must be phosphogypsum for a p2o5_output entry",
        "{value}：P2O5 产量只能按磷石膏（phosphogypsum）登记",
    ),
    _about(_V + r" must not be 0 for a correction", "{value}：更正量不能为 0"),
    _about(
        r"is required for a (?P<entry>\w+) entry \(the survey, contract or report behind it\)",
        "{entry}条目必须填写（对应的盘点、合同或报告）",
    ),
    _about(
        r"this yard already has an opening survey for (?P<material>\S+); "
        r"record a correction instead",
        "该堆场已有{material}的期初测绘，请改为登记更正",
    ),
    # --- bids, contracts, deliveries
    _about(
        _N + r" is more than the (?P<proposed>\S+) t proposed",
        "{value} 超过撮合方案的 {proposed} 吨",
    ),
    _about(
        _N + r" asked, lot (?P<lot>\d+) has (?P<open>\S+) t open",
        "申请 {value} 吨，批次 {lot} 仅剩 {open} 吨可供",
    ),
    _about(
        _N + r" asked, offer (?P<offer>\d+) has (?P<open>\S+) t of capacity open",
        "申请 {value} 吨，收纳报价 {offer} 仅剩 {open} 吨产能",
    ),
    _about(
        _N + r" is (?P<status>" + _STATUS + r"), only an open bid can be accepted",
        "{value} 当前为{status}，只有待决定（open）的出价才能接受",
    ),
    _about(
        _N + r" is (?P<status>" + _STATUS + r") and cannot be rejected",
        "{value} 当前为{status}，不能拒绝",
    ),
    _about(
        _N + r" is (?P<status>" + _STATUS + r") and cannot be withdrawn",
        "{value} 当前为{status}，不能撤回",
    ),
    _about(
        _N + r" has (?P<n>\d+) deliveries and cannot be cancelled",
        "{value} 已有 {n} 张联单，不能取消",
    ),
    _about(
        _N + r" is (?P<status>" + _STATUS + r"); nothing more can be dispatched",
        "{value} 当前为{status}，不能再发运",
    ),
    _about(_V + r" was used for manifest (?P<manifest>.+)", "{value} 已用于联单 {manifest}"),
    _about(_V + r" is already delivery (?P<delivery>\d+)", "{value} 已是联单 {delivery}"),
    _about(
        _N + r" is more than the (?P<left>\S+) t left on contract (?P<contract>\d+)",
        "{value} 超过合同 {contract} 剩余的 {left} 吨",
    ),
    _about(
        _N + r" is already (?P<status>" + _STATUS + r") with (?P<received>\S+) t received",
        "{value} 已是{status}状态，实收 {received} 吨",
    ),
    _about(
        _N + r" is (?P<status>" + _STATUS + r"), not disputed",
        "{value} 当前为{status}，不是有争议（disputed）状态",
    ),
    _about(_V + r" is before the dispatch", "{value} 早于发运时间"),
    _about(_V + r" is before the dispatch \((?P<day>[^()]+)\)", "{value} 早于发运日期（{day}）"),
    _about(
        _N + r" is before contract (?P<contract>\d+) was made \((?P<day>[^()]+)\)",
        "{value} 早于合同 {contract} 的签订日期（{day}）",
    ),
    # --- reporting months, locks, stock (market/services/reports.py)
    _about(
        _N + r" falls in (?P<month>\S+), which is (?P<state>" + _STATE + r") for site "
        r"(?P<sid>\d+); only a correction approved by a regulator changes it",
        "{value} 属于 {month}，场地 {sid} 的该月月报{state}；只有经主管部门批准的更正才能修改",
    ),
    _about(
        r"(?P<value>\S+) t would leave the stock of (?P<material>\S+) at site (?P<sid>\d+) at "
        r"(?P<after>\S+) t on (?P<day>\S+); stock cannot go below zero",
        "{value} 吨将使场地 {sid} 的{material}堆存量在 {day} 降至 {after} 吨；堆存量不能低于零",
    ),
    _about(
        _N + r" is after today \((?P<today>\S+), China time\)",
        "{value} 晚于今天（{today}，北京时间）",
    ),
    _about(
        _N + r" is before (?P<month>\S+), the first month site (?P<sid>\d+) has reported",
        "{value} 早于场地 {sid} 的首个报送月份 {month}",
    ),
    _about(
        _N + r" is before (?P<day>\S+), the first entry of (?P<material>\S+) at site "
        r"(?P<sid>\d+)",
        "{value} 早于场地 {sid} 的{material}首条台账日期 {day}",
    ),
    _about(
        _N + r" has not ended yet \(today is (?P<today>\S+), China time\); "
        r"a month is submitted once it has ended",
        "{value} 尚未结束（今天是 {today}，北京时间）；月份结束后才能报送",
    ),
    _about(
        _N + r" is (?P<state>" + _STATE + r"); months are submitted in order, so submit "
        r"(?P=value) before (?P<later>\S+)",
        "{value} {state}；月报须按月份顺序报送，请先报送 {value} 再报送 {later}",
    ),
    _about(_N + r" is already (?P<state>" + _STATE + r")", "{value} {state}"),
    _about(
        _V + r" is before the yard's first month \((?P<month>[^()]+)\)",
        "{value} 早于该堆场的首个月份（{month}）",
    ),
    _about(
        _V + r" cannot be submitted: the yard has no ledger entries yet",
        "{value} 不能报送：该堆场尚无台账记录",
    ),
    _about(_V + r" is not a month written YYYY-MM", "{value} 不是 YYYY-MM 格式的月份"),
    _about(
        _V + r" is not a month from (?P<first>\S+) to (?P<last>\S+)",
        "{value} 不在 {first} 至 {last} 之间",
    ),
    _about(_N + r" is a plant; reports are kept for yards", "{value} 是工厂；月报只针对堆场报送"),
    _about(
        _N + r" \((?P<month>[^()]+)\) is (?P<state>" + _STATE + r"), not submitted",
        "{value}（{month}）{state}，不是待审核的已报送状态",
    ),
    _about(
        _N + r" is (?P<state>" + _STATE + r"); post the entry to the ledger directly, "
        r"corrections are for submitted and approved months",
        "{value} {state}；请直接登记台账，更正只针对已报送或已通过的月份",
    ),
    _about(
        _N + r" is (?P<state>" + _STATE + r"); only a pending claim is attested",
        "{value} {state}；只有待认定的自报量才能认定",
    ),
    _about(
        _V + r" must be phosphogypsum for p2o5_output",
        "{value}：P2O5 产量只能按磷石膏（phosphogypsum）更正",
    ),
    # --- evidence (market/services/ledger.py, documents.py)
    _about(
        r"is required for a (?P<entry>\w+) entry a producer claims itself \(upload the record "
        r"behind it to /api/v1/documents and cite its id\)",
        "产废单位自行申报的{entry}条目必须附证明材料（请上传其依据的记录文件）",
    ),
    _about(
        _V + r" is not a PDF, JPEG, PNG or XLSX file \(judged by its content\)",
        "{value} 不是 PDF、JPEG、PNG 或 XLSX 文件（按文件内容判断）",
    ),
    _about(r"is empty", "为空"),
    _about(
        r"(?P<n>\d+) bytes sent, at most (?P<max>\d+) allowed",
        "发送了 {n} 字节，最多允许 {max} 字节",
    ),
    _about(_V + r" is not a document id", "{value} 不是文件编号"),
    _about(_V + r" is not a document your organisation uploaded", "{value} 不是本单位上传的文件"),
    _about(_V + r" must be a list of document ids", "{value} 应为文件编号列表"),
    _about(r"(?P<n>\d+) documents cited; at most (?P<max>\d+)", "引用了 {n} 个文件，最多 {max} 个"),
    # --- the catalogue
    _about(_V + r" is not a material of the catalogue", "{value} 不是物料目录中的物料"),
    _about(
        _V + r" is not a parameter of (?P<material>\S+)",
        "{material}没有这项指标（填写值 {value}）",
    ),
    _about(_V + r" must be an object with min and/or max", "{value} 应为含 min 和/或 max 的对象"),
    _about(r"min (?P<min>\S+) is above max (?P<max>\S+)", "下限 {min} 高于上限 {max}"),
    _about(_V + r" is not a use of (?P<material>\S+)", "{value} 不是{material}的用途"),
    # --- numbers, text, dates (market/fields.py), and the matching problem's own checks
    _about(r"is required", "必填"),
    _about(
        r"(?P<value>\S+) t is above (?:the maximum )?(?P<max>\S+) t",
        "{value} 吨超过上限 {max} 吨",
    ),
    _about(_V + r" is negative", "{value} 为负数"),
    _about(_V + r" is below the minimum (?P<min>\S+)", "{value} 低于下限 {min}"),
    _about(_V + r" is above the maximum (?P<max>\S+)", "{value} 超过上限 {max}"),
    _about(_V + r" must be greater than 0", "{value} 必须大于 0"),
    _about(_N + r" must be positive", "{value} 必须为正数"),
    _about(_V + r" is not a finite number", "{value} 不是有限数值"),
    _about(_V + r" is not (?P<what>" + _WHAT + ")", "{value} 不是{what}"),
    _about(_V + r" is longer than (?P<n>\d+) characters", "{value} 超过 {n} 个字符"),
    _about(_V + r" contains control characters", "{value} 含有控制字符"),
    _about(_V + r" is not valid Unicode text", "{value} 不是有效的 Unicode 文本"),
    _about(_V + r" is not one of (?P<choices>.+)", "{value} 不是可选值之一（{choices}）"),
    _about(
        _V + r" is out of range \[(?P<low>[^,\]]+), (?P<high>[^\]]+)\]",
        "{value} 超出范围 [{low}, {high}]",
    ),
    _about(_V + r" is out of range", "{value} 超出范围"),
    _about(_V + r" is not a date \(YYYY-MM-DD\)", "{value} 不是日期（YYYY-MM-DD）"),
    _about(_V + r" is not a date-time \(ISO 8601\)", "{value} 不是日期时间（ISO 8601）"),
    _about(
        _N + r" is before (?P<other>\S+) (?P<other_value>\S+)",
        "{value} 早于{other}的 {other_value}",
    ),
    _about(_V + r" is in the future", "{value} 晚于今天"),
    _about(r"has (?P<n>\d+) entries, at most (?P<max>\d+) allowed", "有 {n} 项，最多 {max} 项"),
    _about(r"expected (?P<what>" + _WHAT + r"), got (?P<value>.+)", "应为{what}，实际为 {value}"),
    _about(_V + r" is not a known field", "未知字段（值 {value}）"),
    _about(_V + r" is not a known query parameter", "未知查询参数（值 {value}）"),
    _about(_V + r" does not exist", "{value} 不存在"),
    _about(
        r"unknown keys? (?P<keys>.+) \(allowed: (?P<allowed>.+)\)",
        "未知的键 {keys}（允许：{allowed}）",
    ),
    _about(r"missing key (?P<key>.+)", "缺少键 {key}"),
    _about(r"min (?P<min>\S+) > max (?P<max>\S+)", "下限 {min} 大于上限 {max}"),
    _about(
        _V + r" is a duplicate \(first at (?P<first>.+)\)", "{value} 重复（首次出现于 {first}）"
    ),
    _about(_V + r" is not in the problem", "{value} 不在撮合问题中"),
    _about(r"must not be empty", "不能为空"),
    _about(r"(?P<n>\d+) candidates, at most (?P<max>\d+)", "{n} 个候选厂址，最多 {max} 个"),
    _about(
        r"(?P<n>\d+) labels for a horizon of (?P<months>\d+) months",
        "{n} 个月份标签与 {months} 个月的规划期不符",
    ),
    _about(
        r"(?P<n>\d+) nodes over (?P<months>\d+) months leave no room for exact integer costs; "
        r"shorten the horizon or plan fewer materials at once",
        "{n} 个节点、{months} 个月，规模过大，无法按精确的整数成本求解；请缩短规划期或少选几种物料",
    ),
    _about(
        r"(?P<n>\d+) nodes with priorities up to (?P<w>\d+) leave no room for exact integer "
        r"costs; split the problem or narrow the priorities",
        "{n} 个节点、优先级最高 {w}，规模过大，无法按精确的整数成本求解；"
        "请拆分问题或缩小优先级范围",
    ),
    # --- match runs and the schedule, paging
    _about(_V + r" must be from 0 \(off\) to (?P<max>\S+)", "{value} 应在 0（关闭）到 {max} 之间"),
    _about(_V + r" must be from (?P<min>\S+) to (?P<max>\S+)", "{value} 应在 {min} 到 {max} 之间"),
    _about(
        _V + r" must be a whole number from (?P<min>\S+) to (?P<max>\S+)",
        "{value} 应为 {min} 到 {max} 之间的整数",
    ),
    # --- the planner and the siting analysis
    _about(_V + r" is not true or false", "{value} 不是 true 或 false"),
    _about(_V + r" is not a list of material codes", "{value} 不是物料代码列表"),
    _about(r"(?P<n>\d+) given, at most (?P<max>\d+)", "给出 {n} 个，最多 {max} 个"),
    _about(_V + r" is not a list of \{name, lat, lon\}", "{value} 不是 {{name, lat, lon}} 列表"),
    _about(_V + r" is not an object \{name, lat, lon\}", "{value} 不是 {{name, lat, lon}} 对象"),
    _about(_V + r" is too long or has control characters", "{value} 过长或含有控制字符"),
    _about(_V + r" is given twice", "{value} 重复出现"),
    _about(
        r"line (?P<line>\d+) (?P<value>.+) is not 'name, lat, lon'",
        "第 {line} 行 {value} 不是“名称, 纬度, 经度”格式",
    ),
    _about(
        r"more than (?P<n>[\d,]+) bytes, at most (?P<max>[\d,]+) allowed",
        "超过 {n} 字节，最多 {max} 字节",
    ),
    _about(r"(?P<n>[\d,]+) bytes, at most (?P<max>[\d,]+) allowed", "{n} 字节，最多 {max} 字节"),
    _about(_V + r" is not JSON", "{value} 不是 JSON"),
    _about(
        _V + r" is not an object \{parameter: \{min\?, max\?\}\}",
        "{value} 不是 {{parameter: {{min?, max?}}}} 对象",
    ),
    # --- the regulator's desk
    _about(
        _V + r" is not a period: a year \(2025\), quarter \(2025-Q2\) or month \(2025-05\)",
        "{value} 不是有效期间：应为年份（2025）、季度（2025-Q2）或月份（2025-05）",
    ),
    _about(_V + r" is not the code of a Yunnan prefecture", "{value} 不是云南省的州市代码"),
    _about(_V + r" is not the code of a Yunnan county", "{value} 不是云南省的县区代码"),
    _about(r"is required for the drawdown series", "查看消纳曲线须指定物料"),
    # --- the regulator's checkpoint (market/audit.py, web/regulator.py, web/audit_api.py)
    _about(
        r"is required: the heads of an earlier verify answer",
        "必填，应为此前一次校验结果中的链头",
    ),
    _about(_SHOWN + r" is not a list of heads", "{shown} 不是链头列表"),
    _about(
        r"(?P<n>[\d,]+) heads, at most (?P<max>[\d,]+) are compared at once",
        "{n} 个链头，一次最多比对 {max} 个",
    ),
    _about(_SHOWN + r" is not a head (?P<keys>\{site_id, seq, hash\})", "{shown} 不是链头 {keys}"),
    _about(
        _SHOWN
        + r" is not (?P<what>a site id|an entry number) \(a whole number from (?P<min>\d+)\)",
        "{shown} 不是{what}（应为不小于 {min} 的整数）",
    ),
    _about(_SHOWN + r" is not 64 hex digits", "{shown} 不是 64 位十六进制数"),
    _about(_V + r" appears twice \(also (?P<first>.+)\)", "{value} 出现了两次（另见 {first}）"),
    _about(
        r"none chosen; choose the JSON of an earlier check",
        "未选择；请选择此前一次校验的 JSON 导出",
    ),
    _about(
        r"is empty; choose the JSON of an earlier check",
        "为空；请选择此前一次校验的 JSON 导出",
    ),
    _about(r"more than (?P<n>[\d,]+) bytes", "超过 {n} 字节"),
    _about(
        _V + r" is not answered here: only (?P<choices>.+)",
        "{value} 在此不提供，只提供 {choices}",
    ),
    # --- request bodies
    _about(
        r"not UTF-8 text \((?P<reason>.+) at byte (?P<byte>\d+)\)",
        "不是 UTF-8 文本（{reason}，位于第 {byte} 字节）",
    ),
    _about(r"not valid JSON", "不是有效的 JSON"),
    _about(
        r"a string holds a lone surrogate \(\\ud800-\\udfff\): not Unicode",
        "有字符串含孤立代理项（\\ud800-\\udfff），不是合法的 Unicode",
    ),
    _about(r"a Content-Length is required", "必须提供 Content-Length"),
    # --- protected-zone files (geo/zones.py), after `zones: `
    _about(
        r"only WGS-84 lon/lat is accepted, got (?P<value>.+)",
        "只接受 WGS-84 经纬度，实际为 {value}",
    ),
    _about(r"empty, the file holds no zones", "为空，文件中没有保护区"),
    _about(r"missing or null", "缺失或为 null"),
    _about(r"empty", "为空"),
    _about(r"polygon has no area: (?P<value>.+)", "多边形面积为零：{value}"),
    _about(
        r"invalid polygon that cannot be repaired: (?P<reason>.+)", "多边形无效且无法修复：{reason}"
    ),
    _about(r"more than (?P<n>[\d,]+) vertices in the file", "文件中的顶点超过 {n} 个"),
    _about(
        r"invalid polygon of (?P<n>[\d,]+) vertices \((?P<reason>.+)\); at most (?P<max>[\d,]+) "
        r"are repaired here, repair it in a GIS first",
        "无效多边形，共 {n} 个顶点（{reason}）；"
        "此处最多修复 {max} 个顶点的多边形，请先在 GIS 软件中修复",
    ),
    _about(r"(?P<n>[\d,]+) zones, at most (?P<max>[\d,]+)", "{n} 个保护区，最多 {max} 个"),
    _about(
        r"a ring needs at least (?P<n>\d+) positions, got (?P<value>\d+)",
        "环至少需要 {n} 个坐标点，实际只有 {value} 个",
    ),
    _about(r"a coordinate is too large to be a degree", "坐标值过大，不可能是经纬度"),
    _about(
        r"(?P<axis>longitude|latitude) (?P<value>\S+) is outside "
        r"\[(?P<low>[^,\]]+), (?P<high>[^\]]+)\]",
        "{axis} {value} 超出 [{low}, {high}]",
    ),
    _about(
        r"ring is not closed: first (?P<first>\[[^\]]*\]) != last (?P<last>\[[^\]]*\])",
        "环未闭合：首点 {first} ≠ 末点 {last}",
    ),
    _about(r"nested too deeply to be GeoJSON", "嵌套过深，不是 GeoJSON"),
    _about(r"not JSON: (?P<detail>.+)", "不是 JSON：{detail}"),
    # --- the papers
    _about(
        _V + r" is not a picture or a PDF \(judged by its content\)",
        "{value} 不是图片或 PDF（按文件内容判断）",
    ),
    _about(_V + r" is not a PDF, picture or workbook", "{value} 不是 PDF、图片或 Excel 文件"),
    _about(
        _V + r" must be: plate, driver, tonnes\[, manifest\]",
        "{value}：每行应为 车牌, 驾驶员, 吨数[, 联单编号]",
    ),
    _about(r"choose the ticket's photo", "请选择磅单照片"),
    _about(r"choose the report", "请选择化验报告文件"),
    _about(_V + r" is not a year such as 2025", "{value} 不是年份（例如 2025）"),
    _about(_V + r" is outside (?P<a>\d+)–(?P<b>\d+)", "{value} 不在 {a}–{b} 之间"),
    _about(_V + r" is not a month 1–12", "{value} 不是 1–12 月"),
    _about(_V + r" is not a plate number", "{value} 不是车牌号"),
    _about(_V + r" appears twice", "{value} 重复出现"),
    _about(_V + r" is already dispatched", "{value} 已经发运"),
    # --- backups (the CLI's, but DomainErrors all the same)
    _about(
        _V + r" is not a SQLite file; back up PostgreSQL with pg_dump -Fc \(see the README\)",
        "{value} 不是 SQLite 文件；PostgreSQL 请用 pg_dump -Fc 备份（见 README）",
    ),
    _about(_V + r" exists; choose a new file", "{value} 已存在，请另选文件"),
    _about(_V + r" exists; pass --force to replace it", "{value} 已存在；如要替换，请加 --force"),
    _about(
        _V + r" is not a SQLite database \((?P<reason>.*)\)",
        "{value} 不是 SQLite 数据库（{reason}）",
    ),
    _about(
        _V + r" fails SQLite's integrity check: (?P<detail>.*)",
        "{value} 未通过 SQLite 完整性检查：{detail}",
    ),
    _about(
        _V + r" has a broken ledger chain: (?P<detail>.*)", "{value} 的台账哈希链已断裂：{detail}"
    ),
)


def localise_error(message: str, lang: str) -> str:
    """`message` for a page in `lang`: in Chinese when a rule knows it, else as it was."""
    if lang != "zh":
        return message
    try:
        return _render(message)
    except Exception:  # noqa: BLE001 - a refusal must always be shown, in English at worst
        return message


def find(message: str) -> tuple[Rule, re.Match[str]] | None:
    """The first rule whose pattern matches the whole message, and the match."""
    for rule in RULES:
        found = rule.pattern.fullmatch(message)
        if found:
            return rule, found
    return None


def _render(message: str) -> str:
    hit = find(message)
    if hit is None:
        return message
    rule, found = hit
    words = {
        name: _GROUPS.get(name.rstrip("0123456789"), _same)(value)
        for name, value in found.groupdict().items()
        if value is not None
    }
    return rule.template.format_map(words)


# ----------------------------------------------------------------------------- the words


def label(path: str) -> str:
    """A field as the forms name it, the path itself kept: `吨数（tonnes）`; `tonnes` when
    no name is known."""
    name = _field_name(path)
    return f"{name}（{path}）" if name else path


def _field_name(path: str) -> str:
    if path in FIELDS:
        return FIELDS[path]
    head, _, rest = path.partition(".")
    if head in ("quality", "spec") and rest:
        # quality.so3_pct, spec.caso4_2h2o_pct.min
        code, _, bound = rest.partition(".")
        parameter = catalogue().parameters.get(code)
        name = FIELDS[head] + (f"·{parameter.name_zh}" if parameter else "")
        return name + {"min": "下限", "max": "上限"}.get(bound, "")
    return FIELDS.get(re.split(r"[.\[]", path, maxsplit=1)[0], "")


def _term(words: Mapping[str, str]) -> Callable[[str], str]:
    """`已拒绝（rejected）`: the word, with the code the English message showed."""
    return lambda code: f"{words[code]}（{code}）" if code in words else code


def _material(code: str) -> str:
    material = catalogue().materials.get(code)
    return f"{material.name_zh}（{code}）" if material else code


def _roles(text: str) -> str:
    return "或".join(_term(ROLES)(r) for r in text.split(" or "))


def _same(text: str) -> str:
    return text


_GROUPS: dict[str, Callable[[str], str]] = {
    "field": label,
    "other": label,
    "status": _term(STATUSES),
    "state": _term(STATES),
    "role": _term(ROLES),
    "roles": _roles,
    "site": _term(SITE_KINDS),
    "entry": _term(ENTRY_KINDS),
    "material": _material,
    "what": lambda text: EXPECTED.get(text, text),
    "axis": lambda text: AXES.get(text, text),
    "shown": lambda text: SHOWN.get(text, text),
    "inner": lambda text: _render(text),
}
