"""The field language's words, as data: what marks completion, a blocker, a question, a forecast, a
measurement, an approximate amount. commands/field.py reads messages with these; a maintainer extends a list here.

Each entry is a regular-expression fragment matched case-insensitively on the normalized message (NFKC: full-width
forms are ASCII already). English fragments are matched as whole words."""

from __future__ import annotations

import re

# English fragments are whole words where a match begins or ends with a letter ("done" is not "undone", "hold" not
# "holder", "signed" not "assigned"), whatever the fragment starts with (a group, a lookbehind). Fragments with
# Chinese in them are left as written: they touch Latin words on purpose ("等 parts").
_WORD_EDGE = r"(?:(?<![A-Za-z])|(?![A-Za-z]))"  # a match never begins or ends between two letters


def _words(*fragments: str) -> re.Pattern[str]:
    """One alternation, the English fragments bounded as whole words."""
    parts = [f"{_WORD_EDGE}(?:{f}){_WORD_EDGE}" if f.isascii() and "\\u" not in f else f for f in fragments]
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


# The task is complete.
DONE = _words(
    "已?完成了?(?!度|率|情况)", "已?完工了?", "竣工了?", "搞定了?", "弄完(?!成)了?", "搞完(?!成)了?", "做完(?!成)了?", "干完(?!成)了?", "装完(?!成)了?", "修完(?!成)了?", "调完(?!成)了?",
    "收尾(?:都|已经?)?结束了?", "收完尾了?", "^\\s*wrapped(?=\\s*(?:[,，.。!！]|$))", "完事了?(?!吗|没)", "全部结束了?", "全部完成了?", "都完成了", "都搞定了", "全搞定了", "交付了",
    "已\\s*ok", "作好了", "knocked out", "[铺装做干弄修调焊刷拆挖浇砌接布拉贴封灌清换测写改挂喷埋洗擦]完(?!成)了?", "(?:弄|做|搞|修|装|调|换|挂|都|全)好了", "^\\s*完了(?=\\s*(?:[,，。!！✅]|$))", "^\\s*(?:完|好了)(?=\\s*[。!！✅]*\\s*$)", "done", "all done", "finished", "completed?", "wrapped up", "wraped up", "wrap(?:ped)? ?up\\s*了", "all set", "closed out",
    "is complete", "task complete", "完城了?", "完陈了?", "(?:both|all|is|are|has been|have been) wrapped(?: up)?(?![A-Za-z])", "已(?:经)?处理(?!中|一下)(?:完毕|好了|了)?", "finish (?:install(?:ation|ing)?|all)(?![A-Za-z])", "(?:all |already )finish(?![A-Za-z])", "済み", "已完了(?!吗|没)", "(?<=[\u4e00-\u9fff])(?<!这下)(?<!那下)(?<!没)(?<!不)(?<!开)完了(?=\\s*(?:[,，。!！;；✅🎉]|$|但|可是|不过))", "finsihed", "finihsed", "finshed", "fnished",
    "compelted", "出片了", "(?<![A-Za-z])rebuilt(?![A-Za-z])", "(?<![未没不])封顶了?", "finaled", "complted", "complated", "compleet", "completd", "complet", "compelte", "complte", "comlete", "compete(?=\\s*[.!。！]*$)", "finishd", "finised", "完[层承呈乘诚]了", "dnoe", "is finish(?: already)?", "finish already", "already finish(?:ed)?", "搞[订顶丁]了?", "finish\\s*了", "搞掂", "妥了", "齐活了?", "搞掂咗", "[搅攪]掂", "整完了?", "整好了", "弄利索了?", "(?<!未)(?<!没)完毕", "已交付",
    "交付完(?:成|毕)?", "done and dusted", "(?<![A-Za-z])(?:all|both)\\s+(?:[a-z]+ed\\s+)?finish(?=\\s*(?:[,.!✔✅]|$|了))", "^\\s*finish(?=\\s*(?:[,.!✔✅]|$|了))", "all wrapped up", "(?:that|it)'?s a wrap(?! for)",
)
# Words right after a completion word that make it partial or a share ("完成了一半", "完成了3个", "done with part 1").
DONE_PARTIAL_AFTER = re.compile(
    r"^\s*[0-9]+\s*$|^[^,，。;；!！了]{1,10}?(?:以后|之后)|^\s*还(?:得|要|需要?)|^\s*(?:了)?\s*(?:后|以后|之后|再|才|前|之前|就(?!差|剩|只)|的话|第|一部分|部分|一半|大半|[0-9一二两三四五六七八九十]+\s*(?:个|台|套|米|根|条|处|层|段|批|项|件|%|成)"
    r"|with (?:the )?(?:first|second|part|phase|stage|half)|the first|part|phase|stage|half"
    r"|by (?:mon|tue|wed|thu|fri|sat|sun|tomorrow|tmrw?|tonight|noon|eod|cob|end|next|the end|then)"  # a date: a plan
    r"|after (?:lunch|the break|dinner|this|that)|later today|tonight"
    r"|(?:周|星期|礼拜)[一二三四五六日天]前|(?:明天|月底|年底|下(?:周|个?礼拜|个?星期))(?:前|之前))",
    re.IGNORECASE,
)
# After a completion word, what is left out of it ("finished except the labels", "完成了，除了标签"): asked.
# After a completion, another part not begun ("… 完成了 frame还没开始"): one part done, asked.
PENDING_AFTER = re.compile(r"还\s?差\s*[0-9一二三四五六七八九十]+\s*[号个台]|(?<![A-Za-z])(?:certs?|certificates?|reports?|paperwork|docs?|documents?)\s+(?:to follow|still (?:to come|pending|outstanding))|(?:还没|没有?|尚未)(?:有)?(?:开始|开工|动|做|弄|装|测|调|试|验)|(?<![A-Za-z])(?:not (?:yet )?started|hasn'?t (?:been )?started)"
                           r"|(?<![0-9])[0-9]+\s+[A-Za-z]+\s+(?:left|remaining|to go|outstanding)(?![A-Za-z])|还有\s*[0-9]+\s*个",
                           re.IGNORECASE)
EXCEPT_AFTER = re.compile(r"^\W{0,3}\s*(?:(?:except|apart from|other than|besides|but not|minus|除了|只差|就差|还差|只剩|还剩|不对|不是|no wait|wait no|actually,? no)(?![A-Za-z])"
                          r"|bar(?:ring)? the (?=[A-Za-z])"
                          r"|(?:just|only) (?:the |a |some )?[A-Za-z][\w&/ -]{0,30}? (?:to (?:send|submit|go|do|finish|sign)|left|outstanding|remaining)(?![A-Za-z])"
                          r"|剩下?(?!余)(?=\s*[A-Za-z\u4e00-\u9fff]))",
                          re.IGNORECASE)
# A completion word that is a percent's label ("完成80%", "完成度") or names a plan, not a fact.
DONE_NOT_FACT_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:nothing|little|not much)\s+(?:could|can|will|was|got)\s+(?:be\s+)?(?:got\s+)?\s*$|快|快要|就要|即将|马上|差不多|基本|基本上|接近|将近|预计|争取|能|会|要|准备|计划|必须|得|需要|"
                                  r"应该|这周|本周|下(?:周|个?礼拜|个?星期)|明天|后天|今晚|月底|大部分|大多|一部分|部分|not|almost|nearly|about to|"
                                  r"(?:能|会|要|得|可以|争取|准备|打算|计划)把[^,，。;；]{0,30}|(?:周|星期|礼拜)[一二三四五六日天](?:前|之前)|[0-9]{1,2}[号日](?:前|之前)|周末|年底|节前|节后|过两天|过几天|改天|(?:计划|争取|预计|打算|目标)\S{0,6}|soon|will be|should be|must be|must|need to|needs to|have to|has to|by|mostly|partly|maybe|might be|might|i (?:think|guess|believe|reckon)(?: (?:it|that)(?:'s| is| was))?|我觉得|我估计|probably|hopefully|possibly|可能|也许|估计|或许|大概)\s*$",
                                  re.IGNORECASE)

# Not complete: never a completion write.
NOT_DONE = _words(
    "(?:还没|没有?|未|尚未|还未|木有|没得)(?:有)?[铺装做干弄修调焊刷拆挖浇砌接布拉贴封灌清换测写改挂喷埋洗擦]完", "(?:还没|尚未|还未)[\u4e00-\u9fff]{2}完(?!成)", "(?:还没|没有?|未|尚未|还未|木有|冇|唔|没得)\\s*(?:有)?\\s*(?:完成|完城|完工|竣工|做完|弄完|干完|搞完|搞定|搞掂|装完|修完|结束|[弄做搞装修调]?好)",
    "不算完", "没完全\\s*(?:finish(?:ed)?|done|完成|做完|弄完|好)", "(?<![A-Za-z])un-?finished", "not (?:\\w+ )?(?:done|finished|complete|completed|there)", "(?:nowhere near|far from|not even close to|not close to) (?:\\w+ )?(?:done|finished|complete|completed)",
    "(?:haven'?t|hasn'?t|didn'?t|not yet) (?:\\w+ )?(?:finished|done|completed|wrapped up)", "(?:还没|没有?|未|木有)\\s*(?:done|finished|finish|complete|ok)",
    "还没完成", "没完成", "未完成", "还没做完", "没做完", "还没弄完", "没弄完", "还没好", "没好", "还没搞定", "没搞定",
    "还没干完", "没干完", "尚未完成", "not done(?: yet)?", "not finished(?: yet)?", "not yet (?:done|finished|complete)",
    "isn'?t done", "isn'?t finished", "not complete", "incomplete", "unfinished", "not quite done",
    # English negation before Chinese completion, typed mixed ("not yet 完成").
    "(?:not yet|not|haven'?t|hasn'?t|didn'?t|never)\\s*(?:完成|完工|做完|弄完|干完|搞定|装完|好)",
)

