"""API keys, access tokens and roles.

- An API key is a ``client_id`` and a ``client_secret``. The key store keeps only a
  per-key random salt and the scrypt hash of the secret (``client_credentials`` and
  HTTP Basic are checked against it, in a worker thread). Deribit's HMAC signatures
  (``client_signature``, ``deri-hmac-sha256``) need the secret itself on the server:
  instead of storing it, the server derives it from its master key
  (``HMAC-SHA256(master_key, client_id)``) whenever it verifies a signature, so the key
  table alone reveals no secret.
- A key has one role: ``trader`` (reads and trades its account), ``viewer`` (reads its
  account), ``admin`` (creates accounts and keys; has no account of its own).
- ``public/auth`` returns an access token (``access_token_ttl_s``) and a refresh token;
  refreshing rotates both.
Times are ns unless named ``*_ms``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from gateway.errors import (
    ACCOUNTS_EXHAUSTED,
    INVALID_ARGUMENTS,
    INVALID_CREDENTIALS,
    UNAUTHORIZED,
    RpcError,
)

NS_PER_S = 1_000_000_000
_SCRYPT_R, _SCRYPT_P, _DKLEN = 8, 1, 32
_DERIVE_LABEL = b"flopex client secret\x00"


class Role(StrEnum):
    """What a key may do."""

    TRADER = "trader"
    VIEWER = "viewer"
    INSTRUCTOR = "instructor"
    """Runs classroom games (``admin/game/*``, game exports); no account, no other
    administration."""
    ADMIN = "admin"

    @property
    def has_account(self) -> bool:
        """Whether keys of this role belong to a trading account."""
        return self in (Role.TRADER, Role.VIEWER)


@dataclass(frozen=True, slots=True)
class PreparedKey:
    """A derived key drawn and hashed, not yet installed (``Auth.prepare_key``)."""

    client_id: str
    secret: str
    salt: bytes
    digest: bytes


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key, its role and its account (None for an administrator)."""

    client_id: str
    role: Role
    account: int | None

    @property
    def scope(self) -> str:
        """Return the Deribit-style scope string of this principal."""
        if self.role is Role.ADMIN:
            return "connection admin"
        if self.role is Role.INSTRUCTOR:
            return "connection instructor"
        trade = "read_write" if self.role is Role.TRADER else "read"
        return f"connection account:read trade:{trade}"


@dataclass(slots=True)
class ApiKey:
    """One key: salt and scrypt digest of its secret, never the secret."""

    client_id: str
    role: Role
    account: int | None
    name: str
    salt: bytes
    digest: bytes
    ts_created: int
    derived: bool
    """True when the secret is derived from the master key (signatures work)."""


@dataclass(frozen=True, slots=True)
class TokenPair:
    """The answer of ``public/auth``."""

    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    token_type: str = "bearer"


class Auth:
    """Accounts, keys and tokens of one gateway."""

    def __init__(
        self,
        master_key: bytes,
        *,
        n_accounts: int,
        scrypt_n: int = 1 << 14,
        access_ttl_s: int = 900,
        refresh_ttl_s: int = 30 * 86_400,
        signature_window_s: float = 60.0,
        store: Path | None = None,
    ) -> None:
        self._store = store
        self._master = master_key
        self._scrypt_n = scrypt_n
        self._access_ttl = access_ttl_s * NS_PER_S
        self._refresh_ttl = refresh_ttl_s * NS_PER_S
        self._window_ms = int(signature_window_s * 1_000)
        self.keys: dict[str, ApiKey] = {}
        self.accounts: dict[int, str] = {}
        self._n_accounts = n_accounts
        self._given: dict[str, str] = {}
        self._access: dict[str, tuple[Principal, int, str]] = {}
        self._refresh: dict[str, tuple[Principal, int]] = {}
        self._nonces: dict[tuple[str, str, int], int] = {}
        self._dummy_salt = secrets.token_bytes(16)
        if store is not None and store.exists():
            self._load(store)

    # ------------------------------------------------------------ persistence
    def _load(self, path: Path) -> None:
        data = json.loads(path.read_text())
        self.accounts = {int(a): name for a, name in data["accounts"].items()}
        for k in data["keys"]:
            self.keys[k["client_id"]] = ApiKey(
                k["client_id"], Role(k["role"]), k["account"], k["name"],
                bytes.fromhex(k["salt"]), bytes.fromhex(k["digest"]), k["ts_created"], True,
            )  # fmt: skip

    def _save(self) -> None:
        """Write accounts and derived keys (salts and digests only) atomically."""
        if self._store is None:
            return
        keys = [
            {
                "client_id": k.client_id,
                "role": str(k.role),
                "account": k.account,
                "name": k.name,
                "salt": k.salt.hex(),
                "digest": k.digest.hex(),
                "ts_created": k.ts_created,
            }
            for k in self.keys.values()
            if k.derived
        ]
        data = {"accounts": {str(a): n for a, n in self.accounts.items()}, "keys": keys}
        self._store.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._store.with_suffix(".tmp")
        with open(tmp, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._store)

    # ------------------------------------------------------------ accounts and keys
    def create_account(self, name: str) -> int:
        """Allocate the next engine account id (1, 2, …) to ``name``; 19053 when full."""
        if not name or len(name) > 64:
            raise RpcError(INVALID_ARGUMENTS, "name must be 1-64 characters", "name")
        account = len(self.accounts) + 1
        if account >= self._n_accounts:
            raise RpcError(ACCOUNTS_EXHAUSTED, "no account ids left; raise n_accounts")
        self.accounts[account] = name
        self._save()
        return account

    def create_key(
        self, role: Role, account: int | None, now: int, *, name: str = "", secret: str = ""
    ) -> tuple[ApiKey, str]:
        """Create a key; return it and its secret (shown once). ``secret`` pins a given one."""
        if role.has_account == (account is None):
            raise RpcError(
                INVALID_ARGUMENTS, "admin and instructor keys have no account; others need one"
            )
        client_id = secrets.token_urlsafe(6)
        while client_id in self.keys:
            client_id = secrets.token_urlsafe(6)
        return self._add(client_id, role, account, now, name, secret)

    def add_bootstrap_admin(self, client_id: str, secret: str, now: int) -> ApiKey:
        """Install the administrator key given in the settings."""
        key, _ = self._add(client_id, Role.ADMIN, None, now, "bootstrap admin", secret)
        return key

    def _add(
        self, client_id: str, role: Role, account: int | None, now: int, name: str, secret: str
    ) -> tuple[ApiKey, str]:
        derived = not secret
        if derived:
            secret = self.derive_secret(client_id)
        else:
            self._given[client_id] = secret
        salt = secrets.token_bytes(16)
        key = ApiKey(client_id, role, account, name, salt, self._hash(secret, salt), now, derived)
        self.keys[client_id] = key
        if derived:
            self._save()
        return key, secret

    async def prepare_key(self) -> PreparedKey:
        """Draw a new derived key and hash its secret in a worker thread, so the event
        loop stays free while scrypt runs (a class joining at once); ``install_key``
        then adds it."""
        client_id = secrets.token_urlsafe(6)
        while client_id in self.keys:
            client_id = secrets.token_urlsafe(6)
        secret = self.derive_secret(client_id)
        salt = secrets.token_bytes(16)
        digest = await asyncio.to_thread(self._hash, secret, salt)
        return PreparedKey(client_id, secret, salt, digest)

    def install_key(
        self, prepared: PreparedKey, role: Role, account: int | None, now: int, *, name: str = ""
    ) -> tuple[ApiKey, str]:
        """Add a key made by ``prepare_key``; return it and its secret (shown once)."""
        if role.has_account == (account is None):
            raise RpcError(
                INVALID_ARGUMENTS, "admin and instructor keys have no account; others need one"
            )
        if prepared.client_id in self.keys:  # drawn twice while hashing: vanishingly rare
            raise RuntimeError(f"client id {prepared.client_id} was taken meanwhile")
        key = ApiKey(
            prepared.client_id, role, account, name, prepared.salt, prepared.digest, now, True
        )
        self.keys[key.client_id] = key
        self._save()
        return key, prepared.secret

    def derive_secret(self, client_id: str) -> str:
        """Return the secret of a derived key: base64url(HMAC-SHA256(master, client_id))."""
        mac = hmac.new(self._master, _DERIVE_LABEL + client_id.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    def _hash(self, secret: str, salt: bytes) -> bytes:
        return hashlib.scrypt(
            secret.encode(), salt=salt, n=self._scrypt_n, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_DKLEN
        )

    # ------------------------------------------------------------ verification
    def check_secret(self, client_id: str, secret: str) -> Principal:
        """Return the key's principal if ``secret`` is right; 13004 otherwise. CPU-heavy (scrypt)."""
        key = self.keys.get(client_id)
        digest = self._hash(secret, key.salt if key else self._dummy_salt)
        if key is None or not hmac.compare_digest(digest, key.digest):
            raise RpcError(INVALID_CREDENTIALS, "unknown client_id or wrong client_secret")
        return Principal(key.client_id, key.role, key.account)

    def check_signature(
        self, client_id: str, ts_ms: int, nonce: str, data: str, signature: str, now: int
    ) -> Principal:
        """Verify a Deribit signature: hex HMAC-SHA256(secret, f"{ts}\\n{nonce}\\n{data}").

        The timestamp must be within ``signature_window_s`` of ``now`` and the nonce unused
        within that window. Raises 13004 or 13009.
        """
        key = self.keys.get(client_id)
        if key is None:
            raise RpcError(INVALID_CREDENTIALS, "unknown client_id", "client_id")
        now_ms = now // 1_000_000
        if abs(now_ms - ts_ms) > self._window_ms:
            raise RpcError(UNAUTHORIZED, "timestamp is too far from the server clock", "timestamp")
        secret = self.derive_secret(client_id) if key.derived else self._given.get(client_id, "")
        if not secret:
            raise RpcError(INVALID_CREDENTIALS, "this key cannot sign", "client_id")
        message = f"{ts_ms}\n{nonce}\n{data}".encode()
        expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise RpcError(INVALID_CREDENTIALS, "bad signature", "signature")
        seen = (client_id, nonce, ts_ms)
        if seen in self._nonces:
            raise RpcError(UNAUTHORIZED, "nonce already used", "nonce")
        self._nonces = {k: t for k, t in self._nonces.items() if t > now_ms - self._window_ms}
        self._nonces[seen] = ts_ms
        return Principal(key.client_id, key.role, key.account)

    # ------------------------------------------------------------ tokens
    def issue(self, principal: Principal, now: int) -> TokenPair:
        """Return a fresh access and refresh token for ``principal``."""
        self._purge(now)
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        self._access[access] = (principal, now + self._access_ttl, refresh)
        self._refresh[refresh] = (principal, now + self._refresh_ttl)
        return TokenPair(access, refresh, self._access_ttl // NS_PER_S, principal.scope)

    def principal(self, access_token: str, now: int) -> Principal:
        """Return the principal of a live access token; 13009 if unknown or expired."""
        entry = self._access.get(access_token)
        if entry is None or entry[1] <= now or entry[0].client_id not in self.keys:
            raise RpcError(UNAUTHORIZED, "access token unknown or expired", "access_token")
        return entry[0]

    def refresh(self, refresh_token: str, now: int) -> TokenPair:
        """Exchange a refresh token for a new pair (the old refresh token dies); 13009 if bad."""
        entry = self._refresh.pop(refresh_token, None)
        if entry is None or entry[1] <= now:
            raise RpcError(UNAUTHORIZED, "refresh token unknown or expired", "refresh_token")
        return self.issue(entry[0], now)

    def revoke(self, access_token: str) -> None:
        """Invalidate an access token and its refresh token."""
        entry = self._access.pop(access_token, None)
        if entry is not None:
            self._refresh.pop(entry[2], None)

    def _purge(self, now: int) -> None:
        # Amortised: sweep expired tokens only when the tables have grown.
        if len(self._access) + len(self._refresh) < 4_096:
            return
        self._access = {t: e for t, e in self._access.items() if e[1] > now}
        self._refresh = {t: e for t, e in self._refresh.items() if e[1] > now}
