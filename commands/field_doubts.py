"""Words that make a field report's reading unsure, as data: commands/field.py reads them. Where they are found, a
write is offered for confirmation (or a question asked) instead of made: figures no rule read ("装了12个", "went
through 60 valves"), a completion with a part or a rest named ("电机装完了，还差门封", "装完 2 号机"), a blocker denied or
followed by the work going on ("no longer stuck", "下雨停了 继续"), time on two days."""

from __future__ import annotations

import re

# Hours on two days ("three hours yesterday, two today"): which were today's, or are they a total?
TWO_DAYS = re.compile(r"(?:yesterday|昨天)[^.。]*(?:today|今天)|(?:today|今天)[^.。]*(?:yesterday|昨天)", re.IGNORECASE)
# Work stopped (beside a weather word: the weather stopped it) and work going on.
STOPPED = re.compile(r"停|不能|没法|干不了|(?<![A-Za-z])(?:stopped|halted|can'?t|cannot|no work|grounded|stood down|standing down|"
                     r"called off|rained off)(?![A-Za-z])", re.IGNORECASE)
GOES_ON = re.compile(r"继续(?!\s*(?:等|在等))|接着(?:干|弄|做|搞)|back on|恢复|复工|(?<![A-Za-z])(?:continue|resume|carry on|proceed|again)(?![A-Za-z])", re.IGNORECASE)
# After a blocker, the work going on ("下雨停了 继续": the rain stopped, or the work stopped for the rain?).
GOES_ON_AFTER = re.compile(r"继续(?!\s*(?:等|在等))|先(?:做|干|弄|搞)(?:别的|其他|其它)|正常(?:干|施工|作业)|接着(?:干|铺|做|弄|装|搞)|可以干|恢复|同时(?:先)?(?:做|干|弄|搞)|(?<![A-Za-z])(?:meanwhile|in the meantime)(?![A-Za-z])|(?<![A-Za-z])(?:resum\w*|carr(?:y|ying|ied) on|back (?:at|on) it|going again|picked (?:it )?(?:back )?up|started again)(?![A-Za-z])",
                           re.IGNORECASE)
# A key said against another ("A-10 不是 A-9"): which task is meant?
NOT_THIS_KEY = re.compile(r"\s*(?:而?不是|not|instead of|rather than)\s*[,，]?\s*", re.IGNORECASE)

# A figure no rule read, left in a report's words: a count of work ("装了12个", "铺了 60", "went through 60 valves",
# "完成了三台") says how much, not how far; asked rather than dropped. Not a figure that is plainly something else:
# a time of day or a date ("at 7", "8点"), a measurement or a unit ("70%", "3.2", "45度", "2 more hours"), people
# ("4个人", "2 guys"), a standard's number ("ISO 14687"), money ("¥38,000", "500元").
_NUMBER = r"(?<![A-Za-z0-9.#:/\-×*¥$€£±+])(?:(?<![0-9],)|(?![0-9]{3}(?![0-9])))(?<!(?-i:[A-Z]{2})\s)(?<!(?i:at|by|to)\s)(?<!(?i:till|from)\s)(?<!(?i:until)\s)[0-9]+(?![0-9.:/×*]|,[0-9]{3}(?![0-9]))"
_NOT_A_COUNT_AFTER = r"(?!\s*(?:[%％度℃°点时分号月日年周天人位倍次小钟吨元万秒折]|个人|个小时|个钟|公斤|公里|[A-Za-z]))"
_COUNTED_NOUN = (r"\s*(?:pcs|units?|(?!more|extra|less|fewer)(?:[a-z]+ )?(?!(?:hr|hour|min|minute|sec|second|day|week|month|year|degree|"
                 r"guy|people|men|time|cycle|percent|kg|lb|mm|cm|km|bar|volt|amp|watt|rpm|ppm|dB)s)[a-z]{2,}s)(?![A-Za-z])")
_CN_COUNT = r"(?:(?<=了)|(?<=大概|大约))\s*[一二两三四五六七八九十百]+\s*[来几多余]?\s*(?:个|台|套|根|条|件|块|片|张|扇|组|排|列|段|间|米|处|盏|只|本|方)(?!人|小时|钟|多|半|左右)"
UNREAD = re.compile(rf"{_NUMBER}(?:{_NOT_A_COUNT_AFTER}|{_COUNTED_NOUN})|{_CN_COUNT}", re.IGNORECASE)

# A completion with a rest still to do after it ("装完了 but 网络还没测", "finished, still need the docs").
CONTRAST = re.compile(r"但是?|不过|还差|就差|还没|还有|只是|就剩|只剩|(?<![A-Za-z])(?:but|except|though|left|remain(?:s|ing)?|still|not yet|pending|not the whole)(?![A-Za-z])"
                      r"|(?<![A-Za-z])(?:one|side|half|part|rest)\s+(?:starts|goes in|is next|will be)(?![A-Za-z])|(?<!good )(?<![A-Za-z])to go(?![A-Za-z])|[,;]\s*[^,;]{1,30}\s+next(?:\s+(?:week|month|shift|time))?\s*$"
                      # "风管装好了，保温下(?:周|个?礼拜|个?星期)包": more of the work to do later, by its verb
                      r"|[,，;；。]\s*[\u4e00-\u9fff]{0,6}?(?:下(?:周|个?礼拜|个?星期)|明天|明早|后天|周[一二三四五六日末])(?:(?:再|才)?(?:继续|接着)|(?:再|才)?(?:包|装|做|弄|干|铺|刷|接|焊|贴|搞|调|微调|改|修))(?![^,，;；。]*[A-Za-z][A-Za-z0-9]{0,9}-[0-9])",
                      re.IGNORECASE)
