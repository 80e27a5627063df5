"""The field language's words about time: hours that are not time spent (days, waiting, tests, times to come),
clock spans, vague and quarter hours, and hours shared among tasks. commands/spent.py and commands/field.py read
messages with these; a maintainer extends a list here (the other words are in commands/field_words.py)."""

from __future__ import annotations

import re

from commands.field_words import _words

# Hours that are not time spent, besides the frequency/remaining/range forms in commands/progress.py.
DAYS = _words("half (?:a )?day", "整个(?:上午|下午|早上|晚上)", "[0-9一二两三四五六七八九十半]+\\s*(?:个)?(?:整)?天(?!\\s*(?:强度|抗压|抗折|龄期|试块))", "一整天", "一上午", "一下午", "一晚上", "半天", "整天",
              "[0-9]+(?:\\.[0-9]+)? ?(?:days?|nights?)", "(?:one|two|three|four|five|a|half a) (?:days?|nights?)", "(?<![周期拜])[两二三四五六七八九十]个?(?:晚上|通宵)", "all day", "the whole day")
# Before hours, time lost or waited, not worked ("等了2个小时吊车", "lost 2 hours waiting"), a process's time
# ("自净时间 20 分钟", "cure time 4h") or an outage's: not time spent.
HOURS_IDLE_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:outage|shutdown|downtime|power cut)(?: window)?(?: is| was| of| for| lasts?| will be|\s*给了|\s*批了)?|(?<![A-Za-z])(?:(?:crane|lifting|lift|weather|tide|tidal|work(?:ing)?|time|maintenance|access|sea|vessel|transfer) window(?: (?:tomorrow|today|tonight|is|was|of|will be|lasts?|only))*|window (?:tomorrow|today|tonight|is|was|of|will be|lasts?|only)(?: (?:tomorrow|today|tonight|is|was|of|will be|lasts?|only))*)|(?:窗口期?|时间窗)\s*(?:只有|有|是|约|给了|批了)?|恒温|(?:自净|恢复|固化|干燥|养护|保压|稳压|响应|启动|开机|重启|冷却|预热|升温|降温|静置|反应|切换|传输|下载|上传|备份|同步|编译|构建|加载|充电|放电|待机|换气|通风|吹扫|置换|曝气|沉淀)时间|(?<![A-Za-z])(?:recovery|cure|curing|drying|setting|warm-?up|cool-?down|boot|reboot|restore|backup|sync|build|compile|charg(?:e|ing)|purge|settling|clean-?up) time|(?<![A-Za-z])(?:was |were )?late by|(?<![A-Za-z])(?:CI|pipeline|builds?)\s*(?:跑了|took|ran)|(?:这批|这一批|批次)\s*跑了|(?:fan|pump|motor|风机|水泵|电机|机组|主机)\s*(?:跑了|运行了|试运行了?)|(?:放电|充电|耐压|带载|负载)测试|(?<![A-Za-z])run-?time(?: test)?\s*:?|(?<![A-Za-z])(?:batch|job)\s*(?:耗时|用时|took|ran)?|(?:跑批|全量|增量)\S{0,4}\s*(?:耗时|用时|跑了)?|允许\S{0,4}时间|停留时间|持荷|保载|稳载|静停|天窗|封锁|(?<![A-Za-z])possession(?:\s+(?:was|is|of|window))?|设成|设为|设置为|设定为|调成|(?<![A-Za-z])(?:timeout|set to|set at)|窗口|能撑|能用|可用|续航|试运行|空载运行|运行了|跑合|(?<![A-Za-z])(?:run-?in|lasts?|can run(?: for)?|good for)|(?<![A-Za-z])window|平均(?:响应|处理|用时|耗时)?|响应|(?<![A-Za-z])(?:(?:average|avg|mean)(?:\s+[a-z]+){0,2}|response(?: time)?|turnaround(?: time)?)|测试持续|持续|等了|回温|(?<![A-Za-z])closure(?: (?:permitted|approved|granted|booked))?(?: for)?|吃饭|午饭|午休|(?<![A-Za-z])(?:lunch(?: break)?|tea break|break)|白等了?|耽误了?|浪费了?|延误了?|停了|(?:job|任务|脚本|程序|机器|设备|purge|flush|bake|吹扫|冲洗|置换|烘烤|抽真空|真空泵)\s*(?:跑了|运行了|ran(?: for)?)|waited|waiting|lost|wasted|idle for|delayed(?: by)?|ran for|running for)\s*"
                               r"(?:约|大约|大概|about|around|like)?\s*$", re.IGNORECASE)