# The day ends, not the task.
DAY_END = _words(
    "that'?s a wrap for (?:today|the day|tonight)",     "今天先到这(?:里|儿)?", "今天就到这(?:里|儿)?", "(?:今天)?(?:就|先)?干到这(?:里|儿)?", "(?:今[天日]\\s*)?到此为止", "今天就这样吧?", "今[天儿]?(?:先)?撤了", "先到这(?:里|儿)?", "今天收工", "收工了?", "下班了?",
    "done for (?:today|the day|now|tonight|the (?:shift|night))", "(?:end of|that'?s the) shift", "(?:今天)?先这样", "today'?s done", "today'?s (?:work|part|bit|shift|stuff|lot) (?:is )?(?:done|finished|complete)", "back tomorrow", "明天(?:再|继续)", "finished for (?:today|the day)", "calling it a day", "call it a day",
    "that'?s (?:it|all) for (?:me )?(?:today|the day|tonight)", "stopping for (?:today|the day|now)", "wrap(?:ped|ping)? (?:it |things )?up for (?:today|the day|tonight)",
    "signing off", "knock(?:ing|ed)? off(?: now| for the day)?", "clocking out", "that'?s me (?:done )?for (?:today|the day|tonight)", "that'?s me done(?: for)? (?:today|for the day|tonight)",
)

# A question: nothing is written; the task's status is shown.
QUESTION_END = re.compile(r"[?？]|吗(?=[\s,，])|(?:了没有?|完没有?|好没有?)\s*(?:啊|呀|呢|哇)?(?=[\s,，。!！]|$)|是不是|是否|有没有|哪个|什么时候|啥时候|何时|几时|几点|要不要|能不能|(?<![A-Za-z])right\s*$|(?<![A-Za-z])(?i:i (?:take it|assume|presume|suppose))\s*[.?]*\s*$|对吧|哪一个|(?<![A-Za-z])who(?![A-Za-z])|(?<!of )(?<![,，] )(?<![,，])(?<![A-Za-z])which(?![A-Za-z])(?!\s+(?:is|are|was|were|means|meant|has|have|had)(?![A-Za-z]))|(?:吗|么|嘛|(?<!着)呢|了没|(?<![也都])没有|(?<![也都])没|好没|完没|是不是|对不对)\s*[!！]*\s*(?:@[^\s@]{1,64}\s*)*$")
QUESTION_WORDS = re.compile(r"[?？]|吗|干嘛|干什么|什么|怎么|如何|是啥|啥|(?<![A-Za-z])(?:how|what|why|which|when)(?![A-Za-z])",
                            re.IGNORECASE)
QUESTION_START = re.compile(
    r"^(?:is|has|did|are|was|will|can|could|does|do|should|how|what|when|where|why|who|any)\s"
    r"|^(?:请问|问下|问一下|是否|有没有|是不是|能不能|什么时候|怎么|多少|几)", re.IGNORECASE)

# The blocker is gone.
UNBLOCK = _words(
    "已经?解决", "(?:(?<![A-Za-z])permit|物业|业主|甲方|监理|计划|审批|手续|许可证?|工作票|作业票|申请)\\s*(?:已经?)?批(?:下来|复)?了", "(?:解除|取消)挂起", "blocker'?s? (?:is )?(?:gone|cleared|removed)", "(?:材料|配件|material|materials|parts?|steel|cable|crane|permit)\\s*(?:has |have )?(?:arrived|delivered|approved)(?![A-Za-z])", "weather'?s? (?:has )?clear(?:ed|ing)(?: up)?", "back on the (?:tools|roof|road|job|tower|deck)", "(?:rain|storm|wind|snow|fog|lightning)\\s+(?:has\\s+)?(?:cleared|stopped|passed|eased|lifted|moved on)(?=\\s*(?:[,，.;!]|$|and |so ))", "雨过天晴", "恢复(?:生产|作业)", "(?:线|机器|设备|产线)?重新开起来了", "(?:雨|风|台风)过去了", "works? (?:resumes?|resumed|resuming)", "resum(?:e|ed|ing) (?:the )?works?", "we are back(?: in business| on(?: it)?)?(?![A-Za-z])", "we'?re back(?: in business| on(?: it)?)?(?![A-Za-z])", "解决了", "问题解决", "解除阻塞", "不卡了", "不堵了", "以解决", "(?<![还再])不等\\S{1,4}了", "(?<=[\\u4e00-\\u9fff])那边(?:已经?)?(?:搞定|弄好|办好|批下来|批)了", "(?<![还再])不等了", "不(?:再)?缺(?:料|货|人|件|材料|配件)了", "可以继续了?", "可以\\s[浇铺装焊吊干做拉挖]了", "(?:已经|已)恢复(?![了0-9])", "可以出(?:海|工)了", "天气(?:好|转好)了", "可以往下(?:做|走|推|干)了", "(?:海况|(?<![A-Za-z])(?:sea state|swell|weather|wind|visibility))\\s*(?:也)?\\s*(?:好|转好|ok)了", "(?:line|plant|machine|production) (?:is )?running again", "arrived\\s*了", "可以进\\S{0,3}了", "(?:钥匙|许可证?|门禁卡|工作票|证书)\\S{0,2}(?:拿到了|到手了)", "(?<![A-Za-z])(?:the )?hold (?:is|was|has been) (?:lifted|released|removed)", "arrived[,，]?\\s*(?:so )?(?:carrying on|continuing|resuming)", "(?:we'?re|we are) back on(?: it| track)?", "(?:修好|修复|弄好|搞好)了?\\s*[,，]?\\s*(?:可以|能)?(?:继续|接着)", "(?:fault|issue|problem|error|alarm|trip)s? (?:(?:is|are|was|got|been|has been) )*(?:sorted|fixed|resolved|cleared)(?: out)?", "(?:we )?can (?:carry on|continue|proceed|resume)(?! (?:once|when|after|if|tomorrow))", "可以开工了?", "可以干了", "恢复施工",
    "(?:问题|毛病|故障)\\S{0,4}(?:处理|解决|修)好了", "(?<![没未在等料点])到货(?=\\s*[，,。]|\\s*$)", "possession\\s*(?:已经?)?批了",
    "(?:weather )?window(?:'s| is) open(?: again)?", "不用(?:再)?等了", "不再等", "resolve\\s*了", "(?<![等到])风小了", "天晴了", "(?:也)?(?:能|可以)(?:接着|继续)(?:干|弄|做|搞)了?",
    "恢复(?:供应|供电|供水|供气|通电|送电)了", "恢复了(?!\\s*[0-9一二三四五六七八九十])", "复工了?", "配件到了", "料到了", "(?:已经?)?放行了", "材料到了", "货到了", "到货了", "零件到了", "备件到了", "签字了",
    "签好了", "批\\s?下来了", "审批\\s+下来了", "审批通过了", "(?:审批|审核|许可|报批)(?:已经?)?过了", "许可(?:证)?下来了", "(?:证|许可|permit)(?:已经?)?批(?:了|下来了)", "(?:permit|license|licence|approval|access)\\s*(?:批)?下来了", "(?:permit|access|证)(?:已经?)?(?:批)?(?:到了|下来了|办好了)", "权限开通了", "权限(?:已经|已)?开了", "天晴了", "放晴了?", "(?:来电|通电|来水|通水|来网)了", "(?<![未没])(?:电|水)(?:已经?)?来了", "(?<![天放])晴了", "(?<![大起刮台避防])风\\s?停了(?!工)(?=\\s*[,，。]|\\s*$)", "(?<![下落])雨(?:总算|终于|已经?)?停了(?!工)(?!\\s*[0-9一二两三四五六七八九十半]+\\s*个?(?:钟|小时|分钟|天|日))",
    "unblocked", "no longer blocked", "(?:not|isn'?t|aren'?t|no longer) (?:blocked|stuck|on hold|waiting)(?: any ?more| now)", "blocker (?:is )?(?:cleared|gone|resolved|removed)", "resolved", "back on track",
    "(?:parts|part|material|materials|delivery|shipment) (?:has |have )?(?:arrived|came|came in|here|delivered)",
    "(?:permit|licen[cs]e|approval|consent|permission|wayleave) (?:came|came through|approved|granted|is in)", "(?:permit|licen[cs]e|approval|consent|permission|wayleave)(?:'s| is| has)? (?:come )?through", "good to go again",
    "(?:we |you )?can (?:continue|resume|carry on|proceed)(?: again| now)?", "(?:is|are) back(?: up| on| online)?(?=\\s*(?:[,.;!]|$|and|so|we))", "(?<!hasn't )(?<!has not )(?<!not )(?<!haven't )(?<!never )(?:signed(?!\\s+(?!(?:off|by|and|so|now|today|yesterday|finally|at|this|it)(?![A-Za-z]))[A-Za-z])|resuming|resumed)",
    "回复了", "开门了", "签了(?!\\s*(?!字)[A-Za-z\u4e00-\u9fff])", "[A-Za-z]+'s here", "is here", "(?<![做干弄装达度找收看听想遇碰查])到了(?=\\s*(?:[,，。!！;；]|$|继续|可以|开工|开干|干活|进场|[\\u2600-\\u27bf\\U0001f300-\\U0001faff]))",
    "到齐了?", "到位了", "(?:料|货|材料|配件|零件|设备)(?:已经?|都)(?:到|到齐|到位)", "解除了", "blocker (?:\\w+ )?解除", "access (?:granted|sorted|restored)", "(?:access|permit|权限|证件?|许可|钥匙|门禁卡|通行证)\\s*(?:已经?)?(?:搞定|解决|弄好|办好|ok|sorted|done)了?", "got (?:the )?access",
    "can (?:continue|proceed|resume) now", "resuming work", "work resumed",
    "(?:parts?|materials?|delivery|shipment|crane|permit|access|power|stuff|steel|cable|pipes?|panels?|equipment|vendor|crew)"
    " (?:has |have |finally )?(?:showed up|turned up|landed|got here|(?:is|are) in(?=\\s*(?:[,.!;]|$))|came through)",
    "back (?:on it|at it|to work|in action|on track|underway|running)", "back (?:digging|laying|planting|pouring|welding|lifting|drilling|working)(?![A-Za-z])", "(?:parts?|materials?|stock|delivery) in(?=\\s*(?:[,.!;]|$))", "(?<![A-Za-z])resume(?=\\s*[\u4e00-\u9fff])", "(?:确认|批)了\\s*[,，]?\\s*可以(?:下单|开工|施工|进场|干|做)", "moving again", "weather (?:has |is )?(?:cleared|cleared up|better|ok now)", "(?:flying|working|drilling|pouring|welding|lifting|digging) again", "rolling again", "up and running again",
    "(?:问题|issue|problem|blocker|故障)\\s*(?:已经?|is |has been |got |was )?\\s*(?:solved|fixed|resolved|sorted(?: out)?|cleared|gone|"
    "解决|搞定|处理好|排除|修好)", "(?:恢复|重新)(?:开工|施工|作业|干活)", "又能干了", "能继续了?", "继续(?:干|施工|作业)了",
)

