"""A local socket that records every connection made to it: where a SERVICE call that got through would go."""

from __future__ import annotations

import socket
import threading
import time


class Listener:
    """A local socket that records every connection made to it."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.root = f"http://127.0.0.1:{self.socket.getsockname()[1]}/"
        self.url = self.root + "sparql"
        self.connections = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.socket.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> int:
        time.sleep(0.3)  # time for a late connection to arrive
        self.stopped.set()
        self.thread.join()
        self.socket.close()
        return self.connections
