"""Words of undo and correction of the sender's last write ("撤销(?!了?\\S{0,3}令)", "不对，是60%", "sorry, I meant 2h not 4h", "刚才的 70%
写错了"), as data: commands/corrections.py reads them. Split from commands/field_words.py, matched the same way."""

from __future__ import annotations

import re

from commands.field_words import _words

# Undo and correction of the sender's last write.
UNDO = _words("(?:刚才|上一条|上条|那条|last).{0,8}(?:不算|作废)", "作废", "nvm", "never ?mind", "disregard", "撤销", "撤回", "撤掉(?:刚才|上一条|上条|那条)?", "(?<![\\u4e00-\\u9fffA-Za-z])(?<!了[,，])(?<!了[,，] )撤了吧?(?=\\s*$)", "(?<=不对[,，])\\s*撤了吧?(?=\\s*$)", "(?:刚才|上一条|上条|那条).{0,6}删(?:了|掉|除)", "取消(?:刚才|上一条|上条|那条)的?(?:汇报|更新|记录)?", "取消(?=\\s*$)", "回滚", "(?:上一?条|刚才|刚刚)(?:那条)?(?:写|发|报|填|打|记)错了",
              "刚才那条(?:是)?错的", "写错了", "发错了", "报错了", "搞错了", "弄错了", "(?<![A-Za-z])(?<!key)(?<!key )(?<!任务)(?<!单号)打错了", "(?:刚才|刚刚)\\s*(?:打|写)错", "(?<![\u4e00-\u9fff])打错(?=\\s*[,，。!！])", "(?<![A-Za-z])typo(?=\\s*[.!。！]?\\s*$)",
              "undo", "撤消", "delete\\s*掉", "改回去", "(?:请)?忽略(?:上一?条|刚才的?|那条)", "ignore (?:my |the )?(?:last|previous) (?:msg|message|one|update)", "(?:was|is) wrong,?\\s*ignore (?:it|that)", "cancel\\s*掉", "(?:刚才|刚刚|上一?条|那条|那个).{0,4}cancel\\s*(?:了它|它|了)", "把?(?:上一?条|刚才的?|那条)撤(?:了|掉|回)", "当我没说", "walk back (?:my|the|that)", "revert(?: that| it| the last one)?", "roll ?back", "(?:scratch|scrap) (?:that|my last(?: message| one| update)?|the last(?: one| message| update)?)", "ignore (?:that|my last|the last(?: update| one| message)?)", "forget (?:that|my last|the last)(?: one| message| update)?", "(?:delete|remove|take back|cancel) (?:that|my|the)? ?(?:last|previous|上一条|上条|刚才的?)(?: one| message| update| report| entry)?", "(?:delete|remove|cancel) the (?:entry|update|report|message|post) i just (?:posted|sent|made|logged)", "take (?:that|my|the) last (?:one|message|update|entry) back", "take (?:that|it) back", "撤一下", "please take (?:it )?back",
              "take back (?:上一条|上条|刚才的?|that)",
              "wrong (?:task|one|update)", "that was wrong", "发错群了?", "(?:上一?条|刚才的?|那条).{0,8}(?:请)?忽略", "my mistake", "my bad", "oops")

CORRECTION = _words("唔啱", "(?:刚才|刚刚)?(?:多|少)(?:打|写|输|填)了(?:个|一个)?\\s*[0-9零]?", "wrong (?:number|figure|value|%)(?: earlier| before)?", "correct(?:ed)? (?:it )?to", "唔係", "唔系", "不对", "(?:写|报|记|填)(?:多|少)了", "(?:were|was) off", "should read", "(?:多|少)(?:写|报|记|填)了", "(?:打|写)反了", "不是(?=\\s*[0-9零一二两三四五六七八九十百])", "(?:写|报|记|填|打|输|弄|搞)?错了", "wrong\\s*了", "my mistake", "有误", "(?:上一?条|刚才|刚刚)\\S{0,3}(?:写|报|填|打)错(?!了)", "打错\\s*(?:key|任务|单号|号)\\s*了?", "应该是", "应为", "改成", "改为", "改回(?!去)", "更正", "纠正",
                    "我是说", "说错了", "改一下", "改下(?![水面方])", "correct\\s*一下", "(?:(?:was|were|is|are) )?wrong(?=\\s*[,，;；.。!！])", "(?:my |the )?last (?:one|update|report|message) was (?:for|meant for)", "(?:sorry,? )?i meant", "meant", "should be", "should have been", "correction",
                    "typo", "not(?=\\s*[0-9]{1,3}\\s*%\\s*[,，;；]\\s*(?:是|it'?s|it is|but)?\\s*[0-9])", "no wait", "(?:it'?s|is|was)\\s*[0-9.]+\\s*(?:%|h|hrs?|hours?)?\\s*,?\\s*not\\s*[0-9.]+")

# After a task key, the correct verb said key first ("A-3 correct 2.5h"): a correction of that task's last write.
CORRECT_AFTER_KEY = re.compile(r"\s*correct\s*(?:成|to)?(?=\s*[0-9])", re.IGNORECASE)
# The figure a correction after a task key amends ("A-3 工时改成2h", "A-3 hours should be 2h"): the sender's last
# hours on that task replaced, never two more hours logged.
# Progress is absolute ("A-3 进度改成60%" simply sets it), so only hours need this.
CORRECTED_FIELD = re.compile(r"(?:工时|用时|时长|(?:the )?(?:hours?|time(?: spent)?))\s*(?:数)?\s*", re.IGNORECASE)

