"""A TCP relay to a redis-server whose open connections can be made to go silent at once
(freeze): nothing more passes either way and nothing is closed, as when the Redis host
vanishes from the network. Connections made after it relay again."""
import select
import socket
import threading

from harness import free_port


class Blackhole:
    def __init__(self, target_port):
        self.target = target_port
        self.port = free_port()
        self.lsock = socket.create_server(("127.0.0.1", self.port))
        self.lock = threading.Lock()
        self.pairs = []          # [client, upstream, frozen]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            u = socket.create_connection(("127.0.0.1", self.target))
            pair = [c, u, False]
            with self.lock:
                self.pairs.append(pair)
            threading.Thread(target=self._relay, args=(pair,), daemon=True).start()

    def _relay(self, pair):
        c, u = pair[0], pair[1]
        while not self.stopped:
            try:
                r, _, _ = select.select([c, u], [], [], 0.2)
            except (OSError, ValueError):
                return
            if pair[2]:
                continue          # frozen: read nothing, send nothing, close nothing
            for s in r:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    c.close()
                    u.close()
                    return
                (u if s is c else c).sendall(data)

    def freeze(self):
        """Every connection open now goes silent for good."""
        with self.lock:
            for p in self.pairs:
                p[2] = True
            return len(self.pairs)

    def stop(self):
        self.stopped = True
        self.lsock.close()
        with self.lock:
            for p in self.pairs:
                for s in p[:2]:
                    try:
                        s.close()
                    except OSError:
                        pass