# "其他都完成", "everything else is done": all but something, which the words name before or after.
THE_REST_BEFORE = re.compile(r"其他|其余|别的|剩下的|(?<![A-Za-z])(?:the rest|everything else|all the rest|rest of it)(?![A-Za-z])", re.IGNORECASE)
# A percent right after a thing, then what has happened to that share ("闸机80%已经通电了"): a share of the things.
SHARE_OF_THING = re.compile(r"[\u4e00-\u9fff](?<![到度成是为了在约过有达])$")
# "门 60% 运到现场了", "滤料 30% 到仓库": a share of what was delivered, named after the percent or not.
ARRIVED_AFTER = re.compile(r"\s*(?:[\u4e00-\u9fff]{1,6}\s*)?(?:已经?|都)?\s*(?:(?:运|送|拉|发|搬)?到(?:了)?\s*(?:现场|仓库|工地|库房|库里|场地)|(?:已经?|都|全部)\s*(?:到货|到齐))")
SHARE_DONE_AFTER = re.compile(r"\s*(?:已经|已|都)\s*[\u4e00-\u9fff]")
# A completion followed in its clause by a numbered part ("finished the string 3 swap, strings 1 and 2 next week").
COUNTED_IN_CLAUSE = re.compile(r"[^,，;；。.!！\n]{0,30}?(?<![A-Za-z0-9.#:/\-])[0-9]+(?![0-9.)、:：%])(?!\s*(?:h|hrs?|hours?|mins?|小时|点|号|:))",
                               re.IGNORECASE)
# A completion with a count in its clause: a part of the work ("rows 120 铺完了", "装完 2 号机", "finished 4 units").
COUNTED = re.compile(r"(?<![A-Za-z0-9.#:/\-])[0-9]+(?![0-9])")
COUNTED_AFTER = re.compile(r"\s*了?\s*第?[0-9一二两三四五六七八九十]+\s*(?:(?:号|个|台|套|根|条|件|块|片|张|扇|组|排|段|层|间)[\u4e00-\u9fff]{0,2}"
                           r"\s*了?|(?:units?|pcs|of [0-9]+)(?![A-Za-z]))\s*(?:[,，;；。.!！]|$)"
                           r"|\s*第?[0-9一二两三四五六七八九十]+\s*号[\u4e00-\u9fff]{0,3}的", re.IGNORECASE)  # "装完5号杆的摄像机了": pole 5's camera

# A blocker denied ("no longer stuck", "不再等"): the obstacle is gone, an unblock. Waited for nothing, or waited for
# before a start in a later clause ("等了半天 终于开始了"): not a blocker to set without asking.
NEGATED = re.compile(r"(?:(?<![A-Za-z])(?:no longer|not|isn'?t|aren'?t|wasn'?t|no more|never)|不再|(?:不用|不必|无需|别)再?)\s*$", re.IGNORECASE)
NOTHING_AFTER = re.compile(r"\s*(?:on |for )?(?:nothing|nobody|no one|没什么|没啥)(?![A-Za-z])", re.IGNORECASE)
CLAUSE_GAP = re.compile(r"[\s,，;；。.!！]")

# A percent compared with something, or said of a certainty or a fault ("30% cheaper than quoted", "比上周高 20%",
# "100% sure", "100% my fault"): not the task's progress.
COMPARED_AFTER = re.compile(r"\s*(?:(?:[a-z]+er|more|less|faster|slower|better|worse|over|under|above|below|up|down)\s+(?:than|on|vs)"
                            r"|(?:sure|certain|confident|safe|positive|agree[sd]?|my|our|your|his|her|their|its)(?![A-Za-z])|(?:higher|lower|cheaper|shorter|longer|faster|slower|smaller|bigger|less|fewer|more)(?![A-Za-z]))",
                            re.IGNORECASE)
# A machine's setting or load before a percent ("compressor running 80%", "genset loaded to 70%").
SETTING_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:running|throttled|idling|firing|charged|dim|dimmed|set|capacity|load|utili[sz]ation|locked|capped|limited|held|pinned|parked|stroke|dosing|dosed|proportioned)"
                            r"(?:\s*(?:to|at|到))?|(?:系数|参数|定值|阈值|门槛)\s*(?:设(?:为|成|到)?|为|是)?|(?<![铺敷布建假架开预陈摆])设(?:为|成|到)|设在|设置?在|限流|限速|限幅|开度|亮度|调光到?|给到|设定(?:到|在)?|变频(?:给到|调到|设到)?)\s*$", re.IGNORECASE)