# Weather that stops outdoor work (a blocker; beside a progress figure, with no word of stopping, asked).
WEATHER_WORDS = ("(?<!可能)(?<!可能会)(?<!会)(?<!要)(?<!怕)下雨", "暴雨", "大雨", "台风", "大风", "黑雨", "红雨", "热压力警告", "haze", "雾霾", "酷热天气警告", "heat stress (?:warning|alert)", "black rain", "下(?:大|暴|中)?雪", "雨天", "风太大", "风大", "high winds?",
                 "(?<!before the )(?<!before )(?<!after the )(?<!after )rain(?:ing)?", "snowing")
WEATHER = _words(*WEATHER_WORDS)
# Waiting or stopped: the task is blocked, with the message as its reason. Never a 0 % write.
BLOCK = _words(
    "阻塞", "卡住了?", "停止(?:作业|施工|工作)", "no-?show", "放鸽子", "(?:still )?missing(?![A-Za-z])", "(?<!解除)(?<!取消)挂起", "卡在", "卡着", "卡(?=审批|手续|海关|物流|甲方|业主|监理|报批)", "卡到现在", "进不来", "不让(?:进|进场|施工|干|上|动工)", "(?:still )?not (?:yet )?(?:signed|approved|issued)(?! off)", "受阻", "停工", "暂停", "搁置", "没法干", "干不了", "进不去", "进不了场",
    "(?:can'?t|cannot) (?:proceed|go ahead|carry on|start|begin)", "can'?t [a-z]+(?: [a-z]+){0,4} (?:until|till)",
    "缺(?!陷|点|勤|席|口)[\u4e00-\u9fff]{0,4}", "(?:gas|argon|oxygen|acetylene|cylinders?|diesel|fuel|paint|rods|wire|consumables)\\s+(?:(?:are |is |all )?(?:finished|used up|empty|gone)|(?:has |have )?r[ua]n out)", "r[ua]n out of (?!(?:day)?light|time|steam|road|patience)", "no (?:gas|argon|diesel|fuel|power)(?![A-Za-z])", "少了?(?:配件|零件|材料|料|工具|图纸)", "(?<!时间)(?<!够)不够\\s?了", "(?<!时间)(?<![够能度率量])不够(?=\\s*[,，。;；]|\\s*$)", "(?:还)?没\\s?(?:送电|通电|来电|供电|通水)(?!\\s*(?:就|也|都))", "(?<!时间)不够用",
    r"(?:^|(?<=[\s,;:在还正要需得先干的])|(?<=不够了))等(?!等|于|级|同|下[次回]|下(?=\s*(?:开始|再|就|去|弄|做|干|处理|搞|拍|发|看|说|补|传|上传|回|给|问|打|交|接|装|连|上))|我|你|明天|后天|下(?:周|个?礼拜|个?星期)|下午|晚上|会|一下|一会)(?:待|着)?\s?[\u4e00-\u9fffA-Za-z]",
    "(?<!手机)(?<!手机快)(?<!电话)(?<!电话快)(?<!电脑)(?<!电脑快)(?<!平板)(?<!平板快)没(?:有)?(?:权限|材料|配件|图纸|电|水|人手|工具|钥匙|料|货)", "无权限", "没有(?!问题|事|毛病|办法|进展|动静|人说|完|做|干|弄|开始)[\u4e00-\u9fff]{1,3}了(?=\\s*(?:[,，。!！]|$))", "没审批", "审批没下来", "还没批", "没批",
    *WEATHER_WORDS, "封路", "路封了", "风浪(?:太|很|较)?大", "浪太大", "(?:船|车|人)(?:出|进|上|下|过)不去",
    "[\u4e00-\u9fff]不了(?!解)", "不能(?:作业|施工|干活|干|开工|进场|浇筑|焊接|吊装)", "没来", "干等", "先停", "停着",
    "blocked", "blocking(?! out)", "stuck(?! in traffic)", "on hold", "(?:while |as )?(?:we|they) (?:wait|are waiting) (?:on|for)", "(?<=目前)等待", "(?:weather )?window (?:is |has )?closed", "(?:material|parts?|labou?r|staff|steel|cable) shortage", "拖了(?:[0-9一二两三四五六七八九十半]+|好几|几)\\S{0,3}(?:天|周|星期|个月)", "stood down", "(?:can'?t|cannot|cant) get (?:alongside|in|on)", "上不来", "(?:送|运|拉)不上来", "停飞", "still wait(?:ing)?(?: for)? the", "(?:cannot|can'?t) go up", "weather (?:holds?|delays?)", "还没来\\s*(?:[,，]\\s*)?(?:还在)?等着(?:呢)?", "在等着呢", "(?<!to )(?<!must )(?<!pressure )(?<!min )(?<!mins )(?<!minute )hold(?! for| at| \\d| test| time| period)", "held up", "waiting (?:for|on)(?! (?-i:it|us|me|this|our|them to)(?![A-Za-z]))", "waiting(?! to )(?! (?:for|on) (?-i:it|us|me|this|our|them to)(?![A-Za-z]))", "no (?:\\w+ )?access(?: yet)?(?: until| till| before)", "watiing", "wating",
    "waitng", "awaiting", "pending (?:the )?(?!(?:install(?:ation)?|fitting|fit-out|testing|test|commissioning|wiring|welding|painting|assembly|hook-?up)(?![A-Za-z]))", "can'?t \\w+ today", "(?:cannot|can'?t|unable to) (?:proceed|progress|work)(?![A-Za-z])", "无法(?:推进|施工|开展|进行|作业|进场)", "(?:审批|批复|许可|图纸)尚未(?:下发|批复|下来|到位)", "stop(?:ped)? (?:because|due to)", "stop(?:ped)? work(?:ing)?(?![A-Za-z])", "stopped until", "阻工", "held up", "won'?t let (?:us|them|the [a-z]+) (?:in|on|through)", "还没回(?:函|复|话)", "(?:cannot|can'?t) (?:lift|enter|access|pour|weld|install|dig|plant|lay|excavate|trench|spray|paint)(?![A-Za-z])", "no (?:planting|digging|pouring|lifting|work|works)(?: allowed)? (?:till|until)", "(?:crane|pump|machine|generator|excavator|吊车|设备)\\s*(?:is\\s*)?(?:broken|broke down|坏了)", "(?:we|work) (?:have |has )?stopped(?![A-Za-z])", "not (?:yet )?approve[d]?(?![A-Za-z])", "not give (?:us )?access", "no access", "grounded", "heavy snow", "snowed (?:in|under)", "snow ?storm", "site closed", "road(?:s)? (?:is |are )?closed", "shut down",
    "停了", "停下了?", "停止(?:施工|吊装|作业|焊接|浇筑|工作|安装|干活)", "停电(?!窗口|计划|时间|作业|检修|施工|范围|已执行|已落实|操作)", "停水(?!操作|作业)", "断电了(?!\\s*(?:操作|隔离))", "(?<!差)(?<!差\\S)(?<!差\\S{2})(?<!差\\S{3})(?<!差\\S{4})(?<!差\\S{5})没到(?!\\s*(?:[0-9一二两三四五六七八九十]|一半|half|百分))", "封路", "落雨", "停了工", "没得做", "做不到", "pending(?!\\s+(?:install(?:ation)?|fitting|fit-out|testing|test|commissioning|wiring|welding|painting|assembly|hook-?up)(?![A-Za-z]))", "not yet (?:supplied|delivered|arrived|received|approved|signed)", "(?:还)?没(?:签|批|确认|回复|给|到货|发货)", "未签",
    "no access", "(?:not|isn'?t|aren'?t) (?:here|in|on site) yet", "still (?:not|isn'?t|aren'?t) here", "can'?t access", "cannot access", "can'?t get in", "(?<!winder )(?<!breaker )(?<!isolator )(?<!panel )(?<!machine )(?<!pump )locked out", "no permit", "need(?:s)? (?:a |the )?permit", "没有?\\s*(?:PTW|permit|工作票|作业票|许可证?)(?![A-Za-z])",
    "(?:rain|storm|snow|weather|typhoon)(?:ed)? (?:out|delay|stopped|stop)", "rained (?:out|off)", "missing parts?",
    "(?:all )?work (?:has )?(?:stopped|halted|suspended)", "(?:outdoor |all )?work stop(?:ped)?(?![A-Za-z])", "no manpower", "(?:租|买|借|找|约|叫)不到", "还在等(?=\\s*(?:[,，。.!！]|$))", "(?:work )?permits? (?:still )?not (?:yet )?out", "不能\\s*(?:test|测试|调试|送电|commission)", "(?:platform |site )?(?:mustered|evacuated)", "short of", "out of (?:stock|parts|material)", "r[au]n out of(?! (?:time|daylight|day|light|hours))", "用完了", "用光了", "no (?:parts|material|materials|power|crane)",
)

