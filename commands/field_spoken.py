"""Field reports as phones and voice input deliver them: traditional characters (進度, 還沒), typos of 百分之, spoken
punctuation ("comma", "period"), numbers said in English words ("eighty percent") and task keys spelled out
("F C D nine", "E L V 三", "lft二"). Rewritten into the forms commands/field.py reads; the meaning is unchanged."""

from __future__ import annotations

import re

from commands.numbers import cn_number

# Traditional characters of the field words, one for one (same length, so spans stay valid).
_TRADITIONAL = str.maketrans(
    "進還沒開與後來這們個條說過對錯應該為確認裝調試點鐘時問題決貨門電處線檢驗層樓號區間機壞發氣風"
    "幫兩審銷啟動幹擱塊經幾劃預計達遲繼續數換給帳單復實際務滿寫聽據畫圖紙權場現倉鑰"
    "邊讓詢價擋礙無順暫陣廠車錄組鋪鋼壓閥牆頂總準備斷隊辦費嗎麼麽誰甚際週鐵險損壞燒蓋層",
    "进还没开与后来这们个条说过对错应该为确认装调试点钟时问题决货门电处线检验层楼号区间机坏发气风"
    "帮两审销启动干搁块经几划预计达迟继续数换给帐单复实际务满写听据画图纸权场现仓钥"
    "边让询价挡碍无顺暂阵厂车录组铺钢压阀墙顶总准备断队办费吗么么谁什际周铁险损坏烧盖层",
)
# 百分之 as phones mistype it: 百分织, 百分只, 白分之, 百份之.
# 进度 as voice input hears it before a figure: 近度, 尽度, 劲度.
_PROGRESS_TYPO = re.compile(r"[近尽劲]度(?=\s*(?:[0-9]|百分之|[零一二两三四五六七八九十]))")
_PERCENT_TYPO = re.compile(r"[百白柏](?:分|份)[织只知支之芝制](?=[0-9零〇一二两三四五六七八九十百])")
# Words as thumbs mistype them: a hedge lost to a typo would turn "nearly done" into done, and "finshed A-3" is done.
_TYPOS = ((re.compile(r"(?<![A-Za-z])(?:nearlly|nearley|nealry|neraly|nearlt|nearyl)(?![A-Za-z])", re.IGNORECASE), "nearly"),
          (re.compile(r"(?<![A-Za-z])(?:waitng|wating|waitin)(?![A-Za-z])", re.IGNORECASE), "waiting"),
          (re.compile(r"(?<![A-Za-z])(?:almsot|allmost|alomst|amlost|almots)(?![A-Za-z])", re.IGNORECASE), "almost"),
          (re.compile(r"(?<![A-Za-z])(?:finshed|finsihed|fnished|finised|finishd|fiinished|finnished|finihsed)(?![A-Za-z])", re.IGNORECASE),
           "finished"),
          (re.compile(r"(?<![A-Za-z])(?:percnet|pecent|percetn|precent|percen|pervent)(?![A-Za-z])", re.IGNORECASE), "percent"),
          (re.compile(r"(?<=hour) n (?=a (?:quarter|half)(?![A-Za-z]))", re.IGNORECASE), " and "),
          (re.compile(r"(?<=hour and) (?=half(?![A-Za-z]))", re.IGNORECASE), " a "),
          (re.compile(r"(?<=two )third(?![A-Za-z])", re.IGNORECASE), "thirds"),
          (re.compile(r"(?<![A-Za-z])(?:shuold|shoud|sould|shold)(?![A-Za-z])", re.IGNORECASE), "should"),
          (re.compile(r"(?<=[0-9一二两三四五六七八九十半])(\s*个?)小事"), r"\1小时"),  # a pinyin slip: "用了3小事"
          (re.compile(r"(?<![A-Za-z])w/o(?![A-Za-z])", re.IGNORECASE), "without"), (re.compile(r"(?<![A-Za-z])b/c(?![A-Za-z])", re.IGNORECASE), "because"),
          # a negation typed without its apostrophe ("hasnt signed", "isnt done", "didnt start")
          (re.compile(r"(?<![A-Za-z])(has|have|is|are|was|were|do|does|did|could|should|would|ca|wo)nt(?![A-Za-z])", re.IGNORECASE), r"\1n't"))