# A thing whose own level a percent gives, a few words before it ("话筒电池 still 40%", "油位 60%"): a reading.
CN_MEASURED = re.compile(r"(?:电池(?![柜架包舱组])|电量|油量|油位|水位|液位|罐位|库存|余量|气压|胎压)[^,，;；。.!！0-9]{0,10}$"
                         r"|(?:风扇|(?<![A-Za-z])fans?)\S{0,8}\s*(?:都是|一直|开到|转速|running at|at)\s*$"
                         r"|(?<![进完])[率值](?:做到|达到|提到|提高到|升到)了?\s*$|(?:超标|超出|超了|高出|偏高|偏低|下降了?|上升了?|提高了?|降低了?|减少了?|增加了?|缩短了?|延长了?|节省了?|节约了?)\s*$")  # "回收率做到 80%": the rate's, not the task's
# A task change said key first ("A-3 priority high pls, …", "A-3 优先级 调高"): no report in its words.
CHANGE_FIRST = re.compile(r"\s*(?:priority|优先级|due|deadline|截止)(?![A-Za-z])", re.IGNORECASE)
# A thing restored ("塔筒照明已经恢复了", "power is back"): the obstacle's end, or a part of the work? With a progress
# figure beside it, asked.
NUMBERED_PART = re.compile(r"\s*(?:the\s+)?(?i:rows?|phases?|sections?|bays?|floors?|zones?|areas?|lines?|blocks?|strings?|levels?|stages?)"
                           r"\s*[0-9A-Z](?![a-z])")
# After a percent, what is left or what runs at it ("lamp life 75% remaining", "压缩机 60% 在跑"): a reading.
LEFT_OR_RUNNING_AFTER = re.compile(r"\s*(?:remaining|left(?! to)|在跑|在运行|运行中|设定|设置|running|discount|off(?= (?:the|on|our|list))"
                                   # a machine's share said after the figure ("跑85%速度", "at 70% load"): a reading
                                   r"|的?(?:速度|转速|负荷|负载|功率|出力|开度|风量|流量)|(?:speed|load|power|capacity|throttle|duty)(?![A-Za-z]))(?![A-Za-z])", re.IGNORECASE)
CERTAIN_AFTER = re.compile(r"\s*(?:not|sure|certain|positive|ok|okay|it'?s|that'?s|the (?!task|job|work)|确定|肯定|赞成|同意|支持|相信|没问题|没事|放心)(?![A-Za-z])",
                           re.IGNORECASE)
CREW_ARRIVED = re.compile(r"(?<![的家方商])(?:人|人员|班组|工人|大家)\s*(?:都|已经?|全)?\s*(?:到齐了?|齐了)$|到位了?$|(?<![A-Za-z])(?:crew|team|everyone)"
                          r"(?:'s| is| are)?\s*(?:all )?(?:here|in)$", re.IGNORECASE)
# A wait said to be over by a start in the same message ("拖了半个月 今天总算开始了", "终于开工了，等了两天的吊车"): the
# blocker is waited out; asked, not set.
# A completion said to be near ("快完事了", "差不多快搞定了", "almost finished"): how near, no one says; offered.
NEAR_BEFORE = re.compile(r"(?:快要?|就要|即将|马上(?:就)?|差不多(?:快)?|基本上?(?:快)?|接近|将近|(?<![A-Za-z])(?:almost|nearly|close to being))\s*$",
                         re.IGNORECASE)
# A layer of the work finished ("排水层已完成", "面层搞定了"): the last one, or one of several? Offered.
LAYER_BEFORE = re.compile(r"[\u4e00-\u9fffA-Za-z]{1,4}层\s*(?:已经?|都|也)?\s*$"
                          r"|[A-Z]{1,3}\.?\s?[0-9]+\s*(?:到|至|-|~|to)\s*[A-Z]{1,3}\.?\s?[0-9]+")  # "FR.88 到 FR.102": a stretch of the work
# An earlier figure said to be another task's ("刚才那个 60% 是 A-5 的"): a correction that moves it; asked.
FIGURE_MOVED = re.compile(r"(?:刚才|刚刚|上一?条)(?:那个|的)?[^,，。;；]{0,12}是\s*[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9}\s*的")
# A place within the work right before its completion ("machine room 完成", "底坑 done"): that place's part, asked.
PLACE_BEFORE = re.compile(r"(?<![A-Za-z])(?:machine|plant|motor|control) room\s*(?:is\s*)?$|(?<![A-Za-z])(?:pit|shaft|landing)s?\s*(?:is\s*|are\s*)?$"
                          r"|(?:机房|底坑|井道)\s*(?:已经?|都|也)?\s*$", re.IGNORECASE)
# A section of a paper still to write ("appendix section missing"): unfinished work, no obstacle.
PART_MISSING = re.compile(r"(?<![A-Za-z])(?:section|chapter|page|paragraph|part|step|field|signature page)s?\s+(?:(?:is|are)\s+)?(?:still\s+)?missing",
                          re.IGNORECASE)