HOURS_NOT_SPENT_AFTER = re.compile(r"^[^,，;；。.]{0,30}?(?<![A-Za-z])(?:every|each)\s+(?:day|morning|evening|night|shift|week|time|run|cycle)(?![A-Za-z])"
                                   r"|^\s*(?:的\s*(?:window|slot|窗口|时间窗|时段|间隔|周期)|(?:已经?)?批(?:了|下来|复)|(?:approved|granted)(?![A-Za-z])|前|以前|之前|之内|以内|内|ago|before|within|earlier|later|from now|away|lost|wasted|"
                                   r"of (?:downtime|delay|waiting)|delay|idle|down(?![A-Za-z])|的?\s*(?:耐久|老化|烤机|endurance|soak|burn-?in)"
                                   r"|(?:run|test|soak|cycle)(?![A-Za-z])|合格|达标|没异响|无异响|无异常|(?:to|needed to) (?:fit|install|fix|replace|finish|complete)(?![A-Za-z])|无泄漏|无渗漏|无压降|不漏|(?:test )?passed|no (?:leaks?|drop|loss)(?![A-Za-z]))",  # "24h 合格": a test's
                                   re.IGNORECASE)
# After the hours, a part of them said to be something else ("5h on site, 3 of which stuck in traffic", "其中2小时在等"):
# how much was spent on the task? Asked.
PART_OF_THEM_AFTER = re.compile(r"(?<![A-Za-z0-9.])[0-9.]+\s*(?:h|hrs?|hours?)?\s*of (?:which|them|those|that)(?![A-Za-z])"
                                r"|(?:其中|里面|当中)\s*(?:有)?\s*[0-9一二两三四五六七八九十半]+\s*(?:个)?(?:小时|钟头?|h)", re.IGNORECASE)
# Before hours, someone else doing the work ("day shift spent 6 hrs", "白班阿强之前弄了 3 个钟", "厂家工程师在现场 5 小时",
# "their engineer says 4 hours"): not the sender's time, never written as theirs.
# A colleague by the name people call them ("小王", "老张", "阿强"; not the 小 of 小时 nor "我跟小李").
COLLEAGUE = r"(?<![0-9一二两三四五六七八九十半个跟和与同])[小老阿](?![时钟])[\u4e00-\u9fff](?:那边|他们)?"
SOMEONE_ELSE_BEFORE = re.compile(r"(?<![A-Za-z])(?:day|night|morning|evening|other|previous|last|next) shift (?:spent|did|put in|took)"
                                 r"|(?<![A-Za-z])(?:their|the vendor'?s|vendor) (?:engineer|tech|guy|team)s?|(?<![A-Za-z])(?:he|she|they) (?:spent|did|took)"
                                 rf"|上一班|厂家|供应商|(?:白班|夜班|早班|晚班)\s*(?={COLLEAGUE})|{COLLEAGUE}(?=\S{{0,8}}(?:弄了|做了|干了|搞了|修了|花了))",
                                 re.IGNORECASE)