# Trouble that names no cause ("stuck, something's off"): a blocker with it is asked about.
VAGUE_TROUBLE = _words("不知道(?:在)?等(?:啥|什么)", "something'?s (?:off|wrong|not right)", "something (?:is )?(?:off|wrong|not right)", "不太对劲?", "不对劲",
                       "有点问题", "有点小问题", "出了?点?状况", "not (?:going )?(?:great|well)", "no idea why", "dunno why", "don'?t know why", "不知道(?:为什么|咋回事|怎么回事)")

# After a completion, a wait for the check of finished work: no blocker of the work ("已完工，等验收").
AWAITING_CHECK = re.compile(r"等(?:待|着)?.{0,8}(?:验收|检查|检测|审核|签收|签字|质检|品检|来看|来验|来查)|(?:waiting|wait) (?:for|on) .{0,24}(?:inspection|sign-?off|"
                            r"acceptance|walkthrough|walk-through|review)", re.IGNORECASE)

# Work has begun.
START = _words(
    "开始了(?!解)", "已开始", "已(?:经)?启动", "已经开始", "开(?:了)?工了?", "开干了?", "上手了", "开搞了?", "开整了?", "开弄了?", "开做了?", "动工了?", "进场了?", "开始(?:施工|做|干|安装|调试|布线|装|执行|测试|铺|拆|接线|搭|焊|浇|跑|换|修|改|刷|挖|清|吊|卸|贴|上|检修|维修)了?", "着手(?:做|干|弄|搞)了", "begin\\s*了", "(?<![A-Za-z])today start(?:ed)?(?![A-Za-z])", "今天\\s*start(?:ed)?(?![A-Za-z])", "(?:start(?:ed)?|begin|began) already", "(?:moved to |now )?in progress(?! (?:now )?\\d)(?![A-Za-z])", "(?:在)?(?:处理|进行)中(?!心)", "(?:已经?\\s*)?pick(?:ed)?\\s*up(?![A-Za-z])", "already (?:begin|began|start)(?![A-Za-z])", "(?:we |i )commence(?:d)?(?![A-Za-z])", "start(?:ed)? working on it", "(?:today|now) (?:we |i )?begin(?![A-Za-z])", "(?:已经?|today\\s*)?着手(?:\\s*了)?(?![\u4e00-\u9fff])", "已着手", "动手了", "着手(?:拆|装|安装|修|换|铺|挖|浇|焊|吊|布|接|调|施工|处理)", "(?<![A-Za-z])start\\s+(?!前|时|的|之前|以后|后|日期|时间|吧|吗|没|不)(?=[\u4e00-\u9fff])",
    "(?<!照常)开始(?=\\s*$)", "(?:开始|开工|开干)的(?=\\s*[。.!！]*\\s*$)", "开使", "cracked on with", "made a start", "commenced", "刚起头", "起头了", "开始\\s+[A-Za-z]{4,}(?![A-Za-z])", "(?:今天|已经|刚刚?)开始(?!前|时|的|之前|以后|后|日期|时间|吧|吗|没|不)[\u4e00-\u9fff]", "开(?:焊|挖|铺|拆|浇|装|钻|打|吊|割|砌|喷|抹)了", "(?:今天|已经|刚刚?)开(?:焊|挖|铺|拆|浇|装|工|钻|打|吊)", "(?<!继续)(?<!接着)开(?:钻|浇|打|吊|焊|挖)(?=\\s*[。.!！]*\\s*$)", "(?:we |i )?(?:begin|began|begun) to (?:install|fit|lay|pull|weld|work|fix|mount|build|dig|pour|paint|test)", "开始\\s*[A-Za-z]{2,}ing(?![A-Za-z])", "start\\s*了", "开始\\s*[A-Za-z][A-Za-z -]{1,20}?\\s*了", "开始\\s?(?!前|时|的|之前|以后|后|日期|时间|吧|吗|没|了没|了解|不|\\s*[0-9])[\u4e00-\u9fff]{1,4}\\s?了?(?=\\s*(?:[,.!;@，]|$))",
    "(?:已经|刚刚?|今天|现在)(?:在)?(?:开始)?(?:进行|着手|动手)", "已经\\s*start(?:ed)?(?![A-Za-z])", "开始\\s*[A-Za-z]+-[A-Za-z]+ing(?![A-Za-z])", "已经在(?:做|装|搞|弄|干|拆|修)(?!完|好)", "started (?:on|the|with|to|work|laying|installing)", "got started", "(?:got|get|getting) going(?: on)?", "began (?:the|on|work|with)", "(?:we'?re|i'?m) starting (?:on it |work )?now",
    "have started", "has started", "startd", "已经在\\s*[A-Za-z]{2,12}\\s*了", "began (?:on|the|work)", "mobili[sz]ed", "kick(?:ed)?[- ]?off(?!\\s*(?:meeting|call|session))(?:\\s*了)?", "kicked of(?![A-Za-z])", "刚开始", "才开始", "just (?:started|begun)", "started", "strated", "starting now", "^\\s*start(?=\\s*[.!。！]*$)", "kicked off", "began", "begun", "under way", "underway", "in progress now",
)
# A plan, not a fact ("明天开始", "will start").
PLAN_BEFORE = re.compile(r"(?:下(?:个|一)?班|(?<![A-Za-z])next shift|明天|明早|明晚|后天|下(?:周|个?礼拜|个?星期)|下午|晚上|今晚|待会|等会|回头|准备|计划|打算|预计|要|将|会|可能|也许|没有|可以|能|"
                         r"应该|该|需要|得|必须|不|别|先别|什么时候|啥时候|何时|should|can|could|must|need to|needs to|have to|has to|"
                         r"(?<!今早)(?<!今天)[0-9一二三四五六七八九十]+点半?|might|may|could|possibly|if|once|when|after|tmr|tmrw|2moro|没|还没|未|尚未|not|"
                         r"haven'?t|hasn'?t|didn'?t|yet to|下(?:周|个?礼拜|个?星期)[一二三四五六日天]?|周[一二三四五六日天]|礼拜[一二三四五六日天]|星期[一二三四五六日天]|"
                         r"[0-9]{1,2}[号日]|(?<!已经)(?<!早)(?<!昨天)(?<!前天)(?<!昨晚)(?<!上周)就|马上就?|再|过两天|过几天|过阵子|(?<![做干弄装看听见说])过|改天|等下|等会儿?|"
                         r"tomorrow|next|will|'ll|’ll|gonna|going to|plan to|planning to|about to|to be|will be|should be|hopefully|"
                         r"expected to be|(?<![A-Za-z])be|从\s*[0-9A-Za-z#]{1,8}\s*(?:号|楼|层|米)?"  # "从 101 开始": numbering from
                         r"|(?:明天|明早|明晚|后天|下(?:周|个?礼拜|个?星期)[一二三四五六日天]?|今晚|回头)[^,，。;；!！?？]{0,12}"
                         r"|下(?:个|一个?|次|轮|趟)\s*(?:[A-Za-z]+\s*){0,3}[\u4e00-\u9fff]{0,4})\s*$", re.IGNORECASE)
# After an English start or unblock, a time to come makes it a plan ("resolved by monday"); Chinese says the time first.
PLAN_AFTER = re.compile(r"^\s*(?:by|tomorrow|tmr|tmrw|next|later|soon|定在|定于|安排在|约在|约了|(?:for\s*,?\s*)?(?:with [^,.]{1,30}? )?(?:is |was )?(?:booked|planned) (?:for|on)|(?:scheduled|slated|set) (?:for|on)|this (?:afternoon|evening|week)|on (?:mon|tue|wed|thu|fri|sat|sun)"
                        r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day|tonight|later|after (?:lunch|the break|dinner|this|that)"
                        r"|in (?:an?|one|two|three|half an|[0-9]+) (?:hours?|hrs?|mins?|minutes?|days?|weeks?)|from (?:mon|tue|wed|thu|fri|sat|sun|tomorrow|next))"
                        r"(?![A-Za-z])", re.IGNORECASE)