# The sender's own time said so, beside a crew's ("本人今日投入工时4.5小时，仪表班另有2人配合"): the hours are theirs.
MY_OWN = re.compile(r"本人|我本人|我自己|(?<![A-Za-z])(?:myself|i personally)(?![A-Za-z])", re.IGNORECASE)
# A task's part of a message that says only that something happened, in words no rule reads ("topped out",
# "terminated and megger'd", "封顶了"): done, or a stage? Beside other tasks' writes, the message is asked.
UNKNOWN_STATE = re.compile(r"\s*(?:(?:is|are|was|were|been|got|just|all)\s+)?[A-Za-z]{3,}(?:ed|'d)(?![A-Za-z])|\s*[\u4e00-\u9fff]{1,4}了\s*(?:[,，;；.。!！]|$)",
                           re.IGNORECASE)
# The next one after a start ("做完了，开始下一个", "done, starting the next one"): another task's start, maybe.
NEXT_ONE = re.compile(r"下一|(?<![A-Za-z])next(?![A-Za-z])|another", re.IGNORECASE)
# A run-through before the show ("彩排完成", "focus done", "soundcheck done"): a stage of the work, not all of it.
REHEARSAL_BEFORE = re.compile(r"(?<![\u4e00-\u9fff])(?:开发|编码)\s*$|(?:彩排|走台|调音|联排|试演|(?<![A-Za-z])(?:rehearsals?|soundcheck|focus|tech run|run-?through|dress run)"
                              # a step of a blasting cycle ("mucking done", "出渣完了")
                              r"|出渣|装药|排险|(?<![A-Za-z])(?:mucking(?: out)?|charging(?: up)?|scaling|bogging)"
                              # a fit-out stage ("first fix complete, second fix starts Monday")
                              r"|(?<![A-Za-z])(?:first|1st|second|2nd) fix"
                              # a commissioning level, a walk-round before handover ("L3 done，L4 下周", "snag walk done")
                              r"|(?<![A-Za-z])(?:L[1-5]|snag walk|walk-?through|punch walk))\s*(?:已经?|都|也)?\s*$",
                              re.IGNORECASE)
# A utility off ("停电", "outage"): for part of a day, as likely a planned window as an obstacle.
OUTAGE = re.compile(r"停电|停水|停气|(?:power|water) (?:off|outage)|outage", re.IGNORECASE)
# "resolved" and nothing else, or a rest after it ("KEY resolved", "resolved, pending user confirmation"): in a
# ticket's words the task is done; in a blocker's, unblocked. Offered.
RESOLVED_ALONE = re.compile(r"\s*resolved\s*(?:[.!✔✅👍]+|[,;]\s*(?:pending|waiting|awaiting|to be (?:confirmed|verified))\b.*)?\s*", re.IGNORECASE)
# A ticket's closing word and nothing else ("KEY fixed", "KEY 已关闭", "fixed, pending user confirmation"): the
# work done, or only its fault? Offered as done.
TICKET_CLOSED_ALONE = re.compile(r"\s*(?:(?:is |been )?fixed|closed|已修复|修复了|已关闭|已关单)\s*(?:[.!。！]|[,;，；]\s*(?:pending|waiting|awaiting|to be (?:confirmed|verified)|待|等)\S*.*)?\s*",
                                 re.IGNORECASE)
# A thing repaired and running again ("3号梯 修好了 已恢复运行"): a repair task done, or an obstacle gone? Offered.
REPAIRED_THEN_BACK = re.compile(r"(?:修好了?|修复了?|(?<![A-Za-z])(?:repaired|fixed))[^,，;；。.]{0,12}?\s*(?:已经?|is |are )?\s*"
                                r"(?:恢复(?:运行|使用|正常)|back in (?:service|operation|use)|running again)", re.IGNORECASE)