# The same, said right before the next task's key ("…, 小王那边 A-3 做了 3 个钟"): that task's hours are theirs.
SOMEONE_ELSE_END = re.compile(rf"(?:{COLLEAGUE}|(?<![A-Za-z])(?:day|night) shift(?:'s)?|白班|夜班|他们|厂家)\s*$", re.IGNORECASE)
# Hours said once for every task listed ("2h on each", "各2小时", "2 hours apiece").
EACH_HOURS = re.compile(r"(?:[0-9.]+|(?<![A-Za-z])an?|one)\s*(?:h|hrs?|hours?|小时)\s*(?:on |for )?(?:each|apiece)(?![A-Za-z])|(?:each|各(?:[\u4e00-\u9fff]{1,3}(?=\s*[0-9]))?|每个都?|(?:工时)?都是)\s*(?:花了|用了|干了|做了|弄了|搞了|忙了|整了|投入了?|took|spent)?\s*(?:about|around|大概|约)?\s*(?:[0-9.]+|[一二两三四五六七八九十]+个?半?|半个?)\s*(?:h|hrs?|hours?|mins?|minutes|个?小时|钟头|个?钟(?!点)|分钟)",
                        re.IGNORECASE)
TOTAL = _words("其中", "(?<![一总合])共(?=\\s*[0-9一二两三四五六七八九十])", "split", "between", "分摊", "平分", "合计", "between (?:them|us)", "加起来", "一共", "总共", "合计", "共计", "total", "in total", "altogether", "combined", "together", "across (?:both|them|all)", "for both", "on both", "两个一共", "两个加起来")
CLOCK_SPAN = re.compile(r"(?<![0-9.])[0-9]{1,2}(?:点|:[0-9]{2})?半?\s*(?:[ap]\.?m\.?)?\s*(?:干|做|弄|搞|忙|修|装|工作|干活)?\s*(?:到|-|~|至|to|till|until)\s*"
                        r"(?:早上|上午|中午|下午|晚上|傍晚|凌晨)?\s*[0-9]{1,2}(?:点|:[0-9]{2})"
                        r"|(?<![0-9.])[0-9]{1,2}(?::[0-9]{2}|点半?)\s*(?:[ap]m)?\s*(?:干|做|弄|忙|工作)?\s*(?:到|-|~|至|to|till|until)\s*"
                        r"(?:[0-9]{1,2}|noon|midday|中午|lunch)(?![0-9%.:])"
                        r"|(?<![A-Za-z])(?:from|worked|working)\s+[0-9]{1,2}(?:\s*[ap]m)?\s*(?:to|till|until|-)\s*"
                        r"(?:[0-9]{1,2}(?:\s*[ap]m)?|noon|lunch)(?![0-9%.:])"
                        r"|[一二两三四五六七八九十]{1,3}点半?\s*(?:干|做|弄|搞|忙|工作)?\s*(?:到|至|-)\s*(?:早上|上午|中午|下午|晚上)?\s*[一二两三四五六七八九十]{1,3}点"
                        r"|(?<![0-9.])[0-9]{1,2}(?::[0-9]{2})?\s*[ap]m\s*(?:to|-|~|until|till)\s*[0-9]{1,2}(?::[0-9]{2})?\s*[ap]m"
                        r"|(?<![0-9.])[0-9]{1,2}\s*(?:to|till|until|-)\s*half\s+(?:past\s+)?(?:[0-9]{1,2}(?![0-9])|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?![A-Za-z]))"
                        r"|(?<![0-9.])[0-9]{1,2}\s*点半?\s*(?:干|做|弄|搞|忙|工作)?\s*(?:到|至|-)\s*[0-9]{1,2}\s*点"
                        r"|(?<![A-Za-z])from\s+[0-9]{1,2}\s*(?:到|至)\s*[0-9]{1,2}\s*点"
                        r"|(?<![0-9.])[0-9]{1,2}\s+(?:till|until)\s+[0-9]{1,2}(?![0-9%.:])(?!\s*(?:%|percent|pct|m\b|pcs|units))",
                        re.IGNORECASE)
