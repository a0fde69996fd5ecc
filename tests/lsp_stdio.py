"""A minimal LSP client over stdio for long runs against `prototxt-lint lsp` as users start it
(a real process, a real pipe), with the server's resident memory at hand."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from typing import Any


class StdioClient:
    """Speaks JSON-RPC with Content-Length framing; answers the server's own requests with
    null; keeps responses by id and the latest diagnostics per document."""

    def __init__(self, argv: list[str], cwd: str | None = None) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=cwd)
        self._next = 0
        self.responses: dict[int, dict[str, Any]] = {}
        self.published: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            headers: dict[str, str] = {}
            while True:
                line = out.readline()
                if not line:
                    return
                text = line.decode("ascii").strip()
                if not text:
                    break
                key, value = text.split(":", 1)
                headers[key.lower()] = value.strip()
            body = json.loads(out.read(int(headers["content-length"])))
            with self._cond:
                if "id" in body and "method" not in body:
                    self.responses[body["id"]] = body
                elif body.get("method") == "textDocument/publishDiagnostics":
                    self.published[body["params"]["uri"]] = body["params"]
                elif "id" in body:
                    self._send({"jsonrpc": "2.0", "id": body["id"], "result": None})
                self._cond.notify_all()

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()

    def request(self, method: str, params: Any) -> int:
        self._next += 1
        self._send({"jsonrpc": "2.0", "id": self._next, "method": method, "params": params})
        return self._next

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def answer(self, rid: int, timeout: float = 60) -> dict[str, Any]:
        """The response to request ``rid`` (a TimeoutError when none comes)."""
        end = time.monotonic() + timeout
        with self._cond:
            while rid not in self.responses:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no response to request {rid}")
                self._cond.wait(left)
            return self.responses.pop(rid)

    def diagnostics_for(self, uri: str, version: int, timeout: float = 60) -> dict[str, Any]:
        """The diagnostics published for ``version`` of ``uri``."""
        end = time.monotonic() + timeout
        with self._cond:
            while self.published.get(uri, {}).get("version") != version:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no diagnostics for {uri} version {version}")
                self._cond.wait(left)
            return self.published[uri]

    def rss_kb(self) -> int:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def close(self) -> int:
        try:
            self.answer(self.request("shutdown", None), timeout=10)
            self.notify("exit", None)
            return self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