# After "block", a block's number or name ("block 12 erected", "block C 80%", "block loading all set"): a part of a hull
# or a field, not a blocker.
BLOCK_AS_NOUN = re.compile(r"(?:[0-9]|[A-Z](?![A-Za-z])|(?i:no\.|#|(?:loading|erection|erected|assembly|joining|lifting|turnover|outfitting|painting|wall|paving|work)(?![A-Za-z])))")
# Between a blocker and the unblock word after it, the blocker's condition ("won't let us on the roof till the permit's
# signed"): still blocked.
UNTIL_BETWEEN = re.compile(r"(?<![A-Za-z])(?:till|until|unless|before)(?![A-Za-z])|直到|等到|之前", re.IGNORECASE)
# An acceptance ("signed off by the store manager", "验收通过"): the work done, or an obstacle gone? Offered.
SIGNED_OFF = re.compile(r"(?<![A-Za-z])signed off by|签字确认|验收(?:通过|合格)", re.IGNORECASE)
# A planned outage ("停电检修，今天干不了"): scheduled, or an obstacle? Offered.
PLANNED_OUTAGE = re.compile(r"停电检修|检修停电|计划停电|(?<![A-Za-z])(?:planned|scheduled) (?:outage|shutdown)", re.IGNORECASE)
# After a fraction, a hedge on it ("half done 吧，maybe a bit less").
LESS_OR_MORE = re.compile(r"(?<![A-Za-z])(?:a bit|bit|a little|slightly) (?:less|under|more|over)|(?<![A-Za-z])or (?:less|more)(?![A-Za-z])|少一点|多一点", re.IGNORECASE)
# A joke taken back ("done lol jk", "完成了才怪"): nothing said at all; "not jk" means it.
# A remark, not a command's words ("new ABC rack quote is 20% cheaper, ABC-9 fyi"): nothing created from it.
REMARK = re.compile(r"(?<![A-Za-z])(?:fyi|btw|fwiw|lol|haha|jk)(?![A-Za-z])|仅供参考|顺便说|哈哈", re.IGNORECASE)
JOKING = re.compile(r"(?<![A-Za-z])(?<!not )(?:jk|j/k)(?![A-Za-z])|(?<![A-Za-z])(?<!not )(?<!no )(?:just kidding|kidding)(?![A-Za-z])|开玩笑的?(?!吧)|才怪", re.IGNORECASE)
# After a percent, the work stopped there ("机械手报警 60%停在那了"): how far is the task? Asked, unless a wait is said
# ("等 vendor 的 firmware，40% 停在这": blocked at 40%).
STOPPED_AFTER = re.compile(r"\s*(?:就|都)?\s*停在(?:那|这)|\s*(?:stuck|stopped|frozen|hung)(?![A-Za-z])", re.IGNORECASE)
# What "still pending" may name before it ("approval from the harbour master still pending"): blocked on it.
AWAITED = re.compile(r"(?<![A-Za-z])(?:approval|permit|sign-?off|signature|licen[cs]e|consent)(?![A-Za-z])|审批|许可|签字|批复", re.IGNORECASE)
# Between an unblock and a blocker after it ("parts came in, but now waiting on the cert"): blocked again.
BUT_THEN = re.compile(r"(?<![A-Za-z])(?:but|however|yet)(?![A-Za-z])|但是?|可是|不过|然而", re.IGNORECASE)
# After "should be", a date the figure is for ("should be at 80 by Friday"): a forecast, no correction.
FORECAST_BY = re.compile(r"[^.;!?。；！？]{0,20}?(?<![A-Za-z])by\s+(?:mon|tue|wed|thu|fri|sat|sun|tomorrow|tmrw?|next|the end|end of|eod|eow|cob)",
                         re.IGNORECASE)
# Material arrived and a share right after it ("料到了60%"): a share of what came, not the task's progress; asked.
ARRIVED_SHARE = re.compile(r"(?:料|货|材料|配件|零件|设备|管材|线材)(?:已经?|都)?(?:到了|到货了?)\s*[0-9]{1,3}\s*%")
# "暴雨停了一阵 又接着干": the rain stopped for a while, or stopped the work for a while?
FOR_A_WHILE = re.compile(r"\s*(?:一阵子?|一会儿?)")
# "rain stopped, pouring again": the rain's pouring, or the concrete's?
RAIN_THEN_POURING = re.compile(r"(?<![A-Za-z])rain\w*(?![A-Za-z]).*(?<![A-Za-z])pour(?:ing|s)?(?: again)?\s*[.!。！]*$", re.IGNORECASE)
# Rain and "stop" with nothing more ("rain stop"): stopped by rain, or the rain stopped? Asked.
RAIN_STOP = re.compile(r"\s*rain\s+stop\s*[.!。！]*\s*", re.IGNORECASE)
# A bare number right before a start ("done, 205 started"): another task's number, not this key's start; asked.
NUMBER_BEFORE_START = re.compile(r"[,，;；]\s*[0-9]{1,3}\s*$")
# A wait with its length, then the work ("waited an hour for the first truck then paved 3h"): is the wait in the hours?
WAITED_THEN = re.compile(r"(?<![A-Za-z])waited\s+[^,.;]{0,40}?\bthen\b", re.IGNORECASE)
# A percent right after an arrival ("海缆 到港 八成", "delivered 60%"): a share of something came; asked.
ARRIVED_BEFORE = re.compile(r"(?:到港|到货|到场|进场|运到|送到|发货|卸货|卸船)了?\s*$|(?<![A-Za-z])(?:arrived|delivered|received|shipped|unloaded)\s*$",
                            re.IGNORECASE)
# A percent right before an arrival ("管子 百分之五十 到货了"): a share of something came, no obstacle gone; asked.
SHARE_RIGHT_BEFORE = re.compile(r"(?:[0-9]{1,3}\s*%|百分之[一二两三四五六七八九十]{1,3})\s*(?:的)?\s*(?:已经?|都|也)?\s*$")
# After an unblock, something else still not done ("批下来了 but the scaffold is still not up"): free to go on? Asked.
BUT_STILL_NOT = re.compile(r"(?:(?<![A-Za-z])(?:but|however)(?![A-Za-z])|但是?|可是|不过)[^.;!?。；！？]{0,40}?(?:(?<![A-Za-z])(?:still not|not yet|yet to|still no|still waiting)(?![A-Za-z])|还没|还未|尚未|还在等)",
                           re.IGNORECASE)