# A percent taken back in the same breath ("80%... wait no, 75%"): the second is the one meant. "80% 不对 75%" may
# amend the last write instead: asked.
_SELF_CORRECTED = re.compile(r"[0-9]{1,3}\s*%\s*(?:\.{2,}|…)?\s*[,，]?\s*(?:wait,? no|no wait|sorry)\s*[,，]?\s*(?=[0-9]{1,3}\s*%)"
                             r"|[0-9]{1,2}(?:\.[0-9])?\s*h\s*(?:\.{2,}|…)?\s*[,，]?\s*(?:wait,? no|no wait|sorry)\s*[,，]?\s*(?=[0-9]{1,2}(?:\.[0-9])?\s*h\b)",
                             re.IGNORECASE)
# Hours said before the task they were spent on ("A-3 finished; 3 hours on A-4"): said after its key, where each
# task's words are read.
_HOURS_ON_KEY = re.compile(r"(?:(?:please )?log\s+)?(?<![0-9.])(?P<hours>[0-9]{1,2}(?:\.[0-9]{1,2})?\s*(?:h|hrs?|hours?))\s+(?:on|against|to)\s+"
                           r"(?P<key>[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9})(?![A-Za-z0-9-])", re.IGNORECASE)
# "个半钟": an hour and a half, unless a number stands before it ("3 个半钟"); the digits of a task key do not count.
_HOUR_AND_HALF = re.compile(r"个半(?:钟头?|小时)")
_COUNT_BEFORE = re.compile(r"[0-9一二两三四五六七八九十几多]\s?$")  # "3 个半钟": three and a half
_KEY_BEFORE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]{0,9}-?[0-9]{1,9}\s$")  # "SRV-1080 个半钟": the key's digits


def _hour_and_half(m: re.Match[str]) -> str:
    before = m.string[: m.start()]
    return m.group(0) if _COUNT_BEFORE.search(before) and not _KEY_BEFORE.search(before) else "一个半小时"