# One figure said against another ("是 80% not 90%", "30%, not 40%", "不是40%，是30%"): a correction, after a key too.
FIGURE_CONTRAST = re.compile(r"[0-9]{1,3}(?:\.[0-9]+)?\s*(?:%|h|hrs?|hours?|个?小时|成)?\s*[,，]?\s*(?:而)?(?:不是|非|not|instead of|rather than)\s*[0-9]"
                             r"|(?:不是|(?<![A-Za-z])not)\s*[0-9]{1,3}(?:\.[0-9]+)?\s*(?:%|h|hrs?|hours?|个?小时|成)?\s*[,，;；]\s*"
                             r"(?:是|it'?s|it is|but|i meant|meant|should be)?\s*[0-9]", re.IGNORECASE)

# After a key and its field, the value it really has ("A-3 的工时 其实是 45 min", "A-3 进度应为 65%"): a correction.
FIELD_SET_ANEW = re.compile(r"\s*(?:其实是|实际是|应该是|应为|改成|改为|(?<![A-Za-z])should (?:be|read|have been))\s*(?=[0-9零一二两三四五六七八九十半])",
                            re.IGNORECASE)

# An earlier figure, then the one it should have been ("刚才的 2h 应该是 2.5h", "the 3h should read 3.5h").
OLD_THEN_NEW = re.compile(r"[0-9]{1,3}(?:\.[0-9]+)?\s*(?:%|h|hrs?|hours?|个?小时)\s*(?:应该是|应为|should (?:be|read|have been))\s*[0-9]", re.IGNORECASE)

# A figure said to be wrong ("刚才的 70% 写错了", "the 65% was a typo"), or "wrong" alone after a key: a correction.
WRONG_FIGURE = re.compile(r"[0-9]{1,3}(?:\.[0-9]+)?\s*(?:%|h|hrs?|hours?|个?小时|成)\s*(?:(?:是|was|is)\s*(?:a\s*)?(?:typo|wrong|mistake)"
                          r"|(?:是)?(?:写|报|记|填|打)?错了|是错的)|(?:发|写|报|填|记|打)成\s*[0-9]{1,3}(?:\.[0-9]+)?\s*(?:%|h|个?小时)?\s*了?|^(?:that'?s |it'?s )?wrong(?=\s*[,，;；.。!！]|\s*$)",
                          re.IGNORECASE)

CORRECTION_NOT = re.compile(r"(?:而?不是|非(?=\s*[0-9])|not|instead of|rather than)\s*[0-9零一二两三四五六七八九十百.]+\s*"
                            r"(?:%|hrs?|hours?|h|个?小时|成)?", re.IGNORECASE)

# Corrections found anywhere in a message that names no task (or only at its start).
CORRECTION_ANYWHERE = _words("唔啱", "(?<![A-Za-z])(?:sry|soz)(?![A-Za-z])", "(?<![A-Za-z])(?:key|任务|单号)\\s*打错了?", "should be(?=\\s*[0-9])", "(?:工时|时间|进度)?(?:写|报|记|填)(?:多|少|错)了", "(?:is|was) wrong", "是\\s*[0-9零一二两三四五六七八九十百.]+\\s*(?:%|h|小时|成)?\\s*,?\\s*(?:而)?不是",
                             "(?:刚才|刚刚|上一条|上条|那条|那个).{0,6}不是\\s*[0-9零一二两三四五六七八九十百]", "sorry", "不对", "应该是", "make (?:that|it)", "撤掉", "删(?:了|掉|除)", "改一下", "改下(?![水面方])", "correct\\s*一下", "修改", "改成", "改为", "更正", "作废", "不算", "写错了?", "发错了?", "报错了?", "搞错了?", "弄错了?", "错了",
                             "i meant", "correct(?:ed)? (?:it )?to", "typed (?:that|it) wrong", "其实是", "有误(?=[,，。\\s]|$)", "(?:写|报|填|记)(?:高|低)了", "(?:前面|上面|刚才|上一?条)(?:那条|的)?\\s*有误", "should'?ve been", "should have been", "nvm", "never ?mind", "disregard",
                             "scratch that", "wait no", "undo", "撤销", "撤回")

# A correction still to be given ("写错了，改一下"): asked, not undone.
AMEND = re.compile(r"改一下|改下|修改|改成|改为|改回(?!去)|更正|应该是|should be|meant", re.IGNORECASE)

# Don't undo: the last write stands ("别撤销", "don't undo that").
NOT_UNDO = re.compile(r"(?:别|不要|不用|无需|不必|没必要|甭|don'?t|do not|no need to|no need|no)\s*(?:再)?\s*"
                      r"(?:撤销|撤回|撤|作废|删|改|undo|revert|roll ?back|delete|change)|没(?:有)?(?:写|报|填|打|发)错"
                      r"|(?<![A-Za-z])revert (?:on|back|with|to (?:me|us))(?![A-Za-z])", re.IGNORECASE)  # "kindly revert on A-3": reply