# Before "missing", what is left ("only the governor tag still missing"): near done, no obstacle.
ONLY_LEFT = re.compile(r"(?<![A-Za-z])(?:only|just)(?![A-Za-z])|只差|就差|只剩|就剩", re.IGNORECASE)
# An unblock that says the wait is over ("装好了 不用等了"): what was done was the awaited thing.
WAIT_OVER = re.compile(r"不用(?:再)?等|不等|不再等|no longer waiting|not waiting", re.IGNORECASE)
# Before "ok了", an arrival ("线到了 ok了"): the ok is the arrival's, not the task done.
CAME_BEFORE = re.compile(r"到了\s*$|(?<![A-Za-z])(?:arrived|came|here)\s*[,，]?\s*$", re.IGNORECASE)
# A condition in the clause before an arrival or a release ("once the crane is here", "一旦许可批了"): not yet.
CONDITION_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:once|as soon as|if|unless|until|till|provided)(?![A-Za-z])|一旦|如果|要是|只要|等到)[^,.;!?，。；！？]*$",
                              re.IGNORECASE)
# A wait for the work's own time to set ("等养护", "waiting for the screed to dry"), or for the briefing before it
# ("waiting on the toolbox talk"): a step of the work, no obstacle.
ROUTINE_WAIT = re.compile(r"等(?:待|着)?\s*(?:混凝土|砼|油漆|胶|涂料|地坪|找平层|水泥)?\s*(?:的)?\s*(?:养护|凝固|固化|晾干|干透|干燥|冷却|静置|沉降|班前会|安全交底|技术交底|真空泵|抽真空)"
                    r"|wait(?:ing)?\s+(?:for|on)\s+(?:the\s+)?(?:toolbox talk|tool-?box meeting|tbt|pre-?start(?: meeting| briefing)?|safety briefing)(?![A-Za-z])"
                    r"|wait(?:ing)?\s+(?:for|on)\s+(?:the\s+)?(?:concrete|paint|glue|epoxy|sealant|grout|screed|coat(?:ing)?|plaster|pour|slab)?"
                    r"\s*(?:to\s+)?(?:cure|curing|dry|drying|set|harden|cool)(?![A-Za-z])", re.IGNORECASE)
# After a start, only a time to come in a clause of its own ("kick off KEY next Mon", read "kick off, next Mon"): a plan.
ONLY_A_TIME_AFTER = re.compile(r"\s*[,，]\s*(?:next\s+[A-Za-z]+|tomorrow|tmrw?|on\s+(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*|(?:mon|tues|wednes|thurs|fri|satur|sun)day"
                               r"|明天|后天|下(?:周|个?礼拜|个?星期)[一二三四五六日天]?)\s*[.!。！]?\s*$", re.IGNORECASE)
# After an English start, a Chinese day to come ("we'll start 下周一"): a plan (Chinese itself says the day first).
CN_DAY_AFTER = re.compile(r"\s*(?:明天|明早|明晚|后天|下(?:周|个?礼拜|个?星期)|周[一二三四五六日天]|礼拜[一二三四五六日天]|星期[一二三四五六日天]|今晚)")
# Before a start word, the work going on again ("继续开工", "resume work"): a start once an obstacle went is the unblock.
GOES_ON_BEFORE = re.compile(r"(?:继续|恢复|重新|接着)\s*$|(?<![A-Za-z])(?:continue|resume|carry on)\s*$", re.IGNORECASE)
# A completion or start in the past with "tonight" after it ("both finished tonight"): done; "finish tonight" stays a plan.
PAST_DONE = re.compile(r"(?:ed|完成了|完了)\s*$", re.IGNORECASE)
# After a completion, tonight ("finished tonight"): when, not a plan, if the completion is past (PAST_DONE).
TONIGHT_AFTER = re.compile(r"\s*(?:tonight|今晚)\s*(?:[,.!]|$)", re.IGNORECASE)
# The obstacle's matter finished ("电源的事搞定了", "那个问题处理完了"): the obstacle is done with, not the task.
MATTER_BEFORE = re.compile(r"(?:的事|的事情|这事|那事|的问题|这个问题|那个问题)\s*(?:也|都|已经?)?\s*$")
WAITED_OUT = re.compile(r"(?:终于|总算)\s*(?:可以)?\s*(?:开工|开始|动工|开干|开[\u4e00-\u9fff])"
                        # a wait that is the plan ("等夜班下了再开始", "wait till the shift leaves, then start"): blocked, or scheduled?
                        r"|拖到[^,;.，。]{0,8}才"  # "许可拖到中午才给，两点才动工": started once it came, or blocked till then?
                        r"|等[^,;.]{1,12}?\s*(?:再|才)\s*(?:开始|开工|动工|做|干|弄|搞|装|进场)|(?<![A-Za-z])waiting (?:for )?[0-9.]+\s*(?:h|hrs?|hours?|小时|个小时)(?![A-Za-z])|"
                        # a wait said by how long it took ("等风 等了3个小时", "waited 2h for the crane"): over, or still on?
                        r"等了\s*(?:[0-9.]+|[一二两三四五六七八九十半]+)\s*(?:个)?多?\s*(?:小时|钟头|个钟|h(?![A-Za-z]))(?!\s*(?:了)?\s*(?:还|仍|依然))"
                        r"|(?<![A-Za-z])waited (?:for )?(?:[0-9.]+|an?|one|two|three|four|five|six) ?(?:hours?|hrs?|h)(?![A-Za-z])|(?<![A-Za-z])wait(?:ing)? (?:for|until|till) [^,;.]{1,30}?(?:then|before) (?:we )?(?:start|begin)",
                        re.IGNORECASE)