# A percent that is not this task's progress: a forecast, a measurement, a change, a share.
FORECAST_BEFORE = _words(
    "预计", "预(?=\\s*[0-9])", "估计(?:能|会|可以|要)", "(?:应该|可能|也许)(?:会|可以)", "预期", "争取", "计划", "打算", "目标", "应该能", "should be(?: around| about| at)?", "(?:能|会|要|可以)[\u4e00-\u9fff]{0,2}到", "有望",
    "下(?:周|个?礼拜|个?星期)[一二三四五六日天]?", "明天", "明早", "if", "[A-Za-z]+'ll", "tomorrow", "(?<![A-Za-z])tmrw?(?![A-Za-z])", "next week", "might", "may",
    "could", "后天", "月底", "周末", "年底", "下个月", "[一二三四五六日天]前",
    "by (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|next week|eod|the end|end of|friday)",
    "will", "gonna", "going to", "expect(?:ed|ing)?", "aim(?:ing)? (?:for|at)", "target(?:ing)?", "plan(?:ned)? (?:to|for)",
    "hop(?:e|ing|efully)", "should (?:hit|reach|get to|be at .{0,20} by)", "projected", "forecast", "eta",
)
MEASURE_BEFORE = _words(
    "[\u4e00-\u9fff]率(?!表)", "[\u4e00-\u9fff]量", "液位", "料位", "(?<!进)(?<!完成)(?<!程)(?<!调)(?<!制)(?<!年)(?<!季)(?<!态)度", "比", "低了", "低(?=\\s*[0-9])", "高了", "高(?=\\s*[0-9])", "占了?",
    "level", "vibration", "noise", "packet", "oxygen", "retention", "removal", "override", "(?:binder |asphalt |moisture |water |fines )?content", "germination", "survival", "compaction", "came back(?: at| as| with)?", "(?-i:SST|GST|VAT)", "wastage", "waste", "损耗", "保留金", "质保金", "(?<![A-Za-z])set\\s*了", "dimmers?", "(?-i:N[12])\\s*(?:到|at|is|=)?", "扭矩", "torque", "pass rate", "(?<!-)down(?! to)", "(?<!-)up(?! to)", "soc", "loading", "charge", "charged",
    "state of charge", "oee", "只有", "压力", "效率", "良率", "良品率", "合格率", "通过率", "成功率", "达标率", "利用率", "占比", "比例", "电量", "电压", "电流", "负载",
    "负荷", "充(?:到|满|了)", "第[0-9一二三四五六七八九十]+(?:笔|期款)", "reverb", "gain", "volume", "调[暗亮低高]到?", "dimmed(?: (?:down|up))?(?: to)?", "减薄", "侵蚀", "腐蚀", "rolled out to", "灰度(?:到|了)?", "slo", "sla", "availability", "conversion", "ctr", "cvr", "falls?", "crossfall", "camber", "superelevation", "(?:row )?count match(?:es|ed)?", "结果", "results?", "超[灌挖钻填]", "充盈", "preload(?:ed|ing)?", "预压", "curtail\\w*(?: [A-Za-z]+){0,4} (?:to|at|by)",
    "限(?:发|电|功率|负荷|出力)(?:到|至|在)?", "limited to", "capped (?:at|to)", "derated? to", "设(?:成|为|到|置为|定为)", "(?:running|run|ran|runs)\\s+(?:[A-Za-z]+\\s+){0,3}at", "(?<![A-Za-z])set (?:[A-Za-z]+ ){0,2}(?:to|at)", "(?:能|可以|可)?(?:节)?省(?:了|下)?", "节约了?", "(?:节|省)(?:水|电|能|气)", "(?:save[sd]?|saving|savings of|cuts?|reduced? by)", "湿度", "温度", "转速", "流量", "误差", "偏差", "损耗", "出勤率?", "回款", "预算", "成本", "费用", "速度", "信号",
    "覆盖率", "含水率", "开度", "坡度", "横坡", "纵坡", "(?:阀门?|风门|风阀|(?<![A-Za-z])(?:valve|damper))\\s*(?:开|开到|open(?:ed)?(?: to| at)?|set (?:to|at))", "折扣", "税", "能耗", "产能", "产量", "库存", "水位", "油量", "CPU", "内存", "磁盘",
    "(?:速度|性能|响应|加载|查询|运行|跑得?)\\S{0,2}[快慢]了", "不平衡", "imbalance", "unbalance", "便宜了?", "贵了?", "cheaper", "dearer", "提升(?!机)了?", "提高了?", "下降了?", "缩短了?", "延长了?", "加快了?", "放慢了?", "节省了?", "节约了?", "降低了?", "降了", "增加了?", "减少了?", "上升了?", "涨了?", "跌了?", "升了", "少了", "多了",
    "pressure", "efficiency", "yield", "load(?![- ]?(?:in|out)(?![A-Za-z]))", "battery", "humidity", "temperature", "cpu", "memory", "disk", "rate",
    "ratio", "utili[sz]ation", "accuracy", "error", "loss", "budget", "cost", "speed", "flow", "voltage", "signal",
    "coverage", "discount", "tax", "throughput", "capacity", "usage", "uptime", "quote", "quoted", "price", "invoice",
    "payment", "paid", "deposit", "margin", "报价", "价格", "发票", "付款", "预付", "定金", "尾款", "利润", "[\u4e00-\u9fff]费",
    "超支", "超出", "超了", "超预算", "over budget", "over by", "under by", "fell", "rose", "dropped", "drop", "increased",
    "decreased", "improved", "grew", "went up", "went down", "is up", "is down", "up by", "down by", "by", "gain(?:ed)?",
    "cut", "reduced", "saved", "lower", "higher", "降到", "降至", "跌到", "跌至", "掉到", "掉至", "fell to", "dropped to", "down to", "set ?points?", "设定值", "设定点", "目标值",
    # wear, ageing and fill levels: a state of a thing, not work done ("滚刀磨损 15%", "day tank at 60%")
    "磨损", "磨耗", "衰减", "老化", "crash-free", "sessions?", "users", "损失", "壁厚", "压降", "温降", "温升", "沉降", "泄漏率?", "到岗率", "wear", "worn", "attenuation", "degradation", "degraded", "tank", "fuel", "diesel", "health",
    "moisture", "brightness", "purity", "纯度", "viability", "dryness", "concentration", "solids", "brix", "abv", "活性", "干度", "张力", "拉力", "扭矩", "推力", "(?:瓦斯|甲烷|一氧化碳|二氧化碳|氧含量)(?:浓度|含量)?\\s*$", "(?:methane|RSD|O2|LEL|H2S)\\s*$", "预紧力", "按(?=\\s*$)",  # a gas reading or a spread, right before its figure
    "tension", "torque", "thrust",
    # a phone's or a laptop's battery, not the task ("手机就剩15%电了")
    "手机", "电话", "笔记本", "(?:my )?phone", "laptop",
    "降价", "涨价", "打折", "让利", "优惠", "price cut", "markdown", "跑在", "运行在", "工作在", "running at", "runs at", "run at", "operating at", "idling at", "功率", "频率", "power(?!\\s+(?:distribution|supply|cabl\\w*|install\\w*|works?|lines?|panels?|boards?))", "frequency",
    # a setting, not work done ("遮阳网开到50%", "damper set to 40%")
    "开到", "调到", "调至", "设到", "设为", "设定", "限到", "限制在", "限速", "set to", "set at", "opened to",
    "throttled (?:back |down )?to", "limited to", "capped (?:at|to)", "derated to", "ramped (?:up |down )?to", "turned (?:up |down )?to", "dialed to",
    # more states and rates that engineers quote in percent
    "含量", "浓度", "水分", "含水", "duty cycle", "占空比", "偏移", "收缩", "孔隙", "透光", "饱和", "占用", "空置", "丢包", "误码", "失真", "谐波", "纹波", "偏差率?",
    "leak(?:age)?", "drift", "显示(?!屏|器|板|牌)", "读数", "示值", "(?<![A-Za-z])(?:reads|reading|indicat(?:es|ing))(?![A-Za-z])", "storage", "disk space", "free space", "存储", "硬盘", "容量", "diff", "difference", "delta", "discrepanc(?:y|ies)", "mismatch", "差异", "差额",
    "under", "below", "within", "less than", "no more than", "at most", "低于", "小于", "不超过", "deviation", "tolerance", "variance", "headroom", "occupancy", "attendance", "turnout",
    "vacancy", "compression", "slope", "gradient", "grade", "tilt", "settlement", "shrinkage", "porosity", "opacity",
    "saturation", "bandwidth", "latency", "thd", "harmonics?", "ripple", "rh", "soh", "dod", "fill level", "packet loss",
)
MEASURE_AFTER = re.compile(
    r"^\s*(?:[,，]?\s*(?:还)?够(?:用|喂|吃|撑|烧|跑)|[,，]?\s*(?:enough for|(?:will|should|to) last|lasts)(?![A-Za-z])|的(?!进度|工作|任务|工作量|活)|of\b(?! the way)|the\b|(?:of (?:the )?)?budget|spent|used up|used\b|预算|经费|delivered|arrived|received|shipped|in stock|on site|(?:已经?|都)?(?:到货|到场|进场|发货|送到|到齐|到了)|多|以上|出头|lower|higher|faster|slower|more|less|better|worse|increase|decrease|"
    r"[,，]?\s*(?:偏高|偏低|偏大|偏小|超标|too high|too low|(?:a bit |slightly )?(?:high|low)(?:ish)?(?=\s*(?:[,.!]|$)))|drop|rise|gain|loss|off|discount|chance|probability|sure|confident|safe|certain|positive|accurate|correct|likely|确定|肯定|保证|确信|把握|概率|可能|的把握|的可能|良率|效率|"
    r"合格|通过(?!\s*(?:验收|审批|评审|审核))|酒精|浓度|负载|负荷|功率|频率|转速|湿度|电量|利润|折扣|提升|下降|增长|降低|增加|减少|(?:load|capacity|power|speed|frequency|brightness|gpu|cpu|alcohol|ethanol|duty|full|empty|charged|humidity|RH|open|closed|utili[sz]ed|utili[sz]ation|usage|occupancy|efficiency|fall|slope|grade|gradient|incline|camber|kill|killed|compliant|conforming|in spec|recovery|recovered|SWL|WLL|rejects?|reject rate|defects?|scrap|mortality|pass|deposit|down payment|SOC|SOH|DOD|IT load|杀灭|灭活|屈服|强度)(?![A-Za-z])|左右的(?!进度)|超(?:支|预算|标|出)|"
    r"(?:(?:test|code|unit[- ]test) )?coverage|覆盖率?|packet loss|丢包率?|UV(?: block| protection| blockout)?|shade|opacity|blockout"
    r"|dearer|cheaper|pricier|more expensive|less expensive|贵了?|便宜了?)",
    re.IGNORECASE,
)

# After a percent, a comparison with a budget or target: a measurement, whatever names stand before ("8% over budget").
OFF_TARGET_AFTER = re.compile(r"^\s*(?:over|under|above|below|off|higher than|lower than|more than|less than)\s+(?:the\s+)?"
                              r"(?:budget|target|spec|plan|estimate|quote|forecast|limit|baseline|last)|^\s*超(?:支|预算|标|出)",
                              re.IGNORECASE)
# A figure to reach by a date to come ("50% by end of month", "80% before Friday"): a target, not progress now.
BY_A_DATE_AFTER = re.compile(r"^\s*(?:是|is)\s*(?:预计|expected|forecast)|^\s*(?:done\s+|complete\s+)?(?:by|before|until|till)\s+(?:the\s+)?(?:end of|eo[dwmy]|cob|next|tomorrow|tmrw?|"
                             r"tonight|mon|tue|wed|thu|fri|sat|sun|this (?:week|month|weekend)|mid[- ]|[0-9]{1,2}(?:st|nd|rd|th)?\b)",
                             re.IGNORECASE)