# Before a span of clock times, a window granted for the work, not time spent in it ("possession granted 01:00-04:30").
WINDOW_BEFORE = re.compile(r"(?:天窗|封锁|要点|(?<![A-Za-z])(?:possession|window|outage))\s*(?:granted|approved|已批|批了|is|was|from)?\s*$", re.IGNORECASE)
# A lone decimal after a key ("A-3 2.5", "A-3 2.5 today"): hours, or a percent? Asked.
BARE_DECIMAL = re.compile(r"^\s*[0-9]{1,2}\.[0-9]{1,2}\s*(?:today|今天|今日)?\s*$", re.IGNORECASE)
VAGUE_HOURS = _words("(?:小时|钟头|个钟)出头", "(?:an? |one |[0-9]+ ?)hours? or so", "(?:h|hrs?|hours?|mins?|minutes)[^.;。]{0,40}(?:then |and |plus )another (?:hour|[0-9.]+ ?(?:h|hrs?|hours?|mins?|minutes))", "(?:h|hrs?|hours?)(?![A-Za-z])[^.;。]{0,30}(?:maybe |probably |or )a (?:bit|little) (?:more|longer)", "小时多一点", "[0-9]+(?:\\.[0-9]+)? ?(?:h|hrs?|hours?|小时)\\+", "[0-9]+(?:\\.[0-9]+)? ?(?:h|hrs?|hours?|个?小时)\\s*多",
                     "[0-9]+ ?(?:h|hrs?|hours?)(?:-| )?ish", "[一二两三四五六七八九十0-9]+来个?(?:小时|钟头|钟)", "几个(?:小时|钟头|钟)", "[一二两三四五六七八九十]个几(?:小时|钟头|钟)", "一两个(?:小时|钟头|钟)", "[一二两三四五六七八九十]+个?多\\s*(?:小时|钟头|钟|hours?|hrs?)", "a couple (?:of )?hours",
                     "a few hours", "(?<![A-Za-z])few (?:hours|hrs)", "several hours", "some hours", "couple (?:of )?(?:hours|hrs)")
QUARTER_HOURS = ((re.compile("一刻钟|(?<![A-Za-z])(?:a|one) quarter (?:of an )?hour(?![A-Za-z])", re.IGNORECASE), "0.25"),
                 (re.compile("三刻钟|(?<![A-Za-z])three quarters of an hour(?![A-Za-z])", re.IGNORECASE), "0.75"))
# Days still to come or planned ("大概两天能完", "another two days"): nothing to ask about.
DAYS_TO_COME = re.compile(r"(?:还要|还得|还需|预计|估计|大概|大约|再|another|more|in)\s*\S{0,3}天|天\s*(?:能|会|就|才|要|左右能|后)|"
                          r"days? (?:more|left|to go)|in (?:two|three|a few|[0-9]+) days|(?<![A-Za-z])another (?:one|two|three|four|a few|a couple of|couple of|[0-9]+) days|够(?:用|喂|吃|撑|烧)?\S{0,3}天", re.IGNORECASE)
# A duration inside a test or measurement ("850 kPa held 30 min"), or a machine running for a time ("ran 2h at full
# load"): a test, not time spent.
TEST_CONTEXT = re.compile(r"(?<![A-Za-z])(?:within|ran|run(?:ning)? for|burn-?in|soak(?:ed|ing)?|(?:full |no |under )?load(?!-?\s?(?:in|out)(?![A-Za-z]))|loaded|tests?\s*(?:lasted|took|ran|跑满|跑了|持续了?)?\s*$)"
                          r"(?![A-Za-z])|kPa|MPa|(?<![A-Za-z])bar(?![a-z])|psi|℃|°C|保压|稳压|打压|held|holding|hold for|(?<![A-Za-z])(?:hold|cure|curing|dry|drying|"
                          r"rest|resting|bake|baking|proof|proofing|ferment(?:ing)?)(?![A-Za-z])|养护|烘干|醒发|发酵|耐压|静置|固化|晾干?|浸泡|沉淀|冷却|settl(?:e|ing)|cool(?:ing)?(?: down)?|"
                          r"运行了?|运转了?|空转|转了|试运行|压力测试|压力试验|试压|闭水|水压|气压|保持了?|维持了?|试车|负载|带载|满载|空载|老化|烤机|(?:充|放)电\s*$", re.IGNORECASE)