REPAIRED = re.compile(r"修好|修复|换好|(?:got )?fixed|repaired|replaced|rebuilt", re.IGNORECASE)  # a completion word that is a repair's
THING_RESTORED = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,}\s*(?:已经?|都|也)?\s*(?:恢复了?|修好了|(?:is|are) back|restored)$", re.IGNORECASE)
# A stop for a part of the day ("太阳太毒了 中午干不了", "too hot to work at noon"): not a blocker to set without asking.
PART_OF_DAY = re.compile(r"晌午|中午|午后|上午|下午|傍晚|晚上|夜里|(?<![A-Za-z])(?:at noon|midday|(?:at|after|before|over) lunch|(?:this |in the )?(?:morning|afternoon|evening)|tonight)(?![A-Za-z])",
                         re.IGNORECASE)
SIGNATURE_PENDING = re.compile(r"没签|未签|not (?:yet )?signed|waiting (?:on|for) (?:the )?(?:QA |QC |client )?sign-?off", re.IGNORECASE)  # a blocker that is a paper still to sign
NEGATED_END = re.compile(r"(?:不是|(?<![A-Za-z])(?:isn'?t|is not|not))\s*$", re.IGNORECASE)  # "不是没装完": a double negative
CANT_WORK = re.compile(r"干不了|没法干|不能干|做不了|停工")  # no work, no cause: the day's part?
PART_OF_DAY_STOP = re.compile(r"(?:晌午|中午|上午|下午)\s*(?:就|都|也)?\s*(?:干不了|不能干|没法干|停工|歇了?)|停(?:工)?半天|(?:今天|今日)(?:就|先)?(?:干)?到这")
# Nouns of a quantity that WordNet's list (commands/measure_nouns.txt) lacks: "glycol mix is at 35%".
MORE_MEASURES = frozenset({"mix", "mixture", "blend", "dilution", "glycol", "brine", "setpoint", "dose", "dosage", "limit", "precharge", "compliance", "output",
                           "pre-charge", "charge", "factor"})
# A part of a message on several tasks that says only a vague amount ("A-1 half, A-2 some"): the message is asked.
VAGUE_AMOUNT = re.compile(r"一些|一点|部分|还差|就差|只差|有进展|同上|也是|也一样|(?<![A-Za-z])(?:some|a bit|a little|partly|partially|bits|mostly|largely|most of|same|ditto)(?![A-Za-z])", re.IGNORECASE)
# "模组有70%已经到仓库了", "其中 30% …": a share of a thing the words name, not the task's progress; asked. So is a
# payment claimed ("progress claim 55%", "请款 40%"): the money's share, which may not be the work's.
SHARE_LEAD = re.compile(r"(?<![A-Za-z])(?:progress |payment |interim )?claim(?:ed)?\s*(?:of|at|is|for)?\s*$|请款\s*$|(?:合同|进度|预付|工程|首|尾)款[^,，;；。]{0,8}?(?:支付|付)(?:了|到了?)?\s*$|[\u4e00-\u9fffA-Za-z](?<![进度成经还我你他她们])\s?有\s*$|其中\s*$|[\u4e00-\u9fff](?<![进度])的\s*(?:已经?|都)?\s*$", re.IGNORECASE)
# A thing said to be wrong ("螺栓规格不对", "尺寸不对"): a report of trouble, no correction of a write.
THING_WRONG = re.compile(r"(?:规格|尺寸|型号|数量|颜色|方向|位置|角度|标高|参数|图纸|版本)不对")
HEDGE_BEFORE_HOURS = re.compile(r"(?:差不多|大概|大约|约|(?<![A-Za-z])(?:about|around|roughly))\s*$", re.IGNORECASE)
# A figure given as a bound ("past the halfway mark", "just shy of 75%", "north of 60"): about, not exactly; asked.
BOUND_BEFORE = re.compile(r"马上(?:就)?(?:要)?(?:到|达到)\s*$|(?<![A-Za-z])(?:past|beyond|over|under|below|shy of|short of|more than|less than|not quite|north of|south of|upwards of)"
                          r"\s+(?:the\s+)?$|差一点点?就?\s*(?:hit|到|达到|上)?\s*$", re.IGNORECASE)
# A hedge after the figure ("two thirds done I reckon", "80% 吧我觉得"): asked.
HEDGE_AFTER = re.compile(r"往上|开外|应该有|估计有|(?<![A-Za-z])(?:i reckon|i think|i guess|i believe|i'?d say|probably|maybe|or so|give or take)(?![A-Za-z])|^-?ish(?![A-Za-z])|我觉得|我估计|估计吧",
                         re.IGNORECASE)
# Trouble in words the blocker list does not hold ("有点状况", "some weirdness with the flow meter"): asked, never a blocker set.
TROUBLE_MORE = re.compile(r"状况|毛病|有[点些]\s?问题|不对劲|怪怪的|不知道为什么|(?<![A-Za-z])(?:dunno why|no idea why|alarm tripped|tripped (?:twice|again))(?![A-Za-z])|(?<![A-Za-z])(?:weird(?:ness)?|odd|funny noise|acting up|glitch(?:y|es)?|what'?s up with|not sure what)(?![A-Za-z])",
                          re.IGNORECASE)