# Progress in words. Definite: the words give the number. Approximate: the bot asks, the likely value preselected.
DEFINITE_PERCENT: tuple[tuple[re.Pattern[str], int], ...] = tuple((re.compile(p, re.IGNORECASE), v) for p, v in (
    (r"(?<!一小)(?:(?<!多)|(?<=差不多))一半|(?<![A-Za-z])(?<!and a )(?:half(?:way)?(?: done| through| there)?(?!\s+(?:past\s+)?[0-9]|\s+past\b)|50/50(?!\s*(?:for|on|chance|odds|whether|if|that|shot)(?![A-Za-z])))(?![A-Za-z])"
     r"(?!\s*(?:an? )?(?:hours?|hrs?|days?|shifts?)(?![A-Za-z]))", 50),  # "3 and a half hours" is time
    (r"三分之一|(?<![A-Za-z])(?:one|a) third(?![A-Za-z])", 33),
    (r"(?<![0-9/])3/4(?=\s*(?:done|完成|of the way|的进度))|四分之三", 75),
    (r"三分之二|(?<![A-Za-z])two[- ]thirds(?![A-Za-z])", 67),
    (r"四分之一|(?<![A-Za-z])(?:one|a) quarter(?![A-Za-z])|^\s*quarter(?= (?:done|complete|through|of the way))", 25),
    (r"四分之三|(?<![A-Za-z])three[- ]quarters(?![A-Za-z])", 75),
))
APPROXIMATE_PERCENT: tuple[tuple[re.Pattern[str], int], ...] = tuple((re.compile(p, re.IGNORECASE), v) for p, v in (
    (r"[一二三四五六七八九]([一二三四五六七八九])成", -1),  # 七八成: between; the lower one preselected
    (r"(?:百分之)?[一二三四五六七八九][一二三四五六七八九]十(?:%|的样子|左右)?(?![一二三四五六七八九个台米天号])", -1),  # 百分之六七十
    (r"(?<![A-Za-z])[0-9]{1,2}\s*(?:%|％)?\s*(?:-|~|到|至|或)\s*[0-9]{1,3}\s*(?:%|％)", -2),  # 70-80%: a range ("N1 到 92%" a reading)
    (r"(?<![一二三四五六七八九十百千万零〇两])[二三四五六七八九]十(?:[几多]|出头)(?=\s*(?:了|吧|啦|%|％|$))", -1),  # 九十几了: ninety-something
    (r"(?<![0-9.])[1-9]0\s*-?\s*(?:something|odd)\s*(?:%|％|percent|pct)", -1),  # "60 something percent"
    (r"(?<![0-9.])[1-9][0-9]?\s*(?:plus|over|\+\+?)\s*(?:%|％|percent|pct)", -1),  # "90 plus %", Singlish "80 over %"
    (r"(?<![一二三四五六七八九十百千万零〇两])[二三四五六七八九]十\s*(?:到|至|-|~)\s*[二三四五六七八九]十(?:之间)?(?![个台米天号件根条])", -1),  # "七十到八十之间"
    (r"(?:快|快要|将近|接近|(?<![A-Za-z])(?:almost|nearly|close to)(?![A-Za-z]))\s*(?:到)?\s*(?:一半|(?<![A-Za-z])half(?:way)?(?![A-Za-z]))",
     50),  # 快一半: not yet half; asked with half preselected
    (r"一半多|一半几|过半|过了?一半|大半|(?<!差不)多一半|一大半|超过一半|(?<![A-Za-z])(?:more than|over|a bit over|a little over|just over|past) "
     r"half(?:way)?(?![A-Za-z])", 60),
    (r"(?<![A-Za-z])(?:a bit|a little|a few bits?|some) (?:more|left)(?: to go)?,? (?:then|and) (?:done|finished|complete)(?![A-Za-z])|大差不差|(?<![一二三四五六七八九十百千万零〇两])[二三四五六七八九]十好几(?![个台米])|(?<![\u4e00-\u9fff])剩(?:下)?一?点点?(?:而已)?(?=\s*$)|(?:差不多|almost|nearly|(?<![\u4e00-\u9fff])快了)\s*(?:ok\s*了?)?\s*(?:吧|啦|咯|喽|啰|了)?\s*$|还差一点|差一点|还差点儿?(?=\s*就)|就差一点|(?<![还])(?:就|只)差(?=\\s*\\S)|八九不离十|快到?[一二三四五六七八九]十了|(?<![A-Za-z])(?:getting close|getting there|almost there)(?![A-Za-z])",
     90),
    (r"(?:almost|nearly|close to|more or less|not far (?:off|from)|快|差不多|基本|接近|将近|mostly|largely|pretty much|basically|practically|大体|大致|基本上|大体上)"
     r"\s*(?:都)?\s*(?:已经?)?\s*(?:完成|完工|搞定|搞完|做完|弄完|弄好|做好|好了|完了|done|finished|finish|complete|wrapped(?: up)?)", 90),
    (r"(?:还|只|就)剩(?:下)?(?:一)?(?:点点?|丢丢|些许|收尾|尾巴|\s*(?:punch ?list|snags?|snag list|尾项|消缺))|(?:还|只|就)差(?:个)?(?:收尾|尾巴|一点点)|"
     r"(?<![A-Za-z])(?:(?:just|only) (?:the )?(?:punch ?list|snags?|snag list|touch[- ]?ups?|odds and ends|final touches|"
     r"finishing touches|last few bits)|(?:punch ?list|snags?|touch[- ]?ups?) (?:left|remaining|to go))(?![A-Za-z])", 90),
    (r"大部分|大多|(?<![A-Za-z])(?:most of it|most of|mostly (?:done|finished|complete))(?![A-Za-z])(?!\s+(?:it\s+|them\s+)?[a-z]+ing(?![A-Za-z]))", 80),
    (r"(?:about|around|roughly|大概|大约|约)\s*(?:two[- ]thirds|三分之二)", 67),
    (r"(?:about|around|roughly|大概|大约|约)\s*(?:a|one)[- ]third|(?:大概|大约|约)\s*三分之一", 33),
    (r"一小半|不到一半|(?<![A-Za-z])(?:less than|under) half(?![A-Za-z])", 40),
    (r"快[\u4e00-\u9fff]完了|快好了|快完了|快完成了?|快搞定了?|快弄完了?|快做完了?|差不多了|差不多完成了?|差不多好了|基本完成了?|基本搞定了?|"
     r"基本上完成了?|接近完成|即将完成|马上就?好|马上完成|收尾阶段|就差收尾|(?:接近|快到|进入|到了)尾声|快收尾了?|"
     r"(?<![A-Za-z])(?:almost|nearly|pretty much|mostly|about|basically|practically) (?:done|finished|complete|there)"
     r"|(?<![A-Za-z])(?:almost|nearly|basically)\s*(?:好了|完成了?|搞定了?|做完了?|弄完了?)"
     r"|(?<![A-Za-z])(?:close to done|wrapping up|final stretch|last bits)(?![A-Za-z])", 90),
    (r"(?<![A-Za-z])(?:a bit|a little|some|partly|partially|halfish) (?:done|progress|finished)(?![A-Za-z])|一部分|部分完成|有进展", 30),
    (r"(?<![A-Za-z])(?:(?:done|finished|complete)[- ]?ish|(?:kinda|kind of|sort of|sorta|more or less|pretty well|largely) "
     r"(?:done|finished|complete))(?![A-Za-z])", 90),
))
# Words that soften a given number into a guess: the bot asks ("可能80%", "maybe 80%"); "about 80%" stays 80.
HEDGE_BEFORE = re.compile(r"(?:可能|也许|或许|说不定|不确定|不一定|(?<![A-Za-z])(?:maybe|perhaps|possibly|not sure|i guess|dunno)|快|接近|将近|"
                          r"(?<![A-Za-z])(?:almost|nearly|close to|over|more than|less than|under)(?![A-Za-z])|超过|不到)\s*\S{0,6}\s*$",
                          re.IGNORECASE)
# A bare number after these is a percent ("进度80").
PERCENT_LABEL_BEFORE = re.compile(r"(?:进度|完成度|完成率|progress|progres|progess|prgress|pct|percent|completion)\s*[:：]?\s*(?:到|为|是|at|is|to|of)?\s*$",
                                  re.IGNORECASE)



# What may stand before the first task key without making the message unclear ("进度更新：A-3 80%").
LEAD_FILLER = re.compile(
    r"^(?:(?:今天|今日|这周|本周|昨天|目前|现在|当前|刚才|刚刚|早上|上午|下午|晚上|更新|进度更新|进度|汇报|日报|报一下|说下|说一下|同步一下|同步|"
    r"各位|大家好|老板|领导|经理|王工|李工|嗯+|哈+|好的|ok|okay|so|btw|fyi|update|status update|quick update|today|"
    r"hi|hello|hey|all|team|morning|evening|good morning|@\S+|[,;:.!\s—–-]|"
    # a formal report's opening words ("Please note that the", "I am pleased to confirm that", "各位领导好，现将")
    r"(?:please )?note that(?: the)?|i am (?:pleased|happy|glad) to (?:confirm|report|advise) that(?: the)?|(?:just )?to confirm(?:,| that)?(?: the)?|"
    r"各位领导好?|现将)\s*)*$",
    re.IGNORECASE,
)
# Words of time and stance before a figure that say nothing about what it measures ("今天装了60%" is progress).
TIME_WORDS = re.compile(r"今天|今日|昨天|目前|现在|当前|已经|已|进度|整体|总体|总共|一共|大概|差不多|基本|上午|下午|晚上|早上|"
                        r"刚才|刚刚|这边|我这|我们")
# An earlier figure, not the progress now ("上周50% 这周到75%").
PAST_BEFORE = _words("上周", "昨天", "前天", "之前", "原来", "原先", "本来", "last week", "yesterday", "was", "were", "before")

