"""DingTalk's side of the encrypted HTTP event push: what the open platform sends to a subscription URL and how it
reads the answer. Written from the open platform's samples (https://github.com/open-dingtalk/DingTalk-Callback-Crypto:
DingCallbackCrypto.java byte for byte, with PyCryptodome's AES as DingCallbackCrypto3.py uses it), independently of
bot/platforms/dingtalk_crypto.py (the `cryptography` library), so the two check each other.

Request: POST {url}?msg_signature=…&timestamp=…&nonce=… with {"encrypt": base64(AES-256-CBC(key, iv=key[:16],
random16 + len(msg) (4 bytes, big-endian) + msg + owner key + PKCS#7 padding to 32)))}, the key being
base64(aes_key + "="), msg_signature = SHA-1 hex of the sorted [token, timestamp, nonce, encrypt]. The answer
must be {msg_signature, encrypt, timeStamp, nonce} whose encrypt decrypts to "success" and whose signature holds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
from dataclasses import dataclass
from typing import Any

from Crypto.Cipher import AES

# The official Python sample's own test vector (DingCallbackCrypto3.py, __main__): a check_url push.
SAMPLE = {"token": "mryue", "aes_key": "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7", "owner": "ding6ccabc44d2c8d38b",
          "msg_signature": "03044561471240d4a14bb09372dfcfd4fd0e40cb", "timestamp": "1608001896814",
          "nonce": "WL4PK6yA", "encrypt": "0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15"
                                         "NRPvNvmBKyDCYxxOK+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3",
          "plain": '{"EventType":"check_url"}'}

TOKEN = "pmsbotEventToken2026"
AES_KEY = "o1w0aum42yaptlz8alnhwikjd3jenzt9cb9wmzptgus"  # the Python sample's other example key (43 chars)
_BASE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"  # Utils.getRandomStr's alphabet


def sha1_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    parts = [token, timestamp, nonce, encrypt]
    parts.sort()  # Arrays.sort on Strings: by UTF-16 code units, the same as Python's for these ASCII values
    return hashlib.sha1("".join(parts).encode()).hexdigest()


@dataclass
class DingTalkPusher:
    token: str
    aes_key: str
    owner: str  # the app key of an internal app's event subscription

    @property
    def key(self) -> bytes:
        return base64.b64decode(self.aes_key + "=")

    def encrypt(self, plaintext: str, *, random16: str | None = None) -> str:
        rand = (random16 or "".join(random.choice(_BASE) for _ in range(16))).encode()
        text = plaintext.encode("utf-8")
        data = rand + len(text).to_bytes(4, "big") + text + self.owner.encode()
        amount = 32 - len(data) % 32  # PKCS7Padding.getPaddingBytes: never 0, a whole block when aligned
        data += bytes([amount]) * amount
        return base64.b64encode(AES.new(self.key, AES.MODE_CBC, self.key[:16]).encrypt(data)).decode()

    def decrypt(self, encrypt: str) -> str:
        """As getDecryptMsg's decrypt: the padding, the length, and the owner key must be right."""
        data = AES.new(self.key, AES.MODE_CBC, self.key[:16]).decrypt(base64.b64decode(encrypt))
        pad = data[-1]
        data = data[:-pad] if 1 <= pad <= 32 else data
        size = int.from_bytes(data[16:20], "big")
        text, owner = data[20:20 + size], data[20 + size:]
        assert owner.decode() == self.owner, f"answer for another owner: {owner!r}"
        return text.decode("utf-8")

    def request(self, event: dict[str, Any] | str, *, timestamp_ms: int, nonce: str = "380320111",
                encrypt: str | None = None) -> tuple[dict[str, str], bytes]:
        """The query and body DingTalk sends for this event (already encrypted `encrypt` when given)."""
        message = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False)
        sealed = encrypt if encrypt is not None else self.encrypt(message)
        stamp = str(timestamp_ms)
        query = {"msg_signature": sha1_signature(self.token, stamp, nonce, sealed), "timestamp": stamp, "nonce": nonce}
        return query, json.dumps({"encrypt": sealed}).encode()

    def read_answer(self, answer: dict[str, Any]) -> str:
        """What DingTalk makes of our answer: its signature checked, its encrypt decrypted ("success" expected)."""
        assert set(answer) == {"msg_signature", "encrypt", "timeStamp", "nonce"}, answer
        assert answer["msg_signature"] == sha1_signature(self.token, answer["timeStamp"], answer["nonce"],
                                                         answer["encrypt"]), "answer's signature does not hold"
        return self.decrypt(answer["encrypt"])


def pusher(owner: str) -> DingTalkPusher:
    return DingTalkPusher(token=TOKEN, aes_key=AES_KEY, owner=owner)


def letters(n: int) -> str:
    return "".join(random.choice(string.ascii_letters) for _ in range(n))
