"""Every built-in model passes the model contract."""

from surge.testing import ModelContract


class TestPingPongContract(ModelContract):
    model = "ping-pong"
