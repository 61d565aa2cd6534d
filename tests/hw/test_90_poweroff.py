"""The end of a run: `poweroff` when the target asks for it (poweroff = yes):
the shell flushes the disks and the machine stops answering."""
import pytest


def test_poweroff(target):
    if not target.t["poweroff"]:
        pytest.skip("the target does not ask for poweroff at the end")
    target.new_log("poweroff")
    target.drain()
    assert target.answers(10), "the machine does not answer before poweroff"
    line = target.poweroff()
    assert "flushing" in line, line
    assert not target.answers(10), "the machine still answers after poweroff"