# Trouble without a clear blocker ("有点问题", "焊机好像坏了"): the bot offers to mark it blocked, and asks.
TROUBLE = _words("出了?点?状况", "keeps? (?:tripping|failing|dropping)", "排查中", "遇到了?(?:一些|点|一点)?(?:问题|困难)", "(?:experiencing|having|facing|running into) (?:some )?difficult(?:y|ies)", "(?:a few |some )?hiccups?", "出了点问题", "not great", "trouble", "problems?", "struggling", "not going well", "有点麻烦", "麻烦了", "有点卡", "不太对劲", "不太对", "有点小问题", "小问题", "有些问题", "有个问题", "不对劲", "something'?s (?:off|wrong)", "有点问题", "有问题", "出问题了?", "不太顺", "不顺利", "好像坏了", "坏了", "故障", "problem", "issues?", "broke",
                 "broken", "not working", "acting up")
# A message that compares its figures with a limit ("还在允许范围内", "above the 90% spec"): readings, not progress.
IN_SPEC = re.compile(r"允许范围|正常范围|范围内|合格线|标准值|限值|限内|限度内|允许值内|(?<![A-Za-z])(?:within|above|below|under|over|out of|meets?|met|"
                     r"inside|outside) (?:the )?(?:[A-Za-z]+'s )?(?:[0-9.]+ ?% )?(?:spec|specs|specification|tolerance|limits?|range|threshold|target)(?![A-Za-z])"
                     r"|(?<![A-Za-z])(?:in|out of|off) spec(?![A-Za-z])",
                     re.IGNORECASE)
# A figure the writer doubts aloud ("maybe 70%? not sure", "八成？不太确定"): a report to confirm, not a question.
DOUBTED_FIGURE = re.compile(r"(?<![A-Za-z])or was (?:that|it)(?![A-Za-z])|(?:[0-9]\s*%?|成|一半|half)[^。.!?？]{0,20}?(?:(?:i'?m |im )?not (?:entirely |totally |quite |too |100% )sure|不太确定|没把握|说不准)|(?<![A-Za-z])(?:maybe|perhaps)\s*(?:[0-9]{1,3}\s*%?|half|一半)\s*[?？]+\s*$|~\s*[0-9]{1,3}\s*%?\s*[?？]+\s*$|(?<![A-Za-z])(?:maybe|perhaps)\s*[0-9]{1,3}\s*%?\s*[?？]+\s*[,，]?\s*(?:hard to say|not sure|dunno|idk|不好说|不确定)|(?:[0-9]\s*%?|half|thirds?|quarters?|一半|成)\s*(?:maybe|perhaps|probably|i think|i guess)\s*[?？]+\s*$|(?:[0-9]\s*%?|成|一半|half)\s*吧\s*[?？]+\s*$|(?:[0-9]\s*%?|成|一半|half)\s*[?？]+\s*[,，.。]?\s*(?:(?:i'?m |im )?not (?:too |100% )?sure|"
                            r"not certain|不确定|不太确定|不敢确定|没把握|说不准|不好说)", re.IGNORECASE)
# A label that makes the figure after it the whole task's ("整体 40%", "task at 45%", "进度35%").
OVERALL_BEFORE = re.compile(r"[,，;；.。]\s*(?:(?:整体|总体|整个(?:任务)?)(?:算下来)?|总的|算下来|overall|task|进度|progress)\s*(?:进度|progress)?\s*(?:[:：]|is|at|is at|about|around|约|大概|到了?|是)?\s*$",
                            re.IGNORECASE)
# After a percent, a delivery or "all of them": the figure is a share of the goods or the people, not the task's progress.
SHARE_AFTER = re.compile(r"\s*(?:的?(?:住户|居民|用户|员工|工人|人员|学生|观众|游客|(?<![A-Za-z])(?:residents|households|tenants|users|staff|people|workers?|crew|manpower|visitors|students|school groups|of (?:the )?(?:people|residents|households|users|staff)))(?![A-Za-z])|(?:已经?|都)?(?:到货|到场|进场|发货|送到|到齐|到了)|都(?:会|能|已经?|在|可以|学会|装了|换了|(?!完成|完工|做完|弄完|干完|好了|搞定)[\u4e00-\u9fff])|(?:arrive[sd]?(?=\s|$)|delivered|arrived|received|shipped|on site)(?![A-Za-z]))",
                             re.IGNORECASE)
# A blocker word that names no reason ("stuck", "卡住了"): offered, asked (缺料 and "waiting for parts" name theirs).
BLOCK_NO_REASON = re.compile(r"\s*(?:(?:i'?m |we'?re |it'?s |is |are )?(?:stuck|blocked|on hold)(?: (?:on|by))?|卡住了?|卡了|堵住了?|停了|暂停了?|挂起)\s*[.。!！]*[^\w\s]{0,4}\s*",
                             re.IGNORECASE)
# Trouble offered as a condition, not reported ("有问题再说", "any issues let me know"): no trouble at all.
TROUBLE_IF = _words("有(?:什么|啥)?问题(?:再说|随时|就|再|的话|找我|联系|call|叫我)", "(?:if|any) (?:there are )?(?:any )?(?:issues|problems|trouble)"
                    "(?:,)? (?:let me know|call|ping|shout|give me a shout|ring)")
# A question that starts the message ("is PUMP-2 finished yet", "谁有 WELD-11 的 WPS").
QUESTION_LEAD = re.compile(r"^(?:is|has|did|are|was|will|can|could|does|do|should|how|what|when|where|why|who|which|any)\b"
                           r"|^(?:请问|问下|问一下|是否|有没有|是不是|能不能|什么时候|怎么|多少|几|谁|哪)"
                           r"|(?:谁|哪个|哪|帮我|帮忙|麻烦|请|让|要把|(?<![一下是])说(?!一下|下)|let'?s|please|pls|plz|can you|could you|should)",
                           re.IGNORECASE)
# Several tasks written as one ("P-1、P-2 都完成了", "P-1 and P-2 at 40% each").
JOINED_KEYS = re.compile(r"^\s*(?:[,、&/+]|和|跟|与|同|及|以及|还有|and|&)?\s*$", re.IGNORECASE)
# A count out of a total ("装了80个，一共200个", "12 of 40 panels"): a share the bot does not turn into a percent.
# Not a date said as month/day after its word ("ETA 6/21", "target completion 7/30").
COUNT_OF_TOTAL = re.compile(r"(?<![0-9])(?<!eta )(?<!eta: )(?<!by )(?<!due )(?<!until )(?<!till )(?<!completion )(?<!deadline )(?<!target )(?<!date )"
                            r"[0-9]+\s*(?:个|台|套|根|条|件|块|pcs|units|panels)?\s*[,，]?\s*(?:一共|共|总共|总计|out of|of|/)\s*[0-9]+",
                            re.IGNORECASE)
# A count of work done, with nothing else said ("装了12个", "铺了800米", "installed 3 units"): how far is that? Asked.
WORK_COUNT = re.compile(r"^\s*[0-9]{4,}\s*$|(?:做|装|换|铺|修|搞|弄|拆)了\s*几\s*(?:个|台|套|根|条|件|块|片|张|组|只|扇)|(?:进尺|掘进|推进|(?<![A-Za-z])advanced?)\s*了?\s*[0-9]+(?:\.[0-9]+)?\s*(?:米|m(?![A-Za-z]))|(?:^\s*第?|[装铺贴换焊拉布打砌挂埋接测修调刷发放立挖拆]|安装|更换|完成|做|还剩|剩下|剩)了?\s*[0-9]+\s*(?:个|台|套|根|条|件|块|本|片|米|m(?![A-Za-z])|张|组|扇|盏|只|处|间|遍|方|平米|平方米?|㎡|(?<![A-Za-z])(?:sqm|m2)(?![A-Za-z0-9]))"
                        r"|(?:还剩|剩下|remaining|left with)\s*[0-9]+\s*[A-Za-z]+s(?![A-Za-z])|(?<![A-Za-z])(?:done|finished)\s*[0-9]+\s*$"
                        r"|(?<![0-9.])[0-9][0-9,.]*\s*(?:k?m|metres|meters|tonnes|tons)\s+of\s+[a-z]+(?:\s+[a-z]+)?\s+(?:laid|installed|placed|poured|paved|done)(?![A-Za-z])"
                        r"|(?<![A-Za-z])(?:laid|put in|installed|poured|fitted|hung|pulled|placed|dug|lined)\s+(?:about |around |like )?(?:a |one )?"
                        r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|dozen|ten|eleven|twelve|fifteen)(?:[\s-](?:and\s)?[a-z]+){0,3}?"
                        r"\s+(?:metres|meters|blocks|bricks|panels|lengths|pipes|joints|units|pieces|bags|tonnes|tons|sheets|rows|posts|poles)(?![A-Za-z])"
                        r"|(?<![A-Za-z])(?:installed|laid|fitted|replaced|mounted|pulled|spliced|tested|finished|done|packed|loaded|shipped|lined|relined|surveyed|inspected|jetted|cleaned|dug|trenched|welded|coated)\s+[0-9][0-9,.]*"
                        r"\s*(?:of (?:the |them)?)?\s*(?:[a-z]+\s+){0,2}(?:[a-z]+s|units|pcs|k?m|t|tonnes|tons)(?![A-Za-z])", re.IGNORECASE)
# Before a key: someone else's words, or the task as the object of a sentence (asked, never written).
HEARSAY = re.compile(r"(?<![A-Za-z])(?:fwd|fw|forwarded)(?![A-Za-z])|听\S{1,4}(?:讲|说)|(?:老|小|阿)[\u4e00-\u9fff]讲\s*$|(?<!就是)说\s*$|转发|转:|told me|says|said|heard|according to|他说|她说|他们说|听说|据说|他|她|(?<![A-Za-z])(?:he|she|they)(?![A-Za-z])|把\s*$|将\s*$",
                     re.IGNORECASE)