_CN_DECIMAL_HOURS = re.compile(r"(?<![一二两三四五六七八九十零])([一二两三四五六七八九十]{1,3})点([一二三四五六七八九])(?=\s*个?(?:小时|钟头))")
_MINUTE_WORDS = {"five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "twenty-five": 25, "thirty": 30, "forty": 40,
                 "forty-five": 45, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_EN_MINUTES = re.compile(rf"(?<![A-Za-z-])({'|'.join(sorted(_MINUTE_WORDS, key=len, reverse=True))}) (mins?|minutes)(?![A-Za-z])", re.IGNORECASE)
# "2/3 of the way there", "1/4 done": a fraction of the task said with a slash.
_FRACTION = re.compile(r"(?<![0-9/])([1-9])/([2-9])(?![0-9/])(?=\s*(?:of the way|done|through|complete|finished|完成|了))", re.IGNORECASE)
_FRACTION_HEDGED = re.compile(r"(?:大概|大约|约|差不多|(?<![A-Za-z])(?:about|around|roughly|nearly|almost|like|maybe)|~)\s*$", re.IGNORECASE)  # asked
# A report's closing words after its last sentence ("…delivery. 交接完毕", "… 汇报完毕"): about the report, no task's.
_SIGN_OFF = re.compile(r"(?<=[.。!！;；])\s*(?:交接完毕|汇报完毕|报告完毕|以上|over and out|that'?s all(?: for now)?|end of (?:report|update))"
                       r"[.。!！\s]*$", re.IGNORECASE)
# Tenths in digits ("6成", "6、7 成"), as phones type 六成 and 六七成.
_DIGIT_TENTHS_RANGE = re.compile(r"(?<![0-9.])([1-9])\s*[、,，/~-]\s*([1-9])\s*成(?![本员功品绩果型立熟交])")
_DIGIT_TENTHS = re.compile(r"(?<![0-9.])([1-9])\s*成(?![本员功品绩果型立熟交])")
_ALL = re.compile(r"百分百(?=\s*(?:完成|完工|做完|搞定|了|$|[,.!]))")  # "百分百完成": 100 %, which is progress
_SPACED_PERCENT = re.compile(r"百分之\s+(?=[0-9零〇一二两三四五六七八九十百])")
_CN_BEFORE_SIGN = re.compile(r"(?<![零〇一二两三四五六七八九十百之])([一二三四五六七八九]?十[一二三四五六七八九]?|一百)\s*%")
# A move said in words ("进度从百分之四十到百分之四十八"): read as the digits the from-to reader knows.
_CN_FROM_TO = re.compile(r"(?P<from>[从由])\s*百分之(?P<a>[一二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九])\s*"
                         r"(?P<to>到了?|至|提升到|提高到|涨到)\s*百分之(?P<b>[一二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九]|一百|百)(?![零〇一二两三四五六七八九十百])")
_O_FOR_ZERO = re.compile(r"(?<![A-Za-z0-9])([1-9])[oO](?=\s*(?:%|％|-|~|到|percent))")
# Voice input says the punctuation ("nine comma seventy five percent period", "八十 句号").
_SPOKEN_PUNCT = re.compile(r"\s*(?:(?<![A-Za-z])(?P<comma>comma)|(?<![A-Za-z])(?P<stop>period|full stop)|(?P<cn_comma>逗号)"
                           r"|(?P<cn_stop>句号))(?![A-Za-z])", re.IGNORECASE)
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_EN_PERCENT = re.compile(
    rf"(?<![A-Za-z])(?:(?P<hundred>(?:a|one) hundred)|(?P<teen>{'|'.join(_TEENS)})"
    rf"|(?P<tens>{'|'.join(_TENS)})(?:[- ]?(?P<unit>{'|'.join(_UNITS)}))?|(?P<single>{'|'.join(_UNITS)}))"
    r"\s*(?P<ish>-?\s?ish\s*)?(?:%|percent(?![A-Za-z])|per cent(?![A-Za-z]))", re.IGNORECASE)
_EN_BARE = re.compile(rf"(?<=[0-9] )(?:(?P<hundred>(?:a|one) hundred)|(?P<teen>{'|'.join(_TEENS)})|(?P<tens>{'|'.join(_TENS)})"
                      rf"(?:[- ]?(?P<unit>{'|'.join(_UNITS)}))?|(?P<single>{'|'.join(_UNITS)}))(?=\s*(?:[,.;!]|$))", re.IGNORECASE)
_PERCENT_WORD = re.compile(r"(?<=[0-9])\s*(?:percent|per cent|pct)(?![A-Za-z])", re.IGNORECASE)
_LABELLED_EN = re.compile(  # "progress eighty": a number in words after a progress word
    rf"(?P<label>(?<![A-Za-z])(?:progress|进度)\s*(?:is at\s+|is\s+|at\s+|now\s+)?)(?:(?P<hundred>(?:a|one) hundred)"
    rf"|(?P<teen>{'|'.join(_TEENS)})|(?P<tens>{'|'.join(_TENS)})(?:[- ]?(?P<unit>{'|'.join(_UNITS)}))?"
    rf"|(?P<single>{'|'.join(_UNITS)}))(?![A-Za-z])", re.IGNORECASE)
# A key spelled out: letters one by one or together, then its number in digits, Chinese or English words.
_CN_DIGIT = "一二三四五六七八九"
_EN_DIGIT = f"(?:{'|'.join(_TEENS)}|{'|'.join(_TENS)}|{'|'.join(_UNITS)})(?![A-Za-z])"
_CN_NUM = f"[{_CN_DIGIT}十]{{1,3}}(?![{_CN_DIGIT}十零两成%分点个天号楼层栋台米根间区段次遍百千万])"
# Capitals before a number that are words, not a project's key ("PM 3", "NO 2", "OK 4").
_NOT_KEY_LETTERS = frozenset(["AM", "PM", "OK", "NO", "ID", "PO", "UP", "TO", "ON", "AT", "IN", "OR", "IS", "IT", "HR", "HRS",
                              "KG", "KM", "MM", "CM", "KW", "KV", "MW", "DAY", "WK", "QA", "RM", "NR", "TV", "AC", "DC", "MIN",
                              "ROOM", "LEVEL", "FLOOR", "ZONE", "PHASE", "AREA", "LINE", "BAY", "STEP", "WEEK", "PART", "ITEM",
                              "TASK", "BLOCK", "STAGE", "SECTOR", "ROW", "SITE", "TEAM", "CREW", "GATE", "DOOR", "WALL"])
_SPELLED_KEY = re.compile(  # "E L V 3" / "E L V 三" / "E L V three"; "lft二"; "FCD nine" (capitals, as voice input writes)
    rf"(?<![A-Za-z0-9])(?:(?P<spaced>(?:[A-Za-z] ){{1,5}}[A-Za-z])\s*(?:-|杠|dash)?\s*"
    rf"(?P<n1>[1-9][0-9]{{0,3}}(?![0-9%.])|{_CN_NUM}|(?<![A-Za-z])(?i:{_EN_DIGIT}))"
    rf"|(?P<glued>[A-Za-z]{{1,6}})(?:杠|横杠)?(?P<n2>{_CN_NUM})"
    rf"|(?P<caps>[A-Z]{{2,6}})\s(?:(?i:dash|杠)\s?)?(?P<n3>(?i:{_EN_DIGIT})|[1-9][0-9]{{0,3}}(?![0-9%.:\u4e00-\u9fff]|,[0-9]|\s+[0-9]+(?![0-9]*\s*%)|\s*(?i:%|h|hrs?|hours?|mins?|pcs|units?|m|kg|days?|d|x|am|pm|st|nd|rd|th)\b))"
    rf"|(?P<dashed>[A-Za-z]{{1,6}})\s?(?i:dash|杠|横杠)\s?(?P<n4>[1-9][0-9]{{0,3}}(?![0-9%.])))")


def known_typo(word: str) -> bool:
    """A word the field reader respells ("finshed"): no mistyped verb to suggest a command for."""
    return any(typo.fullmatch(word) for typo, _ in _TYPOS)


def _five_minutes(m: re.Match[str]) -> str:
    """Cantonese tells minutes by the clock face's numerals, five to a 字 ("三个字": fifteen minutes)."""
    return f"{5 * (cn_number(m.group(1)) or 0)}分钟"


# Cantonese words crews type, in the Mandarin the rules are written in ("开咗工", "卡喺审批", "唔系 57%", "交俾阿杰",
# "听日", "做紧", "搞掂", "用咗两日"), and other regions' words for the same things (Sichuan, Northeastern, Wu, Malay, Singlish).
_REGIONAL_WORDS = ((re.compile(r"唔啱"), "不对"), (re.compile(r"唔系|唔係"), "不是"),
              (re.compile(r"(?<![体关联派])[系係](?=\s*[0-9#一二两三四五六七八九十百])|应该系|應該係"), lambda m: m.group(0)[:-1] + "是"
               if len(m.group(0)) > 1 else "是"),
              (re.compile(r"点解"), "为什么"), (re.compile(r"差唔多"), "差不多"), (re.compile(r"唔使"), "不用"), (re.compile(r"入唔到"), "进不去"), (re.compile(r"唔"), "不"), (re.compile(r"咗"), "了"),
              (re.compile(r"睇"), "看"), (re.compile(r"俾"), "给"), (re.compile(r"喺"), "在"), (re.compile(r"啲"), "点"),
              (re.compile(r"(?<=[了啦])喇|喇(?=\s*(?:[,，。.!！]|$))"), "了"), (re.compile(r"佢"), "它"), (re.compile(r"嘅"), "的"), (re.compile(r"冇"), "没"),
              (re.compile(r"听日"), "明天"), (re.compile(r"听晚"), "明晚"), (re.compile(r"寻日|琴日"), "昨天"), (re.compile(r"今朝"), "今早"), (re.compile(r"畀"), "给"),
              (re.compile(r"嗰"), "那"), (re.compile(r"嚟"), "来"), (re.compile(r"搞掂"), "搞定"), (re.compile(r"差少少"), "差一点"),
              (re.compile(r"改返"), "改回"), (re.compile(r"进捗率?"), "进度"), (re.compile(r"头先"), "刚才"), (re.compile(r"下昼"), "下午"), (re.compile(r"成个(?=\s*(?:下午|上午|下昼|朝|早上|晚|礼拜|星期))"), "整个"), (re.compile(r"(?<![A-Za-z])type\s*错", re.IGNORECASE), "打错"),
              (re.compile(r"(?<=[他她佢])话|(?<=阿[\u4e00-\u9fff])话"), "说"), (re.compile(r"(?<![A-Za-z])jor(?![A-Za-z])", re.IGNORECASE), "了"),
              (re.compile(r"(?<=[搞做整弄用花等]了)\s*(十一|[一二两三四五六七八九十])个字"), _five_minutes),  # "搞咗三个字": 15 minutes
              # Sichuan, Northeastern and Wu words ("搞归一了", "莫得钢筋", "整完了", "今儿", "好了伐")
              (re.compile(r"搞归一"), "搞定"), (re.compile(r"弄归一"), "弄好"), (re.compile(r"莫得"), "没有"), (re.compile(r"整好"), "弄好"), (re.compile(r"整(?=完|不了|到)"), "干"), (re.compile(r"(?<=[弄整搞])利索"), "好"), (re.compile(r"差不离"), "差不多"),
              (re.compile(r"(?<![\u4e00-\u9fff])([今明昨])儿(?![子女])"), r"\1天"), (re.compile(r"停起的"), "停着"), (re.compile(r"(?<=了)伐(?=\s*[?？]?\s*$)"), "吗"), (re.compile(r"([做装搞等整修拆焊试执])紧"), r"在\1"),  # "做紧": doing it now
              (re.compile(r"(?<=[0-9一二两三四五六七八九十几多])\s*巴仙"), "%"),
              # Malay and Singlish words on Singapore and Malaysian sites ("siap already", "2 jam", "tak boleh start")
              (re.compile(r"(?<![A-Za-z])(?:all\s+)?sett?le(?=\s+(?:liao|already|了))", re.IGNORECASE), "done"),
              (re.compile(r"(?<![A-Za-z])liao(?![A-Za-z])", re.IGNORECASE), "了"),
              (re.compile(r"(?<![A-Za-z])siap\s+(?:belum|ke|tak)\s*\??", re.IGNORECASE), "done?"),
              (re.compile(r"(?<![A-Za-z])siap(?![A-Za-z])", re.IGNORECASE), "done"), (re.compile(r"(?<![A-Za-z])dah mula(?![A-Za-z])", re.IGNORECASE), "started"),
              (re.compile(r"(?<![A-Za-z])tak boleh(?![A-Za-z])", re.IGNORECASE), "cannot"), (re.compile(r"(?<![A-Za-z])salah(?![A-Za-z])", re.IGNORECASE), "wrong"),
              (re.compile(r"(?<![0-9.])([0-9]{1,2})\s*jam\s+(?:setengah|stgh)(?![A-Za-z])", re.IGNORECASE), r"\1.5 hours"),
              (re.compile(r"(?<![0-9.])([0-9]{1,2}(?:\.[0-9])?)\s*jam(?![A-Za-z])", re.IGNORECASE), r"\1 hours"),
              # Vietnamese, Indonesian, Thai, Tagalog, Korean and Japanese words crews on South-East Asian sites type
              (re.compile(r"gần xong|hampir selesai|거의 (?:완료|다 했)", re.IGNORECASE), "almost done"),
              (re.compile(r"(?<![A-Za-z])(?:xong(?: rồi)?|(?:sudah )?selesai|tapos na)(?![A-Za-z])|เสร็จ(?:แล้ว)?|완료(?:했습니다|했어요|됐습니다|됐어요)?|完了しました",
                          re.IGNORECASE), "done"),
              (re.compile(r"đã bắt đầu|(?<![A-Za-z])sudah mulai(?![A-Za-z])|시작했(?:습니다|어요)|着手しました", re.IGNORECASE), "started"),
              (re.compile(r"chờ vật tư", re.IGNORECASE), "waiting for materials"), (re.compile(r"không đúng", re.IGNORECASE), "wrong"),
              (re.compile(r"(?<![A-Za-z])hujan(?![A-Za-z])", re.IGNORECASE), "rain"),
              (re.compile(r"(?<![0-9.])([0-9]{1,2}(?:\.[0-9])?)\s*(?:시간|tiếng)"), r"\1 hours"), (re.compile(r"^승인합니다\s*(?=[0-9])"), "approve "),
              (re.compile(r"(?<![月0-9一二三四五六七八九十])([一两二三四五六七八九十]|半)日(?![期程子常历])"), r"\1天"))  # "用咗两日": days


# Any of them at all: most messages hold none, and one search spares them the table (bench/workers.py).
_ANY_REGIONAL = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _REGIONAL_WORDS), re.IGNORECASE)