# Material or budget used up ("灌浆料 用掉 40% 左右"): a consumption, not progress.
CONSUMED_BEFORE = re.compile(r"(?:用掉|用去|已用|已经用了|占用了?|消耗了?|耗掉|耗了|(?<![A-Za-z])(?:used up|consumed|burned through))\s*$", re.IGNORECASE)
# A plan before a start ("plan 是 next week 开工", "tomorrow we start"): no start yet.
PLAN_WORDS = re.compile(r"(?<![A-Za-z])(?:plan|planned|planning|next week|tomorrow|tonight|later|will|gonna|going to)(?![A-Za-z])", re.IGNORECASE)
# The time a test runs for ("discharge test runs 45 minutes"): the test's, not work spent.
TEST_RUNS = re.compile(r"(?<![A-Za-z])(?:tests?|cycles?|runs?)\s+(?:runs|ran|lasts|lasted|takes|took)\s*(?:for\s*)?$"
                       r"|(?:循环|周期)\s*(?:了|时间|时长|用时|要|需要)?\s*$|(?<![A-Za-z])(?:cycles?|CIP)\s*(?:time|length)?\s*(?:is|was|of|:)?\s*$",
                       re.IGNORECASE)  # "循环 25 分钟": a machine's cycle, not the crew's time
# The percent said not to be progress ("68%，那是气柜的容积，不是进度哈", "that's not progress, it's the tank level").
NOT_PROGRESS = re.compile(r"不是进度|(?<![A-Za-z])not (?:the )?(?:task'?s )?progress(?![A-Za-z])", re.IGNORECASE)
# "八十几", "百分之八十几", "90 多": tens and some; asked.
_SOME = r"(?:几|多|来)(?![个台])"
SOME_MORE_AFTER = re.compile(rf"\s*{_SOME}")
# After a labelled figure, a second one ("进度 50 to 60"): a range, asked.
RANGE_TO_AFTER = re.compile(r"\s*(?:to|-|~|～|到|至|或者?|还是|or)\s*[0-9]{1,3}(?![0-9])", re.IGNORECASE)
# After a labelled figure ("进度 90 多", "progress 90+"), any of these says "more than"; after a percent, "or so" is "about".
MORE_THAN_AFTER = re.compile(rf"\s*(?:{_SOME}|出头|以上|\+|or so|odd)", re.IGNORECASE)
# A part named by a letter or a number before a completion ("升降台A完成"): one part finished, not the task.
# An equipment tag made a word (commands/keys.py, "PT-2031" read as "PTxcdab") before a completion: the tag's ("API-10
# PT-2031 装完了": the transmitter installed, or the task done?); offered.
TAG_BEFORE = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9]{0,9}x[a-j]{1,9}(?![A-Za-z0-9])|(?<![A-Za-z0-9])[A-Z]{2,6}-0[0-9]{1,4}(?![0-9])")  # "ATM-07 底座": a unit's
PART_LETTER_BEFORE = re.compile(r"[\u4e00-\u9fff]{1,6}\s?[A-Z0-9](?![A-Za-z0-9])\s*(?:已经?|都|也)?\s*$")
# A measurement named before a key ("Humidity in the A-3 hall sits at 45%"): a reading in the task's place.
MEASURE_LEAD = re.compile(r"(?<![A-Za-z])(?:humidity|temperature|pressure|voltage|current|flow|level|noise|dust|moisture|rate|ratio|yield)(?![A-Za-z])|[\u4e00-\u9fff]率|湿度|温度|(?<!热)压力|电压|电流|流量|液位|噪音|粉尘|含水率",
                          re.IGNORECASE)
# A safety isolation ("isolated and locked out", "LOTO"): the work's own step, no blocker.
ISOLATED = re.compile(r"isolated and locked out|(?<![A-Za-z])loto(?![A-Za-z])|lock-?out[ /,]*tag-?out", re.IGNORECASE)
# An explicit unblock asked for or said ("…搞定了，unblock 一下", "解除阻塞"): the completion was the obstacle's.
UNBLOCK_SAID = re.compile(r"(?<![A-Za-z])unblock(?:ed)?(?![A-Za-z])|解除阻塞|解封", re.IGNORECASE)
# A step done first ("先拆一半", "先做一半"): a part of the plan, not the task's figure.
FIRST_STEP_BEFORE = re.compile(r"先[\u4e00-\u9fff]{0,2}\s*$")
# A start said with a part of the day and nothing else ("A-8 下午开始 belt 对中"): started this afternoon, or starting?
START_WORD = re.compile(r"开始|开工|动工|(?<![A-Za-z])start(?![A-Za-z])", re.IGNORECASE)
# A clock time after a number ("around 2pm", "about 7 点"): no figure of progress.
CLOCK_AFTER = re.compile(r"\s*(?:[ap]\.?m\.?(?![A-Za-z])|点|:[0-5][0-9]|o'?clock)", re.IGNORECASE)
