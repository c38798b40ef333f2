"""A reproducible benchmark corpus: many long, varied calls from a seed.

Calls are assembled from pools of realistic turns (openings, matters from several industries, restatements,
answers, holds, transfers, closings, the odd banned phrase, fillers), about 30 utterances and 2,000
characters each. A fifth of the calls are converted to Traditional characters and a fifth are made
ASR-like (punctuation dropped, fillers inserted, homophones swapped). The same seed always gives the same
corpus, so figures from two runs or two machines compare.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import opencc

COMPANIES = ["楠山农林", "顺达快运", "华通移动", "锦程银行", "安宁保险", "东江水务", "云翔航空", "栖云酒店"]
PRODUCTS = ["树苗", "复合肥", "快递", "宽带", "信用卡", "车险", "水费账单", "机票", "酒店订单", "果苗", "发票", "会员卡"]
PROBLEMS = [
    "到现在还没有发货", "显示已签收但是我没收到", "扣费扣了两次", "收到的时候包装破了", "一直没有人联系我",
    "页面上显示的价格和实际不一样", "申请的退款还没到账", "想改一下收货地址", "想问一下能不能开专票", "质量有问题想退换",
]
OPENINGS = [
    "您好!{c}客服部,请问有什么能帮您?", "您好,{c}客服中心,很高兴为您服务,请问有什么可以帮您?",
    "您好 {c} 客服 请问有什么可以帮您", "喂您好,这里是{c},请讲", "您好,工号{n}为您服务,请问有什么需要帮助的?",
]
DETAILS = [
    "我上个礼拜在你们那边买了{p},当时说好三天之内就能到,结果今天都第六天了,{pb},我打了好几次电话都没有人给我一个准确的说法。",
    "是这样的,我前两天在你们的网店下了一个单,买的是{p},付款的时候页面写的是次日达,可是现在{pb},我这边也比较着急要用。",
    "你好,我想问一下我的{p}的事情,{pb},我家里老人也不太会弄手机,麻烦你们帮我看一下到底是什么情况。",
    "我这个{p}啊,{pb},之前也跟你们客服反映过一次,说是会有专人跟进,但是到今天为止也没有任何消息。",
]
RESTATES = [
    "您是咨询有关{p}{pb}的问题,是吗?", "我跟您确认一下,您是说{p}{pb},对吗?", "您的意思是{p}{pb},是这样吗?",
]
ANSWERS = [
    "好的,我这边帮您查询了一下,您的{p}目前在处理中,系统显示预计两个工作日之内会有结果,到时候会有短信通知您。",
    "根据系统记录,您的这个{p}订单在昨天下午已经由仓库出库了,物流单号我稍后会以短信的形式发送到您的手机上。",
    "这个情况我已经帮您登记下来了,我们的工作人员会在二十四小时之内跟您联系,跟您核实具体的情况,请您保持电话畅通。",
    "很抱歉给您带来了不便,这个问题确实是我们这边的疏忽,我们会尽量在三个工作日之内给您一个满意的处理结果。",
    "您说的这个情况我们这边非常重视,我会把您的诉求反馈给相关的负责部门,由他们进一步跟进处理,有进展会第一时间通知您。",
]
CUSTOMER_FOLLOWUPS = [
    "那大概还要多久啊,我这边真的等不了太长时间了,能不能帮我催一下?", "行,那我就再等等,不过你们一定要给我一个准确的时间。",
    "我想问一下如果到时候还是没有处理好的话,我应该找谁?", "好的,那我的订单号要不要再跟你核对一下?",
    "嗯嗯,明白了,那运费这个部分是你们承担还是我自己承担?", "还有就是我上次开的那张发票好像信息填错了,能不能帮我改一下?",
]
AGENT_FOLLOWUPS = [
    "您放心,我这边已经给您加急处理了,一般情况下一到两个工作日就会有结果。", "运费这部分由我们来承担,您不需要额外支付任何费用。",
    "发票信息可以修改的,您把正确的抬头和税号告诉我,我这边帮您重新提交。", "好的,麻烦您提供一下订单号,我这边帮您核对一下。",
    "这个您不用担心,如果到时候还没有处理好,您直接拨打我们的客服热线,报一下您的手机号就可以查到记录。",
]
CLOSINGS = ["请问还需要其它的帮助吗?", "好的,那还有其他问题吗?", "感谢您的来电,再见!", "好的,谢谢您,再见。", "那就这样,拜拜。"]
TABOOS = ["我怎么知道", "这跟我们没关系", "刚才不是跟您说了嘛", "我保证明天一定到", "嗯 这个 呃 我看一下嘛"]
HOMOPHONES = {"再见": "在见", "您好": "你好", "楠山": "南山", "发货": "发获", "关系": "关西"}
FILLERS = ["嗯", "呃", "那个", "就是"]


def _utterances(rng: random.Random, company: str) -> list[tuple[str, str]]:
    product, problem = rng.choice(PRODUCTS), rng.choice(PROBLEMS)
    slots = {"c": company, "p": product, "pb": problem, "n": str(rng.randint(1000, 9999))}
    turns = [("agent", rng.choice(OPENINGS)), ("customer", rng.choice(DETAILS)), ("agent", rng.choice(RESTATES)),
             ("customer", "对,是的。"), ("agent", rng.choice(ANSWERS))]
    while len(turns) < 27:
        customer = rng.choice(CUSTOMER_FOLLOWUPS)
        turns.append(("customer", customer + rng.choice(DETAILS) if rng.random() < 0.85 else customer))
        if rng.random() < 0.15:
            turns.append(("agent", "好的,请您稍等,我帮您查一下。"))
            turns.append(("agent", "不好意思,让您久等了。" if rng.random() < 0.7 else "查到了。"))
        agent = rng.choice(AGENT_FOLLOWUPS)
        if rng.random() < 0.08:
            agent = rng.choice(TABOOS) + "," + agent
        turns.append(("agent", agent + rng.choice(ANSWERS)))
    turns += [("agent", rng.choice(CLOSINGS[:2])), ("customer", "没有了,谢谢。"), ("agent", rng.choice(CLOSINGS[2:]))]
    return [(speaker, text.format(**slots)) for speaker, text in turns]


def _asr(rng: random.Random, text: str) -> str:
    for word, heard in HOMOPHONES.items():
        if word in text and rng.random() < 0.5:
            text = text.replace(word, heard)
    pieces = [p for p in text.replace("!", ",").replace("?", ",").replace("。", ",").split(",") if p]
    out = []
    for piece in pieces:
        if rng.random() < 0.3:
            out.append(rng.choice(FILLERS))
        out.append(piece)
    return " ".join(out)


def calls(count: int, *, seed: int = 20261122) -> Iterator[dict[str, object]]:
    """``count`` calls in the native JSON form, the same for the same seed."""
    rng = random.Random(seed)
    to_traditional = opencc.OpenCC("s2t")
    for index in range(count):
        company = rng.choice(COMPANIES)
        style = rng.random()
        clock = 0.0
        utterances = []
        for speaker, text in _utterances(rng, company):
            if style < 0.2:
                text = to_traditional.convert(text)
            elif style < 0.4:
                text = _asr(rng, text)
            duration = len(text) / 4.0
            utterances.append({"speaker": speaker, "text": text, "start": round(clock, 2), "end": round(clock + duration, 2)})
            clock += duration + rng.uniform(0.2, 1.5)
        yield {
            "call_id": f"bench-{index:06d}",
            "direction": "inbound",
            "agent_id": f"A{rng.randint(1, 40):03d}",
            "rings": rng.randint(1, 5),
            "hangup_by": rng.choice(["customer", "customer", "customer", "agent"]),
            "utterances": utterances,
        }


def write(path: Path, count: int, *, seed: int = 20261122) -> Path:
    """Write the corpus as JSON Lines (skipped when an identical file is already there)."""
    stamp = path.with_suffix(".seed")
    if path.exists() and stamp.exists() and stamp.read_text() == f"{count}:{seed}":
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for call in calls(count, seed=seed):
            handle.write(json.dumps(call, ensure_ascii=False) + "\n")
    stamp.write_text(f"{count}:{seed}")
    return path