def mandarin(s: str) -> str:
    """`s` with the Cantonese words the field rules know put in Mandarin; anything else as it was."""
    if not _ANY_REGIONAL.search(s):
        return s
    for pattern, word in _REGIONAL_WORDS:
        s = pattern.sub(word, s)
    return s


def respell(s: str) -> str:
    """`s` with traditional characters, 百分之 typos, spoken punctuation and English-word percents in the forms
    the field reader knows."""
    s = _O_FOR_ZERO.sub(r"\g<1>0", s.translate(_TRADITIONAL))  # "8o%": a letter o typed for a zero
    closing = _SIGN_OFF.search(s)
    if closing is not None and s[: closing.start()].strip():
        s = s[: closing.start()]
    for typo, word in _TYPOS:
        s = typo.sub(word, s)
    s = _EN_MINUTES.sub(lambda m: f"{_MINUTE_WORDS[m.group(1).lower()]} {m.group(2)}", s)
    s = _SELF_CORRECTED.sub("", s)
    s = _HOUR_AND_HALF.sub(_hour_and_half, s)  # "用咗个半钟": an hour and a half
    s = _CN_DECIMAL_HOURS.sub(lambda m: f"{cn_number(m.group(1))}.{cn_number(m.group(2))}", s)  # "二点五小时": 2.5 h
    s = _HOURS_ON_KEY.sub(r"\g<key> \g<hours>", s)
    s = _FRACTION.sub(lambda m: m.group(0) if _FRACTION_HEDGED.search(s[: m.start()]) else f"{round(100 * int(m.group(1)) / int(m.group(2)))}%", s)
    s = _DIGIT_TENTHS_RANGE.sub(r"\g<1>0-\g<2>0%", s)
    s = _DIGIT_TENTHS.sub(r"\g<1>0%", s)
    s = _PROGRESS_TYPO.sub("进度", _PERCENT_TYPO.sub("百分之", _ALL.sub("100%", s)))
    s = _LABELLED_EN.sub(lambda m: f"{m.group('label')}{_en_value(m)}", s)
    s = _CN_BEFORE_SIGN.sub(lambda m: f"{cn_number(m.group(1))}%", _SPACED_PERCENT.sub("百分之", s))
    s = _CN_FROM_TO.sub(lambda m: f"{m['from']}{cn_number(m['a'])}%{m['to']}{cn_number(m['b'].replace('一百', '百').replace('百', '一百'))}%", s)
    s = _SPOKEN_PUNCT.sub(lambda m: "," if m.group("comma") or m.group("cn_comma") else ".", s)
    s = _EN_PERCENT.sub(lambda m: f"{_en_value(m)}%" + ("-ish" if m.group("ish") else ""), s)
    s = _EN_BARE.sub(lambda m: str(_en_value(m)), s)  # "A-4 twenty five": a bare number, asked like "A-4 25"
    return _PERCENT_WORD.sub("%", s)


