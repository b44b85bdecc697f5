"""The UI speaks Chinese first; English is one switch away. Keys are the English text."""

from __future__ import annotations

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

ZH: dict[str, str] = {
    "wastematch": "固废撮合",
    "Industrial solid-waste marketplace of Yunnan": "云南工业固体废物资源综合利用撮合平台",
    "Log in": "登录",
    "Log out": "退出",
    "Username": "用户名",
    "Password": "密码",
    "Home": "首页",
    "Map": "地图",
    "Lots": "废物批次",
    "Plants": "利用工厂",
    "Yards": "堆场",
    "Offers": "收纳报价",
    "Materials": "物料目录",
    "Ledger": "台账",
    "Match runs": "撮合运行",
    "Proposals": "撮合方案",
    "Bids": "竞价",
    "Contracts": "合同",
    "Deliveries": "转移联单",
    "Audit": "监管审计",
    "Account": "账户",
    "Producer": "产废单位",
    "Recycler": "利用单位",
    "Regulator": "主管部门",
    "Operator": "平台运营",
    "producer": "产废单位",
    "recycler": "利用单位",
    "regulator": "主管部门",
    "operator": "平台运营",
    "Material": "物料",
    "Tonnes": "吨数",
    "Open tonnes": "可供吨数",
    "Status": "状态",
    "Site": "场地",
    "Organisation": "单位",
    "Prefecture": "州市",
    "County": "县区",
    "Asking price (CNY/t)": "报价（元/吨）",
    "Price (CNY/t)": "价格（元/吨）",
    "Capacity (t)": "产能（吨）",
    "Open capacity (t)": "剩余产能（吨）",
    "Haul radius (km)": "运输半径（公里）",
    "Quality": "品质",
    "Period": "期间",
    "Available": "可供期",
    "Illustrative demo data — not real companies": "示例数据，非真实企业",
    "Demo accounts": "演示账户",
    "password": "密码",
    "Sites on the map": "地图上的场地",
    "yard": "堆场",
    "plant": "工厂",
    "open": "可供",
    "reserved": "已预留",
    "closed": "已完成",
    "withdrawn": "已撤回",
    "expired": "已过期",
    "full": "已满",
    "Page not found": "页面不存在",
    "Something went wrong on our side; it has been logged.": "服务器出错，已记录。",
    "You may not do this": "无权执行此操作",
    "Language": "语言",
    "database unavailable; try again in a moment": "数据库暂时不可用，请稍后再试",
    "No rows": "暂无数据",
    "Stockpile": "堆存量",
    "Balance (t)": "结存（吨）",
    "Kind": "类型",
    "Date": "日期",
    "Document": "凭证",
    "Recorded by": "记录人",
    "Name": "名称",
    "Latitude": "纬度",
    "Longitude": "经度",
    "Save": "保存",
    "Use": "用途",
    "Parameter": "参数",
    "Unit": "单位",
    "Standard": "标准",
    "Priority": "优先级",
    "My lots": "我的批次",
    "My plants": "我的工厂",
    "Receipts": "收货确认",
    "Planner": "消纳规划",
    "Siting": "选址分析",
    "以用定产": "以用定产",
    # regulator's desk (web/regulator.py, templates/regulator/)
    "Regulator's desk": "监管工作台",
    "industrial solid waste of Yunnan": "云南省工业固体废物",
    "the latest complete year in the ledger, shown by default": "默认显示台账中最近的完整年度",
    "the latest complete quarter in the ledger, shown by default": "默认显示台账中最近的完整季度",
    "the latest complete month in the ledger, shown by default": "默认显示台账中最近的完整月份",
    "incomplete: the ledger runs only to": "期间不完整：台账仅记录至",
    "Years": "年度",
    "Quarters": "季度",
    "Months": "月度",
    "Map shows": "地图显示",
    "Drawdown of": "消纳曲线物料",
    "Show": "显示",
    "Closing stock": "期末堆存量",
    "Utilisation rate": "综合利用率",
    "以用定产 flags": "以用定产预警",
    "10⁴ t": "万吨",
    "Generated": "产生量",
    "target": "目标",
    "meets the target": "已达目标",
    "below the target": "未达目标",
    "2020 baseline": "2020 年基数",
    "Consumed (utilised + treated)": "综合消纳量（利用 + 无害化处理）",
    "Consumption rate": "综合消纳率",
    "Closing stock (ledger)": "期末堆存量（台账）",
    "Opening": "期初",
    "increment": "新增",
    "phosphogypsum producers flagged": "家磷石膏产生企业有预警",
    "CO2: avoided / transport": "CO2：替代减排 / 运输排放",
    "Export": "导出",
    "Prefectures": "各州市",
    "Drawdown": "消纳与堆存",
    "By material": "按物料",
    "By prefecture": "按州市",
    "Generated (t)": "产生量（吨）",
    "Utilised (t)": "综合利用量（吨）",
    "Treated (t)": "无害化处理量（吨）",
    "Consumed (t)": "综合消纳量（吨）",
    "Disposed (t)": "处置量（吨）",
    "Dispatched (t)": "外运量（吨）",
    "Corrections (t)": "更正量（吨）",
    "Opening stock (t)": "期初堆存量（吨）",
    "Closing stock (t)": "期末堆存量（吨）",
    "Target": "目标",
    "Avoided CO2 (t)": "替代减排 CO2（吨）",
    "Transport CO2 (t)": "运输排放 CO2（吨）",
    "Every figure is summed from the ledger; click one for its entries.": (
        "所有数字均由台账汇总，点击可查看对应台账条目。"
    ),
    "Verify the ledger": "校验台账",
    "Verify every yard": "校验全部堆场",
    "Verify this producer's ledger": "校验该单位台账",
    "phosphogypsum producers": "磷石膏产生企业",
    "allowance = previous period's C ÷ r": "P2O5 配额 = 上期 C ÷ r",
    "implied generation": "推算产生量",
    "Minimum C ÷ G this year": "本年度最低消纳率 C ÷ G",
    "generation tolerance": "产生量允许偏差",
    "generated": "产生",
    "utilised": "综合利用",
    "Utilisation rate = utilised ÷ generated; consumption = utilised + treated.": (
        "综合利用率 = 综合利用量 ÷ 产生量；综合消纳量 = 综合利用量 + 无害化处理量。"
    ),
    "Closing stock = opening + ΔS (the 以用定产 account).": (
        "期末堆存量 = 期初 + ΔS（以用定产核算）。"
    ),
    "treated": "无害化处理",
    "consumed": "综合消纳",
    "Opening stock": "期初堆存量",
    "Ledger stock": "台账堆存量",
    "Allowance": "本期 P2O5 配额",
    "Next allowance": "下期 P2O5 配额",
    "Flags": "预警",
    "previous period": "上期",
    "none": "无",
    "No allowance where the ledger misses part of the previous period": (
        "台账未覆盖完整上期时，本期配额留空"
    ),
    "Ledger stock also moves with dispatches in transit, disposal and corrections.": (
        "台账堆存量还受在途外运、处置和更正影响。"
    ),
    "P2O5 output above allowance": "P2O5 产量超出配额",
    "Stock increment positive": "新增堆存量为正",
    "Below trajectory": "低于消纳轨迹",
    "Generation inconsistent with P2O5": "产生量与 P2O5 产量不符",
    "Ledger entries": "台账条目",
    "all kinds": "全部类型",
    "Harmlessly treated": "无害化处理量",
    "Consumed": "综合消纳量",
    "Disposed": "处置量",
    "Dispatched": "外运量",
    "Corrections": "更正",
    "P2O5 output": "P2O5 产量",
    "Opening survey": "期初测绘",
    "Every entry that moves stock": "影响堆存量的全部条目",
    "Utilised": "综合利用量",
    "Generation": "产生",
    "Dispatch": "外运",
    "Utilisation": "利用",
    "Treatment": "无害化处理",
    "Disposal": "处置",
    "Correction": "更正",
    "ledger": "台账",
    "entries": "条",
    "Stock effect": "堆存变动",
    "Hash": "哈希",
    "receipt": "收货确认",
    "previous": "上一页",
    "next": "下一页",
    "Ledger verification": "台账防篡改校验",
    "Every chain holds: no entry was altered, removed or added outside the app.": (
        "所有哈希链完整：没有条目在系统之外被修改、删除或添加。"
    ),
    "problems found": "处问题",
    "Sites checked": "已校验场地",
    "Entries checked": "已校验条目",
    "Heads fingerprint": "链头指纹",
    "Keep the export: it records every chain's head, to compare a later check against.": (
        "请保存导出的校验结果：其中记录了每条链的链头，可供日后比对。"
    ),
    "Entry #": "序号",
    "Entry id": "条目编号",
    "Problem": "问题",
    # marketplace pages (web/market_pages.py)
    "Assay": "化验指标",
    "Leave a parameter empty if it was not measured; plants that limit it will not take the lot.": (
        "未检测的指标请留空；对该指标有限值的工厂将不会接收此批次。"
    ),
    "Choose a material to enter its assay.": "请先选择物料，再填写化验指标。",
    "Road distance (km)": "公路距离（公里）",
    "Haul (CNY/t)": "运费（元/吨）",
    "Value (CNY)": "金额（元）",
    "Placed": "出价时间",
    "Accept this bid? It becomes a binding contract.": "接受此出价？接受后即成为有约束力的合同。",
    "Accept": "接受",
    "Reject": "拒绝",
    "Your price (CNY/t)": "您的出价（元/吨）",
    "at most": "最多",
    "Place bid": "出价",
    "Manifest": "联单号",
    "Yard": "堆场",
    "Plant": "工厂",
    "Truck": "车辆",
    "Dispatched at": "发运时间",
    "Received (t)": "实收（吨）",
    "Received at": "收货时间",
    "Note": "备注",
    "No deliveries yet.": "暂无转移联单。",
    "required": "必填",
    "Weighbridge tonnes": "地磅吨数",
    "Confirm receipt": "确认收货",
    "Accepted tonnes": "认可吨数",
    "Resolve": "处理争议",
    "— none: set the limits yourself —": "— 不选：自行设定限值 —",
    "Quality limits": "质量限值",
    "Prefilled from the use's typical limits; change them to your plant's own. Empty: no limit.": (
        "已按该用途的典型限值预填，可改为本厂要求；留空表示不限。"
    ),
    "Minimum": "下限",
    "Maximum": "上限",
    "Choose a material to set its quality limits.": "请先选择物料，再设定质量限值。",
    (
        "Bids on your lots, side by side. Accepting one makes a contract and reserves its "
        "tonnes; bids that no longer fit go on hold."
    ): ("各批次收到的出价并列比较。接受出价即生成合同并预留吨数；余量不足的出价自动挂起。"),
    "Lot": "批次",
    "No bids on your lots yet.": "您的批次暂无出价。",
    "Withdraw": "撤回",
    "Contract": "合同",
    "Remaining (t)": "未发运（吨）",
    "Signed": "签订",
    "Closed": "完结",
    "Dispatch under a transfer manifest": "按转移联单发运",
    "Manifest number": "联单编号",
    "Truck plate": "车牌号",
    "China Standard Time": "北京时间",
    "Disputed deliveries": "有争议的联单",
    "Confirm receipts": "去确认收货",
    (
        "The weighbridge differs from the manifest beyond the tolerance. Settle on the tonnes "
        "both sides accept; only then does the delivery count as utilised."
    ): ("地磅吨数与联单差异超出允许范围。请按双方认可的吨数处理；处理后方计入综合利用量。"),
    "Stockpile ledger": "堆存台账",
    "Register a yard first.": "请先登记堆场。",
    "Balance": "结存",
    "No ledger entries yet": "暂无台账记录",
    "Record an entry": "登记台账",
    "A correction may be negative": "更正可为负数",
    "Survey, report or contract behind the entry; required except for generation and P2O5 output": (
        "对应的盘点、报告或合同；产生量与P2O5产量以外必填"
    ),
    "Record": "登记",
    "Entries": "台账记录",
    "Recorded at": "记录时间",
    "Haul limit (km)": "运距上限（公里）",
    "open-ended": "不限",
    "Lab report reference": "检测报告编号",
    "Sampling date": "取样日期",
    "Version": "版本",
    "updated": "更新于",
    "Value": "数值",
    "not measured": "未检测",
    "Withdraw this lot? Contracts already made stand.": "撤回此批次？已签合同仍然有效。",
    "Withdraw the lot": "撤回批次",
    "Bids on this lot": "本批次的出价",
    "No bids yet.": "暂无出价。",
    "Where could this lot go?": "这批废物可以去哪里？",
    (
        "Open intake offers that could take it, cheapest landed cost first (asking price + "
        "haulage per tonne)."
    ): ("可接收此批次的收纳报价，按到厂成本（报价 + 每吨运费）从低到高排列。"),
    "Place": "地点",
    "Landed cost (CNY/t)": "到厂成本（元/吨）",
    "Plant price (CNY/t)": "工厂报价（元/吨）",
    "CO2 (kg/t)": "运输CO2（千克/吨）",
    "No open offer can take this lot now.": "目前没有可接收此批次的报价。",
    "Not eligible": "不符合条件",
    "Why not": "原因",
    "Edit the lot": "修改批次",
    "Available from": "可供起始",
    "Available until": "可供截止",
    "Save changes": "保存修改",
    "History": "修改记录",
    "Change": "变更",
    "By": "操作人",
    "When": "时间",
    "Each row is the lot as it was before the change.": "每行为变更前的批次内容。",
    "Match run": "撮合运行",
    "lots": "个批次",
    "offers": "个报价",
    "solve time": "求解用时",
    "Matched (t)": "撮合（吨）",
    "Unmatched (t)": "未撮合（吨）",
    "Haulage cost (CNY)": "运输费用（元）",
    "Tonne-km": "吨公里",
    "Haulage CO2 (t)": "运输CO2（吨）",
    "Parameters": "参数",
    "Unmatched lots and why": "未撮合批次及原因",
    "Reasons": "原因",
    "Every open tonne was matched.": "所有可供吨数均已撮合。",
    "Run now": "立即运行",
    (
        "Solves over every open lot and intake offer: first the most priority-weighted tonnes, "
        "then the least haulage cost."
    ): ("对全部可供批次和收纳报价求解：先使按优先级加权的吨数最大，再使运输费用最小。"),
    "Start a match run": "开始撮合",
    "Schedule": "定时运行",
    "Run every N hours (0 = off)": "每 N 小时运行一次（0 = 关闭）",
    "Scheduled every": "定时：每",
    "hours": "小时",
    "next due": "下次",
    "now": "现在",
    "Scheduled runs are off.": "定时运行已关闭。",
    "last run": "上次运行",
    "Scheduled runs": "定时运行",
    "every": "每",
    "off": "关闭",
    "Started": "开始时间",
    "Trigger": "触发方式",
    "Solve time (ms)": "用时（毫秒）",
    "Post a lot": "发布批次",
    "Negative: you pay the recycler to take it": "负数：由您向利用单位付费",
    "Empty: no limit of yours": "留空：不设限",
    "Post the lot": "发布",
    "My intake offers": "我的收纳报价",
    "Withdraw this offer? Contracts already made stand.": "撤回此报价？已签合同仍然有效。",
    "Post an intake offer": "发布收纳报价",
    "Register a plant first.": "请先登记工厂。",
    "Period start": "期间起",
    "Period end": "期间止",
    "What you pay per tonne; negative: you charge a gate fee": (
        "每吨支付的价格；负数：向产废单位收取处置费"
    ),
    "Empty: no limit": "留空：不限",
    "Post the offer": "发布报价",
    "Open offers": "有效报价",
    "Register a plant": "登记工厂",
    "WGS-84, e.g. 24.92": "WGS-84，如 24.92",
    "WGS-84, e.g. 102.48": "WGS-84，如 102.48",
    "Register": "登记",
    "match run": "撮合运行",
    (
        "What the latest match run proposes for your plants. Landed cost is the producer's "
        "asking price plus haulage per tonne; margins show how far the lot's assay is inside "
        "your limits."
    ): (
        "最近一次撮合为您的工厂提出的方案。到厂成本 = 产废单位报价 + 每吨运费；余量表示批次化验值"
        "距您的限值还有多远。"
    ),
    "Your offer price (CNY/t)": "您的报价（元/吨）",
    "Limit": "限值",
    "Margin": "余量",
    "Your offer sets no quality limits.": "您的报价未设质量限值。",
    "Your bid": "您的出价",
    "Route": "运输路线",
    "No proposals for you in the latest match run.": "最近一次撮合没有与您相关的方案。",
    "Receipts to confirm": "待确认收货",
    (
        "Deliveries dispatched to your plants. Enter the weighbridge tonnes; a difference beyond "
        "the tolerance marks the delivery disputed until the producer settles it."
    ): ("已发往您工厂的联单。请填写地磅吨数；差异超出允许范围时联单标为争议，待产废单位处理。"),
    "Nothing waiting for you.": "暂无待确认的联单。",
    "Received": "已收货",
    "My yards": "我的堆场",
    "Stock by material (t)": "各物料堆存量（吨）",
    "Register a yard": "登记堆场",
    "Harmless treatment": "无害化处理",
    "Own use (documented)": "自行利用（有凭证）",
    "accepted": "已接受",
    "on_hold": "挂起",
    "rejected": "已拒绝",
    "active": "执行中",
    "cancelled": "已取消",
    "dispatched": "已发运",
    "received": "已收货",
    "disputed": "有争议",
    "optimal": "最优",
    "feasible": "可行",
    "infeasible": "无解",
    "manual": "手动",
    "schedule": "定时",
    "demo": "演示",
    "edit": "修改",
    "withdraw": "撤回",
    "awaiting decision": "待决定",
    # lists: paging, filters, sorting (web/paging.py, _pager.html)
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


def translate(text: str, lang: str) -> str:
    if lang == "zh":
        return ZH.get(text, text)
    return text


def pick_lang(value: str | None) -> str:
    return value if value in LANGS else DEFAULT_LANG


# The planner and siting pages (web/templates/planning).
ZH.update(
    {
        "Drawdown planner": "存量消纳规划",
        "Month by month, how far the open intake offers can draw the stockpiles down: the most "
        "tonnes first, as early as possible, then the shortest hauls.": "逐月测算现有收纳报价能把"
        "堆存量消纳到什么程度：先求消纳吨数最多，再求尽早消纳，最后求运距最短。",
        "Horizon (months)": "规划期（月）",
        "Assume offers are renewed at the same rate after their period": (
            "假设报价到期后按原速率续签"
        ),
        "Run the planner": "运行规划",
        "Solving…": "求解中…",
        "Plan from": "规划起始",
        "months": "个月",
        "Assumptions": "测算假设",
        "Stock: the ledger balance today.": "堆存量：台账当前结存。",
        "Generation and own use (own use, treatment, disposal): averages of the last six complete "
        "months.": "产生量与自行消纳（自行利用、无害化处理、处置）：最近六个完整月的平均值。",
        "Capacity: each open offer's open capacity spread evenly over its remaining months": (
            "产能：每个有效报价的剩余产能平均分摊到其剩余各月"
        ),
        ", renewed at the same rate after its period": "，到期后按原速率续签",
        "Quality: the assays of each yard's open lots (else its latest lot), in proportion to "
        "their tonnes; an offer's spec and both haul limits apply as in a match run.": (
            "品质：按各堆场在售批次（无则最近一批）的化验结果及其吨数比例；"
            "报价的品质要求和双方运输半径与撮合运行相同。"
        ),
        "Stock now": "当前堆存量",
        "t": "吨",
        "Stock at the horizon": "规划期末堆存量",
        "Drawn down by the offers": "报价消纳量",
        "Province stock reaches zero": "全省堆存清零",
        "not within the horizon": "规划期内无法清零",
        "Intake needed per month to empty it by the horizon": "期末清零所需月消纳量",
        "offered now": "当前报价",
        "Producers": "产废单位",
        "Stock now (t)": "当前堆存（吨）",
        "Stock at the horizon (t)": "期末堆存（吨）",
        "Change (t)": "变化（吨）",
        "Stock reaches zero": "堆存清零月份",
        "Generation (t/month)": "产生量（吨/月）",
        "Own use (t/month)": "自行消纳（吨/月）",
        "Drawn down (t)": "消纳量（吨）",
        "grades": "个品级",
        "No stock of these materials on the ledger.": "台账上没有这些物料的堆存。",
        "Bottleneck plants": "瓶颈工厂",
        "Plants whose offers are full in most months they run: the binding constraints of the "
        "plan. The last columns re-solve the plan with 10 % more capacity at the plant.": (
            "多数月份报价产能被用满的工厂，即制约消纳的约束；"
            "最后两列为该厂产能增加 10% 后重新求解的结果。"
        ),
        "Shipped (t)": "运出（吨）",
        "Months full": "满负荷月数",
        "+10 % capacity: extra drawdown (t)": "产能 +10%：新增消纳（吨）",
        "t drawn per t added": "每吨新增产能消纳",
        "No plant is full in most of its months: the offers are not what holds the drawdown "
        "back.": "没有工厂在多数月份满负荷：制约消纳的不是报价产能。",
        "Other plants": "其他工厂",
        "Stock month by month": "逐月堆存量",
        "Siting a new plant": "新建利用工厂选址",
        "Where would a new plant absorb the most stock? Each candidate is tried in a full "
        "re-solve of the matching; candidates in or near a protected zone are left out.": (
            "新建工厂建在哪里能消纳最多堆存？每个候选点都重新求解一次撮合；"
            "位于保护区内或缓冲距离内的候选点被排除。"
        ),
        "Capacity (t/year)": "产能（吨/年）",
        "Stock to absorb": "消纳对象",
        "Open lots on the market": "平台在售批次",
        "The yards' whole ledger stock": "堆场台账全部堆存",
        "Quality the plant needs": "工厂品质要求",
        "Any assay": "不限",
        "the typical limits of an end use, from the catalogue": "按物料目录中该用途的典型指标",
        "Protected zones (GeoJSON, WGS-84)": "生态保护区（GeoJSON，WGS-84）",
        "choose the file again to resend it": "重新提交请再次选择文件",
        "Keep-out buffer (km)": "避让缓冲距离（公里）",
        "Candidate sites (optional; one per line: name, lat, lon — default: the 129 county "
        "centres)": "候选厂址（可选；每行：名称, 纬度, 经度；默认为全省 129 个县区中心）",
        "Rank the sites": "排序候选厂址",
        "t/year": "吨/年",
        "Matched today without it": "现有撮合量",
        "Left unmatched today": "现有未撮合量",
        "Best site": "最优厂址",
        "absorbs": "新增消纳",
        "Candidates: ranked / out of reach / excluded": "候选点：参与排序 / 无可达堆存 / 被排除",
        "Protected zones": "保护区",
        "buffer": "缓冲距离",
        "repaired": "已修复",
        "Ranked sites": "候选厂址排序",
        "Absorbed: tonnes matched with the new plant that are not matched without it. Ties go to "
        "the lower total haulage.": (
            "新增消纳：有新厂时能撮合、没有新厂时撮合不了的吨数；相同时运费总额低者优先。"
        ),
        "Where": "位置",
        "Absorbed (t)": "新增消纳（吨）",
        "Its intake (t)": "新厂收纳（吨）",
        "Mean haul (km)": "平均运距（公里）",
        "Total haulage (CNY)": "运费总额（元）",
        "Main sources": "主要来源",
        "No candidate can reach stock it could take.": "没有候选点能运到可收纳的堆存。",
        "and": "另有",
        "more ranked sites (the API lists them all)": "个候选点（API 返回完整列表）",
        "Excluded: in or near a protected zone": "被排除：位于保护区内或缓冲距离内",
        "Zone": "保护区",
        "Distance (km)": "距离（公里）",
        "inside": "区内",
        "Out of reach of any stock it could take": "运输半径内无可收纳堆存",
        "candidates": "个候选点",
        "re-solved": "次重新求解",
        "Candidate sites on the map": "候选厂址地图",
        "steady supply": "货源充足",
        "re-solve": "重新求解",
    }
)

# Comparing the ledger with a checkpoint (web/templates/regulator/verify.html).
ZH.update(
    {
        "Compare with a checkpoint": "与检查点比对",
        "The chains cannot show a chain rewritten whole, or cut short with an older head put back. "
        "Upload the JSON export of an earlier check: each yard's entry at that check's head must "
        "still be there with the same hash.": (
            "仅凭哈希链发现不了整条链被重写、或被截短后放回旧链头的情况。上传此前一次校验导出的 "
            "JSON：每个堆场在那次校验时的链头条目必须仍在，且哈希不变。"
        ),
        "Earlier check (JSON export)": "此前的校验（JSON 导出）",
        "The file was not read": "文件未能读取",
        "Compare": "比对",
        "Nothing recorded up to the checkpoint has changed; at most, entries were appended "
        "after it.": "检查点之前记录的内容均未改动，此后至多只是追加了条目。",
        "yards changed before the checkpoint": "个堆场在检查点之前的内容被改动",
        "and the chains do not hold (above)": "且哈希链校验未通过（见上）",
        "Unchanged": "未变",
        "Extended": "有追加",
        "New since the checkpoint": "检查点后新增",
        "Rewritten": "被重写",
        "Truncated": "被截短",
        "Site missing": "堆场缺失",
        "Fingerprint of the uploaded heads": "所上传链头的指纹",
        "It equals the heads fingerprint shown when the checkpoint was taken, unless the file was "
        "changed since.": "若文件此后未被改动，它应与保存检查点时页面显示的链头指纹相同。",
        "At the checkpoint": "检查点时",
        "Now": "现在",
        "Detail": "说明",
        "Entry #%s has another hash: it or an entry before it was rewritten.": (
            "条目 #%s 的哈希已不同：该条目或其之前的条目被重写。"
        ),
        "at the checkpoint": "检查点时",
        "The head was put back before entry #%s of the checkpoint.": (
            "链头被退回到检查点的条目 #%s 之前。"
        ),
        "Entry #%s is gone; the chain now ends at #%s.": "条目 #%s 已不存在；该链现止于 #%s。",
        "No entry and no head remain for this yard.": "该堆场的条目和链头均已不存在。",
        "Entries #%s–#%s were appended since.": "此后追加了条目 #%s–#%s。",
        "Entry #%s was appended since.": "此后追加了条目 #%s。",
        "Not in the checkpoint.": "检查点中没有该堆场。",
        "more yards (the API lists them all)": "个堆场未列出（API 返回完整列表）",
    }
)

# Trusted figures: reporting months, corrections, claims, disputes (web/trust_pages.py,
# web/templates/trust/).
ZH.update(
    {
        "evaluator": "第三方评价机构",
        "Evaluator": "第三方评价机构",
        "Monthly reports": "月报",
        "Monthly report": "月报",
        "Monthly report review": "月报审核",
        "Review": "审核",
        "Open": "查看",
        "Month": "月份",
        "Due": "报送截止",
        "Due day": "报送截止日（次月）",
        "due": "截止",
        "Submitted at": "报送时间",
        "Approved": "审核通过",
        "Approved by": "审核人",
        "Submit": "报送",
        "Next month to submit": "下一个待报送月份",
        "No ended month is waiting to be submitted.": "没有待报送的已结束月份。",
        "in progress": "本月未结束",
        "not submitted": "未报送",
        "submitted": "已报送",
        "approved": "已通过",
        "returned": "已退回",
        "resubmitted": "重新报送",
        "restated": "已更正",
        "pending": "待认定",
        "attested": "已认定",
        "overdue": "逾期",
        "Overdue": "逾期未报",
        "Returned because": "退回原因",
        "Each month is submitted once it has ended, in order, by the due day of the next month; "
        "a regulator approves it (the month locks and is sealed) or returns it with a reason. "
        "A locked month changes only through a correction a regulator approves.": (
            "每月结束后按月份顺序报送，截止日为次月的报送截止日；主管部门审核通过（该月锁定并签章）"
            "或附原因退回。已锁定的月份只能通过主管部门批准的更正来修改。"
        ),
        "Ended months past their due day that the producer has not submitted (or has not "
        "resubmitted after a return).": (
            "已过报送截止日、产废单位仍未报送（或退回后未重新报送）的月份。"
        ),
        "Months the producers have submitted, oldest first. Approving locks and seals the month; "
        "returning sends it back with your reason.": (
            "产废单位已报送的月报，按月份从早到晚排列。审核通过即锁定并签章；退回时须说明原因。"
        ),
        "Approve": "批准",
        "Approve and seal": "审核通过并签章",
        "Return to the producer": "退回产废单位",
        "Reason": "原因",
        "Optional; kept with the approval": "选填，随审核记录保存",
        "What the producer must fix before resubmitting": "产废单位重新报送前需要改正的内容",
        "What changed since the previous month": "与上月相比的变化",
        "This month (t)": "本月（吨）",
        "Previous month (t)": "上月（吨）",
        "The month's entries": "本月台账条目",
        "Evidence": "证明材料",
        "Evidence file": "证明材料文件",
        "document": "文件",
        "uploaded as document": "已上传为文件",
        "Attestation": "认定",
        "correction": "更正",
        "Pending own-use claims": "待认定的自报量",
        "Pending corrections of this yard": "该堆场待审核的更正",
        "Corrections": "更正",
        "Correction review": "更正审核",
        "Approving appends the correction to the ledger on the month's last day (never an edit) "
        "and seals the month again; the 以用定产 table marks the period restated.": (
            "批准后，更正以新条目追加到该月最后一天的台账（不修改原条目），并重新签章；"
            "以用定产表将该期间标为已更正。"
        ),
        "Ask for a correction to a submitted or approved month. A regulator approves it; the "
        "correction is appended to the ledger on the month's last day and the month sealed "
        "again.": (
            "对已报送或已通过的月份申请更正。经主管部门批准后，更正追加到该月最后一天的台账，"
            "并重新签章。"
        ),
        "Ask for the correction": "申请更正",
        "Corrections are asked for submitted or approved months; post to the ledger for an open "
        "month.": "更正只针对已报送或已通过的月份；未报送的月份请直接登记台账。",
        "Figure": "更正项目",
        "Stock correction": "堆存量更正",
        "Signed: negative lowers the figure": "可正可负：负数表示调减",
        "Asked by": "申请人",
        "Decided by": "审核人",
        "Decision": "认定",
        "Own-use claims": "自报量认定",
        "Attested": "已认定",
        "Attest": "认定属实",
        "Required to reject": "驳回时必填",
        "Own use and harmless treatment the producers you evaluate claim themselves.": (
            "由您评价的产废单位自行申报的利用量和无害化处理量。"
        ),
        "A claim counts toward utilisation and treatment only once attested; a rejected claim "
        "stays in the ledger, counted as zero, with your note.": (
            "自报量经认定后才计入综合利用量和无害化处理量；被驳回的自报量保留在台账中，按零计，"
            "并附您的意见。"
        ),
        "The weighbridge differs from the manifest beyond the tolerance. The parties settle when "
        "both propose the same figure; where they do not agree, a regulator decides the tonnes, "
        "and only then is the utilisation written.": (
            "地磅吨数与联单差异超出允许范围。双方提出相同吨数即达成结算；双方不能达成一致时由主管部门"
            "裁定吨数，此后才计入综合利用量。"
        ),
        "No figure proposed yet.": "尚无任何一方提出吨数。",
        "Decided tonnes": "裁定吨数",
        "Arbitrate": "裁定",
        "Required for own use and harmless treatment: PDF, JPEG, PNG or XLSX, at most 10 MB": (
            "自行利用和无害化处理必须上传：PDF、JPEG、PNG 或 XLSX，不超过 10 MB"
        ),
    }
)

# The 以用定产 table's report columns and flags (web/templates/regulator/phosphogypsum.html).
ZH.update(
    {
        "Monthly report overdue": "月报逾期",
        "Restated by a correction": "经更正重述",
        "All months approved": "各月均已审核",
        "Partly approved": "部分月份已审核",
        "No month approved": "无已审核月份",
        "Claimed, not attested": "自报未认定量",
        "Restatements": "更正记录",
        "asked by": "申请人",
        "approved by": "批准人",
        "why": "原因",
    }
)

# Settling a disputed delivery (web/templates/market/_resolve_form.html).
ZH.update(
    {
        "Tonnes you propose": "您提出的结算吨数",
        "awaiting review": "待审核",
        "Seal": "电子签章",
        "Public key": "验章公钥",
        "The signed statement, to verify offline with the public key": "签章声明，可用公钥离线验证",
        "Propose settlement": "提出结算",
        "The delivery settles when the other party proposes the same figure; otherwise a "
        "regulator decides.": "对方提出相同吨数即完成结算；双方不一致时由主管部门裁定。",
    }
)

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