# Before a key: "not this task" ("刚才那条不是 P-1 的，是 P-2 的").
NOT_THIS_TASK = re.compile(r"不是\s*$|(?<![A-Za-z])not\s*$|wrong (?:task|one)", re.IGNORECASE)
# A percent that is what is left, not what is done ("还剩 30% 没做").
REMAINING_BEFORE = re.compile(r"(?:还剩|剩下|剩余|还差|还有|(?:就|只)?剩|remaining|left)\s*(?:约|大概|about)?\s*$", re.IGNORECASE)
# Between a completion word and the amount it qualifies ("done about half", "完成了大概一半"): still the amount's word.
HEDGE_BETWEEN = re.compile(r"\s?(?:至|到了?)?\s?(?:(?:about|around|roughly|approx\.?|approximately|like|大概|大约|约|差不多)\s?)?",
                           re.IGNORECASE)
# English words that may stand before a progress percent ("we're at 80%", "overall about 80%"); any other English word
# there names what the figure measures ("SOC 80%", "loading hit 65%"), so the percent is asked about.
PROGRESS_VOCAB = frozenset(["at", "is", "are", "am", "was", "now", "currently", "so", "ok", "okay", "the", "task", "work", "job", "overall", "total", "roughly", "approx", "approximately", "about", "around", "already", "today", "done", "complete", "completed", "progress", "reached", "reach", "hit", "to", "up", "we", "we're", "were", "it", "it's", "its", "i", "i'm", "im", "our", "my", "this", "still", "just", "almost", "nearly", "yes", "update", "status", "sir", "team", "finished", "finish", "pct", "percent", "and", "also", "guys", "all", "of", "be", "been", "got", "getting", "has", "have", "had", "by", "eod", "tonight", "morning", "afternoon", "evening", "yesterday", "here", "there", "site", "wip", "on", "in", "for", "sitting", "push", "pushed", "pushing", "both", "each", "like", "progres", "progess", "prgress", "as", "completion", "currently", "hi", "hello", "hey", "good"])
# The scope of a completion that is a part of the task ("三层完成了", "2号楼搞定"): asked, not the task done.
PART_BEFORE = re.compile(r"(?:首日|第一天|头一天|当天)\s*(?:已经?)?\s*$|[0-9一二两三四五六七八九十]+\s*(?:层|楼|段|区|号楼?|台|栋|间|批|条|根|个|号线|阶段|期|部分|道|遍|轮|组|排|列)\s*(?:的)?\s*(?:工程|工作|施工)?\s*$|"
                         r"[0-9一二两三四五六七八九十]+\s*(?:号|组|排|列)[\u4e00-\u9fff]{1,4}\s*$|"
                         r"[0-9]+\s*(?:米|m|个|台|套|根|条|块|片|张|扇)[\u4e00-\u9fff]{0,6}\s*(?:已经?|都|也)?\s*$|"  # "50米已经焊完", "5台平板装好了"
                         r"第[0-9一二两三四五六七八九十]+\s*(?:扇|台|栋|个|根|条|段|层|间|套|道|块|节|榀|跨|孔|墩|模|仓|片|批|环|联|轮|次)\s?[\u4e00-\u9fffA-Za-z]{0,6}\s*$|"
                         r"(?:floor|level|zone|section|phase|part|block|stage|row|bay|span|string|room|area)s?\s*"
                         r"(?:[0-9]+(?:\s*[-~]\s*[0-9]+)?|one|two|three|four|i{1,3})\s*(?:is\s*|are\s*)?$|"
                         r"(?:first|second|third|fourth|1st|2nd|3rd|4th|last|final|top|base|prime)\s+(?:coat|phase|stage|part|section|"
                         r"floor|level|pass|round|layer|batch)\s*(?:is\s*)?$|"
                         r"(?<![A-Za-z])[A-Za-z]{2,12} ?[0-9]{1,3}\s*(?:is\s*)?$|"  # "net 3 完成": a numbered part
                         r"第?[0-9一二三四五六七八九十]+\s*个\s*[A-Za-z\u4e00-\u9fff]{1,12}\s*$", re.IGNORECASE)
# Completion words that say a check passed, not that the task is done ("验收通过了"): offered, asked.
PASSED = _words("验收通过了?", "检查通过了?", "(?:FAT|SAT|IST|测试|试验)\\s*(?:已经?)?通过了?(?!率)", "inspection passed", "passed (?:the )?inspection", "通过验收", "signed off(?=\\s*(?:by|[,.!;]|$))",
                "sign-?off (?:received|done|given)", "handed over(?!\\s+(?:the\\s+)?(?:keys?|access|fobs?|cards?|passes)(?![A-Za-z]))", "移交了", "交接完(?:成|毕)?了?", "(?:客户|甲方|业主)验收了")
# Inside a task's words, someone else's report ("QA-1 他们说弄好了", "apparently done"): offered, asked.
HEARSAY_INSIDE = re.compile(r"他说|她说|他们说|她们说|听说|听[\u4e00-\u9fff]{1,4}说|据说|说是|(?:老|小|阿)[\u4e00-\u9fff]说|[\u4e00-\u9fff]工说|(?<![A-Za-z])(?:(?:he|she|they) (?:said|says|told)|apparently|"
                            r"reportedly|i heard|i was told|supposedly)(?![A-Za-z])", re.IGNORECASE)
# Before a key, a stance that makes what follows a guess or a condition ("I think", "预计周五", "如果").
LEAD_HEDGE = re.compile(r"(?<![A-Za-z])(?:i think|i guess|probably|maybe|hopefully|if)(?![A-Za-z])|我觉得|我估计|好像|应该|"
                        r"预计|估计|如果|要是|假如|前提是|争取", re.IGNORECASE)
# After a percent, words that make it a guess ("80% 吧，maybe a bit more").
HEDGE_AFTER = re.compile(r"^\s*(?:不到|不足|还不到)|(?<![A-Za-z])(?:maybe|probably|a bit more|a little more|or more|or less|at least|ish)(?![A-Za-z])|^-?\s?ish|"
                         r"多一点|不止|或许|也许|可能", re.IGNORECASE)
# Hours worked by a crew ("两个人干了三个小时"): person-hours or hours? asked.
CREW = re.compile(r"[两俩二三四五六七八九十0-9]+\s*个?(?:人|师傅|工人|兄弟)|(?:我们|咱们|俺们)(?:几个|俩|仨|[两二三四五六七八九十0-9]+个)|我跟\S{1,4}|我和\S{1,4}|(?<![A-Za-z])(?:two|three|four|[0-9]+) (?:of us|guys|people|men)"
                  r"(?![A-Za-z])|(?<![A-Za-z])(?:me and [A-Za-z]+|(?-i:[Ww]ith [A-Z][a-z]+))", re.IGNORECASE)  # "with Bob", not "with the client"
# Two keys as the ends of a range ("SCR-4到SCR-7"): which tasks exactly? asked.
KEY_RANGE = re.compile(r"^\s*(?:到|至|~|～|-|–|—|through|thru|to)\s*$", re.IGNORECASE)
# A condition on the rest ("前提是不下雨", "if it doesn't rain"): nothing certain to write.
CONDITION = re.compile(r"前提是|如果|要是|假如|只要|除非|(?<![A-Za-z])(?:if|unless|provided|as long as)(?![A-Za-z])", re.IGNORECASE)
# Before a key, a forecast for the whole message ("预计周五 A-3 能到90%"): nothing to write.
LEAD_FORECAST = re.compile(r"预计|估计|争取|计划|打算|目标|(?<![A-Za-z])(?:expect(?:ing)?|hopefully|will|we'll|i'll|gonna|going to|plan(?:ning)? to|"
                           r"targets?|goal|aim(?:ing)? (?:for|at))(?![A-Za-z])"
                           r"|^(?:明天|明早|明晚|后天|下(?:周|个?礼拜|个?星期)[一二三四五六日天]?|(?<![A-Za-z])(?:tomorrow|tmrw?|next week))\s*$",  # "明天 A-3 开工": a plan
                           re.IGNORECASE)
# A correction that names the task it was meant for ("…是A-7的，不是A-6"): asked, never guessed.
OTHER_TASK = re.compile(r"(?:不是|(?<![A-Za-z])not)\s*[A-Za-z][A-Za-z0-9]{0,9}-[1-9]|(?<![A-Za-z])(?:belongs (?:on|to)|by mistake|put it on|wrong (?:key|task|ticket))(?![A-Za-z])", re.IGNORECASE)
# What makes "should be 90%" a plan, not a correction ("…by friday", "if the weather holds").
NOT_NOW = re.compile(r"(?<![A-Za-z])(?:by|if|next|tomorrow|tmr|will|unless)(?![A-Za-z])|明天|下(?:周|个?礼拜|个?星期)|周[一二三四五六日天]|如果|前提",
                     re.IGNORECASE)
# Before a blocker's words, a possibility or a plan ("might get blocked", "准备…等人到齐"): offered, asked.
PLAN_OR_HEDGE = _words("might", "may", "could", "possibly", "probably", "maybe", "if", "soon", "will", "after the", "可能", "也许", "或许", "怕", "担心",
                       "会不会", "要是", "如果", "准备", "计划", "打算", "快要", "就要")

# A completion in words a careful reader is not sure of ("弄了一刻钟就好了", "knocked it out", "nailed it"): offered, asked.
DONE_SOFT = _words("^\\s*好\\s*[!！。.]*\\s*$", "就好了", "送电了", "已送电", "投运了", "已投运", "就行了", "就搞好了", "就弄好了", "knocked (?:it|that|them) out", "nailed it", "smashed it",
                   "crushed it", "in the bag", "ticked off", "(?:all )?sorted(?: out)?(?=\\s*(?:[,.!;]|$))", "taken care of", "finito",
                   "收官了?", "拿下了?", "ok啦", "ok了", "^\\s*ok\\s+了", "妥妥的", "结了", "弄妥了?", "办妥了?", "处理好了", "处理完了?")
# A reply under a quoted question ("> 王工：A-3 到多少了？ 70%", "回复 王工: A-3 done? 是的"): the quote names the task.
QUOTED_QUESTION = re.compile(r"^\s*(?:>|》|「|回复|引用|re:|reply to|replying to)\s*(?P<quote>[^?]{1,200}\?)\s*(?P<answer>[^?]+?)\s*$",
                             re.IGNORECASE)