def _en_value(m: re.Match[str]) -> int:
    said = {name: (value or "").lower() for name, value in m.groupdict().items()}
    if said.get("hundred"):
        return 100
    if said.get("teen"):
        return _TEENS[said["teen"]]
    if said.get("tens"):
        return _TENS[said["tens"]] + (_UNITS[said["unit"]] if said.get("unit") else 0)
    return _UNITS[said["single"]]


# A decision on an approval whose number is said in words ("approve twenty eight"), as voice input writes it: ten or
# more, and nothing after it but its reason's punctuation ("approve one more thing" is no approval number 1).
_DECISION_IN_WORDS = re.compile(
    rf"^(?P<verb>approve|reject|同意|批准|驳回)\s+(?:number\s+|#\s*)?(?:(?P<teen>{'|'.join(_TEENS)})|(?P<tens>{'|'.join(_TENS)})"
    rf"(?:[- ]?(?P<unit>{'|'.join(_UNITS)}))?)(?=\s*(?:[,.!;:，。！—–-]|$))", re.IGNORECASE)


def decision_in_digits(s: str) -> str:
    """`s` with an approval's number said in words after its decision written in digits ("approve 28")."""
    m = _DECISION_IN_WORDS.match(s)
    return s if m is None else f"{m.group('verb')} {_en_value(m)}{s[m.end():]}"


