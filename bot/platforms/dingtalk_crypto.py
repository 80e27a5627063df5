"""DingTalk's encrypted HTTP event push (事件订阅 → HTTP推送, 加密): signature, decryption, and the sealed answer.

As the open platform's samples do it (https://github.com/open-dingtalk/DingTalk-Callback-Crypto:
DingCallbackCrypto.java, DingCallbackCrypto3.py; https://open.dingtalk.com/document/orgapp/configure-event-subcription):
- the key is base64(aes_key + "="): the console's 43-character aes_key is 32 bytes, AES-256-CBC with the key's
  first 16 bytes as the IV;
- the plaintext is random(16) + len(msg) as 4 bytes big-endian + msg (UTF-8) + the receiver id (the app key for an
  internal app's subscription, the corp id for a registered callback, the suite key for a third-party app), padded
  PKCS#7 to 32 bytes, then base64;
- msg_signature = SHA-1 hex of the sorted [token, timestamp, nonce, encrypt], joined;
- the answer is {msg_signature, encrypt, timeStamp, nonce} with "success" encrypted the same way.
The AES and the padding are the `cryptography` library's; everything that can be wrong in a request is a
BadCallback with a reason, never another exception.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import string
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported at first use: a process without the HTTP push never loads cryptography
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

AES_KEY_CHARS = 43  # the console's aes_key (base64 of 32 bytes without its "=")
RANDOM_BYTES = 16
LENGTH_BYTES = 4
PAD_BLOCK_BITS = 256  # PKCS#7 to 32 bytes, not AES's 16 (the samples' PKCS7Padding.BLOCK_SIZE)
NONCE_CHARS = 16  # the Java sample refuses another nonce length in getEncryptedMap
_ALPHABET = string.ascii_letters + string.digits
_AES_KEY_RE = re.compile(r"[A-Za-z0-9+/]{43}")
_HEX40_RE = re.compile(r"[0-9a-f]{40}")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class BadCallback(ValueError):
    """Not DingTalk's (401), not for us (403), or malformed (400): the reason and the status to answer with."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


def aes_key_problem(aes_key: str) -> str | None:
    """Why this is not a usable aes_key, or None (for the configuration's check)."""
    if not _AES_KEY_RE.fullmatch(aes_key):
        return f"must be the {AES_KEY_CHARS} letters and digits DingTalk's console shows (aes_key)"
    try:
        base64.b64decode(aes_key + "=", validate=True)
    except binascii.Error:
        return "is not base64 (the console's aes_key is 43 characters of base64)"
    return None


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """SHA-1 hex of the four values sorted and joined (DingCallbackCrypto.getSignature)."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypt))).encode()).hexdigest()


class CallbackCipher:
    """One subscription's token, key and receiver id."""

    def __init__(self, *, token: str, aes_key: str, receiver: str) -> None:
        problem = aes_key_problem(aes_key)
        if problem:
            raise ValueError(f"aes_key {problem}")
        self._token = token
        self._key = base64.b64decode(aes_key + "=")
        self.receiver = receiver

    def _cipher(self) -> Cipher[modes.CBC]:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def verify(self, given: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """BadCallback unless `given` is the signature of these values under our token (in constant time)."""
        if not _HEX40_RE.fullmatch(given.lower()):
            raise BadCallback("msg_signature is not a SHA-1 hex digest", 401)
        if not hmac.compare_digest(given.lower(), signature(self._token, timestamp, nonce, encrypt)):
            raise BadCallback("msg_signature does not match", 401)

    def decrypt(self, encrypt: str) -> str:
        """The message inside `encrypt`, once its padding, length field and receiver id are right."""
        if not _BASE64_RE.fullmatch(encrypt):
            raise BadCallback("encrypt is not base64")
        try:
            data = base64.b64decode(encrypt, validate=True)
        except binascii.Error as exc:
            raise BadCallback("encrypt is not base64") from exc
        if not data or len(data) % (PAD_BLOCK_BITS // 8):
            raise BadCallback("encrypt is not whole 32-byte blocks")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        from cryptography.hazmat.primitives import padding

        unpadder = padding.PKCS7(PAD_BLOCK_BITS).unpadder()
        try:
            plain = unpadder.update(plain) + unpadder.finalize()
        except ValueError as exc:  # the wrong key decrypts to noise, whose last bytes are no padding
            raise BadCallback("encrypt does not decrypt with our aes_key (bad padding)") from exc
        if len(plain) < RANDOM_BYTES + LENGTH_BYTES:
            raise BadCallback("decrypted message is shorter than its header")
        (size,) = struct.unpack(">I", plain[RANDOM_BYTES:RANDOM_BYTES + LENGTH_BYTES])
        start = RANDOM_BYTES + LENGTH_BYTES
        if size > len(plain) - start:
            raise BadCallback("decrypted message's length field is longer than the message")
        receiver = plain[start + size:]
        if not hmac.compare_digest(receiver, self.receiver.encode()):
            raise BadCallback("message is for another app or corp (receiver id)", 403)
        try:
            return plain[start:start + size].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadCallback("decrypted message is not UTF-8") from exc

    def encrypt(self, message: str, *, random_prefix: bytes | None = None) -> str:
        body = message.encode("utf-8")
        prefix = random_prefix or "".join(secrets.choice(_ALPHABET) for _ in range(RANDOM_BYTES)).encode()
        from cryptography.hazmat.primitives import padding

        padder = padding.PKCS7(PAD_BLOCK_BITS).padder()
        plain = padder.update(prefix + struct.pack(">I", len(body)) + body + self.receiver.encode())
        plain += padder.finalize()
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def sealed(self, message: str, *, timestamp_ms: int) -> dict[str, str]:
        """The answer DingTalk decrypts: {msg_signature, encrypt, timeStamp, nonce} (getEncryptedMap)."""
        encrypt = self.encrypt(message)
        nonce = "".join(secrets.choice(_ALPHABET) for _ in range(NONCE_CHARS))
        stamp = str(timestamp_ms)
        return {"msg_signature": signature(self._token, stamp, nonce, encrypt), "encrypt": encrypt,
                "timeStamp": stamp, "nonce": nonce}