def spelled_keys(s: str) -> str:
    """`s` with task keys spelled out by voice ("E L V 三", "F C D nine", "lft二") written as keys (ELV-3)."""
    def key(m: re.Match[str]) -> str:
        letters = m.group("spaced") or m.group("glued") or m.group("caps") or m.group("dashed")
        number = _key_number(m.group("n1") or m.group("n2") or m.group("n3") or m.group("n4"))
        if m.group("caps") and (m.group("caps") in _NOT_KEY_LETTERS or shouted):
            return m.group(0)  # "PM 3", or a message typed all in capitals: words, not a key spoken
        return m.group(0) if number is None else f"{letters.replace(' ', '').upper()}-{number}"
    shouted = not re.search(r"[a-z\u4e00-\u9fff]", s) and len(re.findall(r"[A-Z]{2,}", s)) > 1
    return _SPELLED_KEY.sub(key, s)


def _key_number(said: str) -> int | None:
    """The number of a spelled key; None where the words are no number ("十十")."""
    if said.isdigit():
        return int(said)
    low = said.lower()
    words = _UNITS.get(low) or _TEENS.get(low) or _TENS.get(low)
    if words is not None:
        return words
    if "十" not in said:
        return int("".join(str(_CN_DIGIT.index(c) + 1) for c in said))  # "一二" read digit by digit: 12
    value = cn_number(said)
    return value if value is not None and value > 0 else None
